/**
 * The real Apache Flume 1.11.0 agent (stack/flume.sh, jars from Maven Central) runs on this
 * machine's Java against the local stack: netcat -> memory -> logger, and netcat -> Kafka sink
 * (Flume's kafka-clients 2.7.2 against the 4.x broker) -> Kafka source -> HDFS sink writing
 * `hdfs:///...` through the stack's HADOOP_CONF_DIR. This is the reference tsagent is compared with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEnv } from './stack-env.js';

const env = stackEnv();
const run = randomUUID().slice(0, 8);
const topic = `flume-anchor-${run}`;
const hdfsDir = `${env.hdfsHome}/flume-anchor-${run}`;
const tmp = mkdtempSync(join(tmpdir(), 'tsagent-flume-anchor-'));
const lines = ['flume anchor line 1', 'flume anchor line 2 with ünïcödé', 'flume anchor line 3'];

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function sendLines(port: number, data: string[]): Promise<string> {
  return new Promise((resolveAcks, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let acks = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      acks += d;
      if (acks.split('\n').length > data.length) s.end();
    });
    s.on('end', () => resolveAcks(acks));
    s.on('error', reject);
    s.write(data.map((l) => `${l}\n`).join(''));
  });
}

describe('Apache Flume 1.11.0 anchor (stack/flume.sh) against the local stack', () => {
  let agent: ChildProcess;
  let log = '';
  let ncPort = 0;
  let metricsPort = 0;

  beforeAll(async () => {
    ncPort = await freePort();
    metricsPort = await freePort();
    const conf = join(tmp, 'anchor.conf');
    writeFileSync(
      conf,
      [
        'a1.sources = r1 r2',
        'a1.channels = c1 c2 c3',
        'a1.sinks = k1 k2 k3',
        'a1.sources.r1.type = netcat',
        'a1.sources.r1.bind = 127.0.0.1',
        `a1.sources.r1.port = ${ncPort}`,
        'a1.sources.r1.channels = c1 c2',
        'a1.channels.c1.type = memory',
        'a1.channels.c2.type = memory',
        'a1.channels.c3.type = memory',
        'a1.sinks.k1.type = logger',
        'a1.sinks.k1.channel = c1',
        'a1.sinks.k2.type = org.apache.flume.sink.kafka.KafkaSink',
        `a1.sinks.k2.kafka.bootstrap.servers = ${env.kafkaBrokers.join(',')}`,
        `a1.sinks.k2.kafka.topic = ${topic}`,
        'a1.sinks.k2.channel = c2',
        'a1.sources.r2.type = org.apache.flume.source.kafka.KafkaSource',
        `a1.sources.r2.kafka.bootstrap.servers = ${env.kafkaBrokers.join(',')}`,
        `a1.sources.r2.kafka.topics = ${topic}`,
        `a1.sources.r2.kafka.consumer.group.id = flume-anchor-${run}`,
        'a1.sources.r2.kafka.consumer.auto.offset.reset = earliest',
        'a1.sources.r2.batchSize = 10',
        'a1.sources.r2.batchDurationMillis = 500',
        'a1.sources.r2.channels = c3',
        'a1.sinks.k3.type = hdfs',
        `a1.sinks.k3.hdfs.path = hdfs://${hdfsDir}/%y-%m-%d`,
        'a1.sinks.k3.hdfs.fileType = DataStream',
        'a1.sinks.k3.hdfs.useLocalTimeStamp = true',
        'a1.sinks.k3.hdfs.rollInterval = 2',
        'a1.sinks.k3.hdfs.rollCount = 0',
        'a1.sinks.k3.hdfs.rollSize = 0',
        'a1.sinks.k3.channel = c3',
        '',
      ].join('\n'),
    );
    agent = spawn('bash', [resolve(env.repoRoot, 'stack', 'flume.sh'), conf, 'a1', '--no-reload-conf'], {
      cwd: env.repoRoot,
      env: { ...process.env, FLUME_MONITORING_PORT: String(metricsPort), HADOOP_CONF_DIR: env.hadoopConfDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout?.setEncoding('utf8').on('data', (d: string) => (log += d));
    agent.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
    await until('the Flume netcat source to listen (first run: jar download)', 300_000, async () =>
      log.includes('Created serverSocket') ? true : undefined,
    );
  });

  afterAll(async () => {
    if (agent.exitCode === null) {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await fetch(`${env.webhdfsUrl}/webhdfs/v1${hdfsDir}?op=DELETE&recursive=true&user.name=${env.hdfsUser}`, { method: 'DELETE' });
    rmSync(tmp, { recursive: true, force: true });
    const admin = new Kafka({ clientId: 'flume-anchor-cleanup', brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  it('netcat -> memory -> logger: every line acknowledged and logged as a Flume event', async () => {
    const acks = await sendLines(ncPort, lines);
    expect(acks).toBe('OK\nOK\nOK\n');
    await until('three logger events', 30_000, async () =>
      (log.match(/LoggerSink\.process.*Event: \{ headers:\{\} body:/g) ?? []).length >= 3 ? true : undefined,
    );
    // LoggerSink prints the first 16 bytes as text after the hex dump.
    expect(log).toContain('flume anchor lin');
  });

  it('netcat -> Kafka sink -> Kafka source -> HDFS sink: the same lines land in hdfs:///', async () => {
    const text = await until('the HDFS sink to close a file with all lines', 60_000, async () => {
      const day = await fetch(`${env.webhdfsUrl}/webhdfs/v1${hdfsDir}?op=LISTSTATUS&user.name=${env.hdfsUser}`);
      if (day.status !== 200) return undefined;
      const days = ((await day.json()) as { FileStatuses: { FileStatus: { pathSuffix: string }[] } }).FileStatuses.FileStatus;
      let all = '';
      for (const d of days) {
        const ls = await fetch(`${env.webhdfsUrl}/webhdfs/v1${hdfsDir}/${d.pathSuffix}?op=LISTSTATUS&user.name=${env.hdfsUser}`);
        const files = ((await ls.json()) as { FileStatuses: { FileStatus: { pathSuffix: string }[] } }).FileStatuses.FileStatus;
        for (const f of files.filter((x) => !x.pathSuffix.endsWith('.tmp'))) {
          const r = await fetch(`${env.webhdfsUrl}/webhdfs/v1${hdfsDir}/${d.pathSuffix}/${f.pathSuffix}?op=OPEN&user.name=${env.hdfsUser}`);
          all += await r.text();
        }
      }
      return all.split('\n').filter((l) => l.length > 0).length >= lines.length ? all : undefined;
    });
    expect(text.split('\n').filter((l) => l.length > 0).sort()).toEqual([...lines].sort());
    expect(log).not.toContain('Block Under-replication detected');
  });

  it('reports its counters on the HTTP monitoring endpoint', async () => {
    type Metrics = Record<string, Record<string, string>>;
    const get = async (): Promise<Metrics> => (await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).json()) as Metrics;
    const n = (m: Metrics, group: string, key: string): number => Number(m[group]?.[key]);
    // Counters move at transaction commit; the HDFS sink commits its batch only after a take
    // on the empty channel waited (up to 3 s), so poll until all flows are committed.
    const metrics = await until('all counters to reach 3', 30_000, async () => {
      const m = await get();
      return n(m, 'SINK.k3', 'EventDrainSuccessCount') === lines.length ? m : undefined;
    });
    // Flume 1.11's netcat source and logger sink register no counter group; the others do.
    expect(Object.keys(metrics).sort()).toEqual(['CHANNEL.c1', 'CHANNEL.c2', 'CHANNEL.c3', 'SINK.k2', 'SINK.k3', 'SOURCE.r2']);
    const m = JSON.stringify(metrics);
    expect(n(metrics, 'CHANNEL.c1', 'EventPutSuccessCount'), m).toBe(lines.length);
    expect(n(metrics, 'SINK.k2', 'EventDrainSuccessCount'), m).toBe(lines.length);
    expect(n(metrics, 'SOURCE.r2', 'EventAcceptedCount'), m).toBe(lines.length);
    expect(n(metrics, 'SINK.k3', 'EventDrainSuccessCount'), m).toBe(lines.length);
  });
});

/**
 * HDFS sink against the real HDFS of stack/ (WebHDFS): Flume's layout and names, rolls, formats
 * read back by Hadoop's own reader (`hdfs dfs -text`), a NameNode outage and a kill -9.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import memory from '../../src/channels/memory.js';
import type { Channel } from '../../src/core/contracts.js';
import { createEvent, type Event } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import { WebHdfsClient } from '../../src/hdfs/webhdfs.js';
import hdfs, { type HdfsSink } from '../../src/sinks/hdfs.js';
import { runStack, stackEnv, startNameNode, stopNameNode } from './stack-env.js';

const env = stackEnv();
process.env.HADOOP_CONF_DIR = env.hadoopConfDir;
process.env.HADOOP_USER_NAME = env.hdfsUser;
const client = new WebHdfsClient(env.webhdfsUrl, { user: env.hdfsUser, timeoutMs: 30000 });
const BASE = `${env.hdfsHome}/tsagent-hdfs-test-${process.pid}-${Date.now()}`;
const TS = 1_700_000_000_000; // 2023-11-14 (UTC)
const NASA = path.resolve(env.repoRoot, '../shared/data/nasa/NASA_access_log_Jul95.head-124979.txt.gz');

function fill(ch: Channel, events: Event[]): void {
  const tx = ch.createTransaction();
  tx.begin();
  for (const e of events) tx.put(e);
  tx.commit();
  tx.close();
}

/** MemoryLogger with wall-clock times (for the outage diagnostics). */
class TimedLogger extends MemoryLogger {
  override info(m: string): void { super.info(`${new Date().toISOString()} ${m}`); }
  override warn(m: string): void { super.warn(`${new Date().toISOString()} ${m}`); }
  override error(m: string): void { super.error(`${new Date().toISOString()} ${m}`); }
  override child(name: string): TimedLogger {
    const c = new TimedLogger(name);
    (c as { lines: string[] }).lines = this.lines;
    return c;
  }
}

async function makeSink(props: Record<string, string>, clock = { t: 1_800_000_000_000, now(): number { return this.t; } }) {
  const ch = buildComponent(memory, 'c1', { capacity: '200000', transactionCapacity: '5000' }).instance;
  await ch.start();
  const logger = new TimedLogger();
  const sink = buildComponent(hdfs, 'k1', props, { clock, logger }).instance as HdfsSink;
  await sink.start(ch);
  return { sink, ch, clock, logger };
}

async function drain(sink: HdfsSink, ch: Channel): Promise<void> {
  while (ch.size() > 0) {
    const st = await sink.process();
    if (st === 'BACKOFF') await new Promise((r) => setTimeout(r, 200));
  }
}

async function ls(dir: string): Promise<string[]> {
  return (await client.list(dir)).map((e) => e.name).sort();
}

async function hdfsText(p: string): Promise<string> {
  const r = await runStack(['hdfs', 'dfs', '-text', p]);
  if (r.code !== 0) throw new Error(`hdfs dfs -text ${p} failed: ${r.stderr}`);
  return r.stdout;
}

afterAll(async () => {
  await runStack(['hdfs', 'dfs', '-rm', '-r', '-f', '-skipTrash', BASE]);
});

describe('hdfs sink on real HDFS', () => {
  it('seed settings: Flume names, .tmp while open, renamed on the interval roll, byte-exact lines', async () => {
    const lines = gunzipSync(readFileSync(NASA)).toString('latin1').split('\n').slice(0, 3000);
    const { sink, ch, clock } = await makeSink({
      'hdfs.path': `hdfs://${BASE}/seed/apache_logs/%y-%m-%d`.replace('hdfs:///', 'hdfs:///'), 'hdfs.filePrefix': 'apache_logs', 'hdfs.fileSuffix': '.log',
      'hdfs.rollInterval': '300', 'hdfs.rollSize': '0', 'hdfs.rollCount': '0', 'hdfs.fileType': 'DataStream', 'hdfs.writeFormat': 'Text', 'hdfs.timeZone': 'UTC',
    });
    fill(ch, lines.map((l) => createEvent(Buffer.from(l, 'latin1'), { timestamp: String(TS), topic: 'apache_logs' })));
    await drain(sink, ch);
    const dir = `${BASE}/seed/apache_logs/23-11-14`;
    const name = `apache_logs.${clock.t + 1}.log`;
    expect(await ls(dir)).toEqual([`${name}.tmp`]);
    clock.t += 300_000;
    await sink.process();
    expect(await ls(dir)).toEqual([name]);
    const want = Buffer.from(lines.map((l) => l + '\n').join(''), 'latin1');
    expect((await client.read(`${dir}/${name}`)).equals(want)).toBe(true);
    expect(sink.counters.values.EventDrainSuccessCount).toBe(3000);
    await sink.stop();
  });

  it('hdfs://host:port and webhdfs://host:port paths; roll by count and size', async () => {
    const rpc = env.hdfsDefaultFs; // hdfs://127.0.0.1:8020
    const web = env.webhdfsUrl.replace('http://', 'webhdfs://');
    const a = await makeSink({ 'hdfs.path': `${rpc}${BASE}/count`, 'hdfs.rollCount': '4', 'hdfs.rollSize': '0', 'hdfs.fileType': 'DataStream' });
    fill(a.ch, Array.from({ length: 10 }, (_, i) => createEvent(`e${i}`, { timestamp: String(TS) })));
    await drain(a.sink, a.ch);
    const t = a.clock.t;
    expect(await ls(`${BASE}/count`)).toEqual([`FlumeData.${t + 1}`, `FlumeData.${t + 2}`, `FlumeData.${t + 3}.tmp`]);
    expect((await client.read(`${BASE}/count/FlumeData.${t + 2}`)).toString()).toBe('e4\ne5\ne6\ne7\n');
    await a.sink.stop();
    const b = await makeSink({ 'hdfs.path': `${web}${BASE}/size`, 'hdfs.rollCount': '0', 'hdfs.rollSize': '5', 'hdfs.fileType': 'DataStream' });
    fill(b.ch, Array.from({ length: 5 }, (_, i) => createEvent(`ab${i}`, { timestamp: String(TS) })));
    await drain(b.sink, b.ch);
    await b.sink.stop();
    expect(await ls(`${BASE}/size`)).toEqual([`FlumeData.${b.clock.t + 1}`, `FlumeData.${b.clock.t + 2}`, `FlumeData.${b.clock.t + 3}`]);
  });

  it.each([
    ['SequenceFile Writable', { 'hdfs.fileType': 'SequenceFile' }, '', (l: string) => `${TS}\t${Buffer.from(l).toString('hex').replace(/(..)(?!$)/g, '$1 ')}`],
    ['SequenceFile Text', { 'hdfs.fileType': 'SequenceFile', 'hdfs.writeFormat': 'Text' }, '', (l: string) => `${TS}\t${l}`],
    ['CompressedStream gzip', { 'hdfs.fileType': 'CompressedStream', 'hdfs.codeC': 'gzip' }, '.gz', (l: string) => l],
    // Avro's JSON rendering of `bytes` maps each byte to one char (ISO-8859-1), printed as UTF-8.
    ['DataStream avro_event', { 'hdfs.fileType': 'DataStream', serializer: 'avro_event' }, '', (l: string) => `{"headers":{"timestamp":"${TS}"},"body":"${Buffer.from(l).toString('latin1')}"}`],
  ] as const)('%s is read back by Hadoop (hdfs dfs -text), across several batches', async (label, props, ext, render) => {
    const dir = `${BASE}/fmt-${label.replace(/\s+/g, '-')}`;
    const { sink, ch, clock } = await makeSink({ 'hdfs.path': `hdfs://${dir}`, 'hdfs.rollCount': '0', 'hdfs.rollSize': '0', 'hdfs.batchSize': '7', ...props });
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i} é`);
    fill(ch, lines.map((l) => createEvent(l, { timestamp: String(TS) })));
    await drain(sink, ch);
    await sink.stop();
    const f = `${dir}/FlumeData.${clock.t + 1}${ext}`;
    expect(await ls(dir)).toEqual([path.basename(f)]);
    expect(await hdfsText(f)).toBe(lines.map((l) => render(l) + '\n').join(''));
  });

  it.each([
    ['NameNode', stopNameNode, startNameNode],
    ['DataNode', () => runStack(['stop-datanode']), () => runStack(['start-datanode'])],
  ] as const)('%s stopped for 20 s mid-stream: no committed line lost, no duplicate, recovers by itself, no .tmp left', async (which, stop, start) => {
    const dir = `${BASE}/outage-${which}`;
    const { sink, ch, logger } = await makeSink({
      'hdfs.path': `hdfs://${dir}/%y-%m-%d`, 'hdfs.filePrefix': 'apache_logs', 'hdfs.fileSuffix': '.log', 'hdfs.timeZone': 'UTC',
      'hdfs.rollCount': '2000', 'hdfs.rollSize': '0', 'hdfs.rollInterval': '0', 'hdfs.batchSize': '200', 'hdfs.fileType': 'DataStream',
      'hdfs.retryInterval': '2', 'hdfs.callTimeout': '5000',
    }, { t: 0, now: () => Date.now() });
    const N = 12000;
    let produced = 0;
    let running = true;
    // Producer: 300 events every 100 ms; consumer: the sink loop with Flume's backoff.
    const producer = (async () => {
      while (produced < N) {
        fill(ch, Array.from({ length: 300 }, (_, i) => createEvent(`line ${produced + i}`, { timestamp: String(TS) })));
        produced += 300;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    let backoffs = 0;
    const consumer = (async () => {
      while (running) {
        const st = await sink.process().catch(() => 'BACKOFF' as const);
        if (st === 'BACKOFF') { backoffs++; await new Promise((r) => setTimeout(r, 500)); }
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    logger.info(`stopping the ${which}`);
    await stop();
    await new Promise((r) => setTimeout(r, 20_000));
    logger.info(`starting the ${which}`);
    await start();
    logger.info(`${which} started`);
    await producer;
    const deadline = Date.now() + 240_000;
    while ((ch.size() > 0 || sink.pendingFinalizations > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      await sink.flushJobs(true).catch(() => undefined);
    }
    running = false;
    await consumer;
    await sink.stop();
    expect(ch.size()).toBe(0);
    expect(backoffs).toBeGreaterThan(0);
    expect(logger.lines.some((l) => l.includes('HDFS IO error'))).toBe(true);
    const day = `${dir}/23-11-14`;
    const names = await ls(day);
    const all: string[] = [];
    const perFile: string[] = [];
    for (const n of names) {
      const ls2 = (await client.read(`${day}/${n}`)).toString().split('\n').filter((l) => l !== '');
      perFile.push(`${n}: ${ls2.length} lines ${ls2[0]} .. ${ls2[ls2.length - 1]}`);
      all.push(...ls2);
    }
    // Kept for diagnosis: the sink's log and the file layout.
    mkdirSync(path.join(env.repoRoot, 'test-results'), { recursive: true });
    writeFileSync(path.join(env.repoRoot, 'test-results', `hdfs-outage-${which}.log`), [...perFile, ...logger.lines].join('\n') + '\n');
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(all.length).toBe(N);
    expect(new Set(all).size).toBe(N);
    for (const l of all) expect(l).toMatch(/^line \d+$/);
  }, 600_000);

  describe('kill -9 while writing', () => {
    const out = path.join(env.repoRoot, 'test-results', 'hdfs-crash-driver');
    beforeAll(() => {
      execFileSync('npx', ['tsc', '--outDir', out, '--rootDir', '.', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022',
        '--lib', 'ES2023', '--types', 'node', '--skipLibCheck', '--strict', 'test/hdfs/fixtures/crash-driver.ts'], { cwd: env.repoRoot, stdio: 'inherit' });
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, 'package.json'), '{"type":"module"}');
    });

    function runDriver(mode: string, hdfsPath: string, killAfterMs?: number): Promise<string> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(out, 'test/hdfs/fixtures/crash-driver.js'), mode, hdfsPath], {
          env: { ...process.env, HADOOP_CONF_DIR: env.hadoopConfDir, HADOOP_USER_NAME: env.hdfsUser }, stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        child.on('error', reject);
        child.on('close', (code, sig) => {
          if (killAfterMs === undefined && code !== 0) reject(new Error(`driver ${mode} exited ${code}: ${stderr}`));
          else resolve(stdout + (sig ? `\nSIGNAL ${sig}` : ''));
        });
      });
    }

    it('every committed line is present once, no torn line, no .tmp after the restart', async () => {
      const p = `hdfs://${BASE}/crash/%y-%m-%d`;
      const out1 = await runDriver('write', p, 4500);
      expect(out1).toContain('SIGNAL SIGKILL');
      const committed = Math.max(...out1.split('\n').filter((l) => l.startsWith('C ')).map((l) => Number(l.slice(2))));
      expect(committed).toBeGreaterThan(0);
      const out2 = await runDriver('recover', p);
      expect(out2).toContain('RECOVERED 0');
      const dirs = await ls(`${BASE}/crash`);
      const all: string[] = [];
      for (const d of dirs) {
        for (const n of await ls(`${BASE}/crash/${d}`)) {
          expect(n).toMatch(/^crash\.\d+\.log$/);
          all.push(...(await client.read(`${BASE}/crash/${d}/${n}`)).toString().split('\n').filter((l) => l !== ''));
        }
      }
      for (const l of all) expect(l).toMatch(/^line \d+ x{200}$/);
      const ids = all.map((l) => Number(l.split(' ')[1]));
      expect(new Set(ids).size).toBe(ids.length);
      for (let i = 0; i <= committed; i++) if (!ids.includes(i)) throw new Error(`committed line ${i} missing`);
    });
  });
});

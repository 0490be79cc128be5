/**
 * useFlumeEventFormat against the REAL Apache Flume 1.11.0 (stack/flume.sh, jars from Maven
 * Central) on the real broker, both directions:
 *   tsagent Kafka sink (Avro AvroFlumeEvent) -> Flume's Kafka source -> file_roll (header_and_text):
 *     Flume decodes tsagent's records, headers and body intact;
 *   Flume netcat + static interceptor -> Flume's Kafka sink (Avro) -> the record bytes equal
 *     tsagent's encoder output exactly, and tsagent's Kafka source reads them back with the headers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEvent } from '../../src/core/event.js';
import { encodeAvroFlumeEvent } from '../../src/kafka/avro-event.js';
import kafkaSink, { type KafkaSink } from '../../src/sinks/kafka.js';
import kafkaSource, { type KafkaSource } from '../../src/sources/kafka.js';
import {
  createTopic, drainChannel, memoryChannel, netcatSend, readTopic, runSink, runSource, uniqueTopic, waitUntil,
  type RunningSink, type RunningSource,
} from '../kafka/helpers.js';
import { stackEnv } from './stack-env.js';

const env = stackEnv();
const brokers = env.kafkaBrokers.join(',');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts the real Flume agent `a1` with `lines` as its configuration; stops it after the test. */
async function startFlume(dir: string, lines: string[], readyPattern: RegExp): Promise<{ log: () => string }> {
  const conf = path.join(dir, 'flume.conf');
  writeFileSync(conf, lines.join('\n') + '\n');
  let log = '';
  const child: ChildProcess = spawn('bash', [path.join(env.repoRoot, 'stack', 'flume.sh'), conf, 'a1', '--no-reload-conf'], {
    cwd: env.repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FLUME_JAVA_OPTS: '-Dfile.encoding=UTF-8', HADOOP_CONF_DIR: env.hadoopConfDir },
  });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = new Promise((r) => child.once('exit', r));
  cleanups.push(async () => {
    if (child.exitCode === null) { child.kill('SIGTERM'); await exited; }
  });
  const ok = await waitUntil(() => readyPattern.test(log) || child.exitCode !== null, 180_000, 200);
  if (!ok || child.exitCode !== null) throw new Error(`Flume did not start:\n${log.slice(-4000)}`);
  return { log: () => log };
}

/** Parses one `header_and_text` line: `{k1=v1, k2=v2} body`. Values here contain no ", " or "=". */
function parseHeaderAndText(line: string): { headers: Record<string, string>; body: string } {
  const end = line.indexOf('} ');
  const inner = line.slice(1, end);
  const headers: Record<string, string> = {};
  for (const kv of inner.length > 0 ? inner.split(', ') : []) {
    const i = kv.indexOf('=');
    headers[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { headers, body: line.slice(end + 2) };
}

describe('useFlumeEventFormat interoperability with Apache Flume 1.11.0', () => {
  it('Flume\'s Kafka source decodes events written by tsagent\'s Kafka sink (headers and body)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsagent-kafka-flume-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const out = path.join(dir, 'out');
    mkdirSync(out);
    const topic = uniqueTopic('it-compat-ts2flume');
    await createTopic(env.kafkaBrokers, topic, 3);
    const ch = memoryChannel(1000, 100);
    const sink: RunningSink<KafkaSink> = await runSink(kafkaSink, 'k1', { 'kafka.bootstrap.servers': brokers, 'kafka.topic': topic, useFlumeEventFormat: 'true' }, ch);
    cleanups.push(sink.stop);
    const sent: Array<{ headers: Record<string, string>; body: string }> = [
      { headers: { host: 'web-1', 'ünï': 'çødé' }, body: 'first body ü' },
      { headers: {}, body: 'second body' },
      { headers: { a: '1', b: '', timestamp: '1600000000000' }, body: 'third' },
    ];
    const tx = ch.createTransaction();
    tx.begin();
    for (const s of sent) tx.put(createEvent(s.body, { ...s.headers }));
    tx.commit();
    tx.close();
    expect(await waitUntil(() => sink.sink.counters.values.EventDrainSuccessCount === 3, 30_000)).toBe(true);

    const flume = await startFlume(dir, [
      'a1.sources = r1', 'a1.channels = c1', 'a1.sinks = k1',
      'a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource',
      `a1.sources.r1.kafka.bootstrap.servers = ${brokers}`,
      `a1.sources.r1.kafka.topics = ${topic}`,
      `a1.sources.r1.kafka.consumer.group.id = compat-${randomUUID().slice(0, 8)}`,
      'a1.sources.r1.kafka.consumer.auto.offset.reset = earliest',
      'a1.sources.r1.useFlumeEventFormat = true',
      'a1.sources.r1.batchSize = 100',
      'a1.sources.r1.batchDurationMillis = 500',
      'a1.sources.r1.channels = c1',
      'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = file_roll',
      `a1.sinks.k1.sink.directory = ${out}`,
      'a1.sinks.k1.sink.rollInterval = 0',
      'a1.sinks.k1.sink.batchSize = 1',
      'a1.sinks.k1.sink.serializer = header_and_text',
      'a1.sinks.k1.channel = c1',
    ], /Component type: SOURCE, name: r1 started/);
    let got: Array<{ headers: Record<string, string>; body: string }> = [];
    const done = await waitUntil(() => {
      const text = readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8')).join('');
      got = text.split('\n').filter((l) => l.length > 0).map(parseHeaderAndText);
      return got.length >= 3;
    }, 120_000, 500);
    expect(done, flume.log().slice(-4000)).toBe(true);
    for (const s of sent) {
      const g = got.find((x) => x.body === s.body);
      expect(g, `Flume did not deliver "${s.body}"`).toBeDefined();
      for (const [k, v] of Object.entries(s.headers)) expect(g!.headers[k]).toBe(v);
      expect(g!.headers['topic']).toBe(topic);
      expect(g!.headers['partition']).toMatch(/^[0-2]$/);
      expect(g!.headers['offset']).toMatch(/^\d+$/);
    }
    // the Avro timestamp header wins over the record timestamp (Flume adds it only if absent)
    expect(got.find((x) => x.body === 'third')!.headers['timestamp']).toBe('1600000000000');
  });

  it('Flume\'s Kafka sink writes byte-identical AvroFlumeEvent records, which tsagent\'s Kafka source reads back', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsagent-kafka-flume-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const topic = uniqueTopic('it-compat-flume2ts');
    await createTopic(env.kafkaBrokers, topic, 3);
    const port = await freePort();
    await startFlume(dir, [
      'a1.sources = r1', 'a1.channels = c1', 'a1.sinks = k1',
      'a1.sources.r1.type = netcat', 'a1.sources.r1.bind = 127.0.0.1', `a1.sources.r1.port = ${port}`,
      'a1.sources.r1.interceptors = i1',
      'a1.sources.r1.interceptors.i1.type = static',
      'a1.sources.r1.interceptors.i1.key = origin',
      'a1.sources.r1.interceptors.i1.value = flume-1.11',
      'a1.sources.r1.channels = c1',
      'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink',
      `a1.sinks.k1.kafka.bootstrap.servers = ${brokers}`,
      `a1.sinks.k1.kafka.topic = ${topic}`,
      'a1.sinks.k1.useFlumeEventFormat = true',
      'a1.sinks.k1.channel = c1',
    ], /Created serverSocket/);
    const lines = ['flume line 1', 'flume line 2 ünïcödé', ''];
    const replies = await netcatSend(port, lines, 10, 30_000);
    expect(replies).toEqual(['OK', 'OK', 'OK']);

    const recs = await readTopic(env.kafkaBrokers, topic, 3, 60_000);
    expect(recs).toHaveLength(3);
    for (const l of lines) {
      const expected = encodeAvroFlumeEvent({ origin: 'flume-1.11' }, Buffer.from(l, 'utf8'));
      expect(recs.some((r) => r.value.equals(expected)), `no record equals tsagent's encoding of "${l}": ${recs.map((r) => r.value.toString('hex')).join(' ')}`).toBe(true);
    }

    const ch = memoryChannel(1000, 100);
    const src: RunningSource<KafkaSource> = await runSource(kafkaSource, 'r1', {
      'kafka.bootstrap.servers': brokers, 'kafka.topics': topic, 'kafka.consumer.group.id': `g-${randomUUID()}`,
      'kafka.consumer.auto.offset.reset': 'earliest', useFlumeEventFormat: 'true', batchDurationMillis: '200',
    }, ch);
    cleanups.push(src.stop);
    expect(await waitUntil(() => ch.size() === 3, 30_000)).toBe(true);
    const events = drainChannel(ch);
    expect(events.map((e) => e.body.toString('utf8')).sort()).toEqual([...lines].sort());
    for (const e of events) {
      expect(e.headers['origin']).toBe('flume-1.11');
      expect(e.headers['topic']).toBe(topic);
      expect(e.headers['timestamp']).toMatch(/^\d{13}$/);
    }
  });
});

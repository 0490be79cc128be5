#!/usr/bin/env node
/**
 * Kafka sink and source throughput on the local broker (stack/), with the seed settings and with
 * tuned settings, plus where the CPU goes (V8 sampling profile of this process, self time split
 * into kafkajs / tsagent / node+GC) and the broker's CPU.
 *
 *   npm run build && bash stack/stack.sh up
 *   node bench/kafka/kafka-bench.mjs [--events 200000] [--json bench/results/kafka.json]
 *
 * Sink runs: a memory channel pre-filled with N NASA-like lines (~100 bytes) is drained by the
 * Kafka sink (Flume's runner) into a fresh 3-partition topic; events/s = N / time to drain.
 * Source runs: the topic written by the sink run is read by the Kafka source with a fresh group
 * (auto.offset.reset=earliest) into a memory channel drained by a null sink; events/s = N / time
 * until N events were accepted by the channel (offsets committed per batch, as Flume).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(path.join(repo, 'dist', p));
const { buildComponent } = await dist('engine/build.js');
const { PollingRunner } = await dist('engine/runners.js');
const { DefaultChannelProcessor, replicatingSelector } = await dist('engine/channel-processor.js');
const { MemoryLogger } = await dist('core/logger.js');
const memory = (await dist('channels/memory.js')).default;
const kafkaSink = (await dist('sinks/kafka.js')).default;
const kafkaSource = (await dist('sources/kafka.js')).default;
const nullSink = (await dist('sinks/null.js')).default;

const args = process.argv.slice(2);
const argOf = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const N = Number(argOf('--events', '200000'));
const jsonOut = argOf('--json', undefined);

const envText = execFileSync('bash', [path.join(repo, 'stack', 'stack.sh'), 'env'], { encoding: 'utf8' });
const brokers = process.env.TSAGENT_KAFKA_BROKERS ?? /TSAGENT_KAFKA_BROKERS='([^']*)'/.exec(envText)[1];
const stackDir = /TSAGENT_STACK_DIR='([^']*)'/.exec(envText)[1];
const kafka = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });

function brokerCpuTicks() {
  try {
    const pid = readFileSync(path.join(stackDir, 'pids', 'kafka.pid'), 'utf8').trim();
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (clock ticks, 100/s)
  } catch { return NaN; }
}

function line(i) {
  return `host${i % 97}.example.com - - [01/Jul/1995:00:00:${String(i % 60).padStart(2, '0')} -0400] "GET /images/bench-${i}.gif HTTP/1.0" 200 ${1000 + (i % 5000)}`;
}

function channel(capacity, txCap) {
  const ch = buildComponent(memory, 'c1', { capacity: String(capacity), transactionCapacity: String(txCap), byteCapacity: '0' }).instance;
  ch.start();
  return ch;
}

/** Runs fn under the V8 sampling profiler; returns its result and the self-time split. */
async function profiled(fn) {
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.setSamplingInterval', { interval: 500 });
  await s.post('Profiler.start');
  const cpu0 = process.cpuUsage();
  const b0 = brokerCpuTicks();
  const t0 = performance.now();
  const result = await fn();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const b1 = brokerCpuTicks();
  const { profile } = await s.post('Profiler.stop');
  s.disconnect();
  const self = new Map();
  const dt = profile.timeDeltas;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  let total = 0;
  for (const [id, c] of counts) {
    const n = byId.get(id);
    const url = n.callFrame.url;
    const fnName = n.callFrame.functionName;
    let cat;
    if (fnName === '(idle)') cat = 'idle';
    else if (fnName === '(garbage collector)') cat = 'gc';
    else if (url.includes('node_modules/kafkajs')) cat = 'kafkajs';
    else if (url.includes('/dist/')) cat = 'tsagent';
    else if (fnName === '(program)') cat = 'node';
    else cat = 'node';
    self.set(cat, (self.get(cat) ?? 0) + c);
    total += c;
  }
  void dt;
  const busy = total - (self.get('idle') ?? 0);
  const share = {};
  for (const k of ['kafkajs', 'tsagent', 'gc', 'node']) share[k] = busy > 0 ? Math.round((100 * (self.get(k) ?? 0)) / busy) : 0;
  return {
    result, wall,
    processCpuPct: Math.round((100 * (cpu.user + cpu.system)) / 1e6 / wall),
    brokerCpuPct: Number.isNaN(b0) ? null : Math.round(((b1 - b0) / 100 / wall) * 100),
    busyShare: share,
  };
}

async function createTopic(topic) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
}

async function benchSink(label, props, txCap) {
  const topic = `bench-sink-${randomUUID().slice(0, 8)}`;
  await createTopic(topic);
  const ch = channel(N + 10, txCap);
  for (let i = 0; i < N; i += txCap) {
    const tx = ch.createTransaction();
    tx.begin();
    for (let j = i; j < Math.min(N, i + txCap); j++) tx.put({ headers: {}, body: Buffer.from(line(j)) });
    tx.commit();
    tx.close();
  }
  const logger = new MemoryLogger();
  const sink = buildComponent(kafkaSink, 'k1', { 'kafka.bootstrap.servers': brokers, 'kafka.topic': topic, ...props }, { logger }).instance;
  sink.start(ch);
  // connect outside the measured window (Flume's producer is created at start too)
  await sink.process(); // first batch: connects + metadata
  const runner = new PollingRunner(() => sink.process(), { name: 'k1', logger, waitForWork: (ms) => ch.waitForEvents(ms) });
  const first = sink.counters.values.EventDrainSuccessCount;
  const p = await profiled(async () => {
    runner.start();
    while (sink.counters.values.EventDrainSuccessCount < N) await new Promise((r) => setTimeout(r, 5));
  });
  await runner.stop();
  await sink.stop();
  const n = N - first;
  const r = { kind: 'sink', label, props, events: n, seconds: +p.wall.toFixed(2), eventsPerSec: Math.round(n / p.wall), processCpuPct: p.processCpuPct, brokerCpuPct: p.brokerCpuPct, busyShare: p.busyShare, rollbacks: sink.counters.values.RollbackCount };
  console.log(JSON.stringify(r));
  return { r, topic };
}

async function benchSource(label, props, txCap, topic) {
  const ch = channel(100000, txCap);
  const logger = new MemoryLogger();
  const src = buildComponent(kafkaSource, 'r1', {
    'kafka.bootstrap.servers': brokers, 'kafka.topics': topic, 'kafka.consumer.group.id': `bench-${randomUUID()}`,
    'kafka.consumer.auto.offset.reset': 'earliest', ...props,
  }, { logger }).instance;
  const drain = buildComponent(nullSink, 'n1', { batchSize: String(txCap), logEveryNEvents: '100000000' }, { logger }).instance;
  drain.start(ch);
  const sinkRunner = new PollingRunner(() => drain.process(), { name: 'n1', logger, waitForWork: (ms) => ch.waitForEvents(ms) });
  sinkRunner.start();
  const p = await profiled(async () => {
    await src.start(new DefaultChannelProcessor(replicatingSelector([ch], []), [], logger));
    const runner = new PollingRunner(() => src.process(), { name: 'r1', logger, waitForWork: (ms) => new Promise((r) => setTimeout(r, ms)) });
    runner.start();
    while (src.counters.values.EventAcceptedCount < N) await new Promise((r) => setTimeout(r, 5));
    await runner.stop();
  });
  await src.stop();
  await sinkRunner.stop();
  const c = src.counters.values;
  const r = { kind: 'source', label, props, events: c.EventAcceptedCount, seconds: +p.wall.toFixed(2), eventsPerSec: Math.round(c.EventAcceptedCount / p.wall), processCpuPct: p.processCpuPct, brokerCpuPct: p.brokerCpuPct, busyShare: p.busyShare, commitMs: c.KafkaCommitTimer, note: 'includes group join (~0.1-3 s)' };
  console.log(JSON.stringify(r));
  return r;
}

const results = [];
const seedSink = await benchSink('seed (flumeBatchSize 100: kafka.flumeBatchSize=20 is ignored, acks=1)', { 'kafka.flumeBatchSize': '20', 'kafka.producer.acks': '1' }, 1000);
results.push(seedSink.r);
const tunedSink = await benchSink('tuned (flumeBatchSize 1000, acks=1)', { flumeBatchSize: '1000', 'kafka.producer.acks': '1' }, 1000);
results.push(tunedSink.r);
results.push((await benchSink('tuned + gzip (flumeBatchSize 1000, acks=1, compression.type=gzip)', { flumeBatchSize: '1000', 'kafka.producer.acks': '1', 'kafka.producer.compression.type': 'gzip' }, 1000)).r);
results.push((await benchSink('acks=all (flumeBatchSize 1000)', { flumeBatchSize: '1000', 'kafka.producer.acks': 'all' }, 1000)).r);
results.push(await benchSource('seed (batchSize 500, batchDurationMillis 2000)', { batchSize: '500', batchDurationMillis: '2000' }, 1000, tunedSink.topic));
results.push(await benchSource('tuned (batchSize 1000, batchDurationMillis 1000, max.partition.fetch.bytes 4 MiB)', { batchSize: '1000', batchDurationMillis: '1000', 'kafka.consumer.max.partition.fetch.bytes': '4194304' }, 1000, tunedSink.topic));

if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), node: process.version, events: N, cpus: (await import('node:os')).cpus().length, results }, null, 2) + '\n');
  console.log(`wrote ${jsonOut}`);
}

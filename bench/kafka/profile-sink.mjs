#!/usr/bin/env node
/**
 * Where the Kafka sink's CPU goes: drains 200,000 pre-filled events through the sink with the
 * V8 sampling profiler on and prints the top functions by self time.
 *   npm run build && [N=200000] node bench/kafka/profile-sink.mjs [flumeBatchSize=100]
 */
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const dist = (p) => import(path.join(repo, 'dist', p));
// kafkajs through the sink's loader, so that its replaced internals (grouping, Produce encoder)
// are installed before kafkajs loads, as in the agent.
const { Kafka, logLevel } = await (await dist('kafka/client.js')).loadKafkaJs();
const { buildComponent } = await dist('engine/build.js');
const { MemoryLogger } = await dist('core/logger.js');
const memory = (await dist('channels/memory.js')).default;
const kafkaSink = (await dist('sinks/kafka.js')).default;
const N = Number(process.env.N ?? 200000), B = Number(process.argv[2] ?? 100);
const topic = `prof-${randomUUID().slice(0,8)}`;
const k = new Kafka({ brokers: [process.env.TSAGENT_KAFKA_BROKERS ?? '127.0.0.1:9092'], logLevel: logLevel.NOTHING }); const a = k.admin(); await a.connect(); await a.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }); await a.disconnect();
const ch = buildComponent(memory, 'c1', { capacity: String(N + 1000), transactionCapacity: '1000', byteCapacity: '0' }).instance; ch.start();
for (let i = 0; i < N; i += 1000) { const tx = ch.createTransaction(); tx.begin(); for (let j = i; j < i + 1000; j++) tx.put({ headers: {}, body: Buffer.from(`host${j%97}.example.com - - [01/Jul/1995:00:00:01 -0400] "GET /images/x-${j}.gif HTTP/1.0" 200 ${j}`) }); tx.commit(); tx.close(); }
const sink = buildComponent(kafkaSink, 'k1', { 'kafka.bootstrap.servers': process.env.TSAGENT_KAFKA_BROKERS ?? '127.0.0.1:9092', 'kafka.topic': topic, flumeBatchSize: String(B) }, { logger: new MemoryLogger() }).instance;
sink.start(ch); await sink.process();
const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.setSamplingInterval', { interval: 200 }); await s.post('Profiler.start');
const t0 = performance.now();
while ((await sink.process()) === 'READY');
const wall = (performance.now() - t0) / 1000;
const { profile } = await s.post('Profiler.stop');
console.log(`batch ${B}: ${Math.round((N - B) / wall)} ev/s`);
const byId = new Map(profile.nodes.map((n) => [n.id, n])); const cnt = new Map();
for (const id of profile.samples) { const n = byId.get(id); const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/')}:${n.callFrame.lineNumber}`; cnt.set(key, (cnt.get(key) ?? 0) + 1); }
const tot = profile.samples.length;
[...cnt].sort((a, b) => b[1] - a[1]).slice(0, 30).forEach(([k, c]) => console.log((100 * c / tot).toFixed(1).padStart(5), k));
await sink.stop();

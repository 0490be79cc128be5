/**
 * Kafka sink on the real broker (stack/): seed agent-1 settings end to end from netcat, Flume's
 * per-event options (topic override, key, partition, timestamp, header mapping), Flume's Avro
 * event format, failure → rollback, and SASL/PLAIN.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryChannel } from '../../src/channels/memory.js';
import { createEvent, type Event } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import { decodeAvroFlumeEvent } from '../../src/kafka/avro-event.js';
import kafkaSink, { KafkaSink } from '../../src/sinks/kafka.js';
import netcat, { type NetcatSource } from '../../src/sources/netcat.js';
import {
  createTopic, makeLines, memoryChannel, netcatSend, partitionCounts, readTopic, runSink, runSource, uniqueTopic, waitUntil,
  type RunningSink, type RunningSource,
} from '../kafka/helpers.js';
import { stackEnv } from './stack-env.js';

const env = stackEnv();
const brokers = env.kafkaBrokers.join(',');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function put(ch: MemoryChannel, events: Event[]): void {
  const tx = ch.createTransaction();
  tx.begin();
  for (const e of events) tx.put(e);
  tx.commit();
  tx.close();
}

describe('Kafka sink (real broker)', () => {
  it('runs the seed agent-1 settings: 200,000 netcat lines reach Kafka exactly once over 3 partitions', async () => {
    const topic = uniqueTopic('it-sink-seed');
    await createTopic(env.kafkaBrokers, topic, 3);
    const ch = memoryChannel(100000, 1000);
    const logger = new MemoryLogger();
    // Seed file: kafka.flumeBatchSize = 20 is not a Flume property (ignored → batch 100).
    const { problems } = buildComponent(kafkaSink, 'kafka_sink', { 'kafka.topic': topic, 'kafka.bootstrap.servers': brokers, 'kafka.flumeBatchSize': '20', 'kafka.producer.acks': '1' });
    expect(problems.map((p) => p.code)).toContain('UNKNOWN_PROPERTY');
    const sink: RunningSink<KafkaSink> = await runSink(kafkaSink, 'kafka_sink', { 'kafka.topic': topic, 'kafka.bootstrap.servers': brokers, 'kafka.flumeBatchSize': '20', 'kafka.producer.acks': '1' }, ch, { logger });
    cleanups.push(sink.stop);
    const src: RunningSource<NetcatSource> = await runSource(netcat, 'netcat_source', { bind: '127.0.0.1', port: '0' }, ch, { logger });
    cleanups.push(src.stop);

    const N = 200_000;
    const lines = makeLines(N, topic);
    const t0 = Date.now();
    const replies = await netcatSend(src.source.port!, lines);
    expect(replies.length).toBe(N);
    expect(replies.every((r) => r === 'OK')).toBe(true);
    expect(await waitUntil(() => sink.sink.counters.values.EventDrainSuccessCount === N, 120_000)).toBe(true);
    const secs = (Date.now() - t0) / 1000;
    console.log(`[kafka-sink] 200,000 lines netcat -> memory -> kafka in ${secs.toFixed(1)} s (${Math.round(N / secs)} events/s)`);

    const counts = await partitionCounts(env.kafkaBrokers, topic);
    console.log(`[kafka-sink] per-partition counts: ${counts.join(', ')}`);
    expect(counts).toHaveLength(3);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(N);
    for (const c of counts) expect(c).toBeGreaterThan(N / 10);
    const recs = await readTopic(env.kafkaBrokers, topic, N, 120_000);
    expect(recs.length).toBe(N);
    const seen = new Set(recs.map((r) => r.value.toString('utf8')));
    expect(seen.size).toBe(N);
    for (const l of [lines[0]!, lines[N / 2]!, lines[N - 1]!]) expect(seen.has(l)).toBe(true);
    expect(recs.every((r) => r.key === null)).toBe(true);
    const c = sink.sink.counters.values;
    expect(c.EventDrainAttemptCount).toBe(N);
    expect(c.RollbackCount).toBe(0);
    expect(c.BatchCompleteCount).toBe(0);
    // batch 100, not 20: at least N/100 sends; underflow/empty counted, never "complete"
    expect(c.BatchUnderflowCount + c.BatchEmptyCount).toBeGreaterThan(0);
  });

  it('applies topic override, key, partitionIdHeader, defaultPartitionId, timestampHeader and header.* mapping', async () => {
    const topic = uniqueTopic('it-sink-hdr');
    const other = uniqueTopic('it-sink-hdr-other');
    await createTopic(env.kafkaBrokers, topic, 3);
    await createTopic(env.kafkaBrokers, other, 3);
    const ch = memoryChannel(1000, 100);
    const sink: RunningSink<KafkaSink> = await runSink(kafkaSink, 'k1', {
      'kafka.topic': topic, 'kafka.bootstrap.servers': brokers, partitionIdHeader: 'pid', defaultPartitionId: '2',
      timestampHeader: 'ts', 'header.trace': 'x-trace', 'header.missing': 'x-missing',
    }, ch);
    cleanups.push(sink.stop);
    put(ch, [
      createEvent('to-default-partition', {}),
      createEvent('to-partition-0', { pid: '0', ts: '1700000000123', trace: 'abc' }),
      createEvent('with-key', { key: 'user-42', pid: '1' }),
      createEvent('overridden', { topic: other }),
      createEvent('bad-ts', { ts: 'yesterday', pid: '1' }),
    ]);
    expect(await waitUntil(() => sink.sink.counters.values.EventDrainSuccessCount === 5, 30_000)).toBe(true);
    const recs = await readTopic(env.kafkaBrokers, topic, 4, 30_000);
    const by = new Map(recs.map((r) => [r.value.toString(), r]));
    expect(by.get('to-default-partition')!.partition).toBe(2);
    const p0 = by.get('to-partition-0')!;
    expect(p0.partition).toBe(0);
    expect(p0.timestamp).toBe('1700000000123');
    expect(p0.headers['x-trace']!.toString()).toBe('abc');
    expect(p0.headers['x-missing']).toBeUndefined();
    const keyed = by.get('with-key')!;
    expect(keyed.key!.toString()).toBe('user-42');
    expect(keyed.partition).toBe(1);
    expect(by.get('bad-ts')!.partition).toBe(1);
    expect(Math.abs(Number(by.get('bad-ts')!.timestamp) - Date.now())).toBeLessThan(60_000);
    expect(by.has('overridden')).toBe(false);
    const o = await readTopic(env.kafkaBrokers, other, 1, 30_000);
    expect(o.map((r) => r.value.toString())).toEqual(['overridden']);
  });

  it('useFlumeEventFormat=true writes Avro AvroFlumeEvent records byte-compatible with Flume', async () => {
    const topic = uniqueTopic('it-sink-avro');
    await createTopic(env.kafkaBrokers, topic, 3);
    const ch = memoryChannel(1000, 100);
    const sink: RunningSink<KafkaSink> = await runSink(kafkaSink, 'k1', { 'kafka.topic': topic, 'kafka.bootstrap.servers': brokers, useFlumeEventFormat: 'true', defaultPartitionId: '0' }, ch);
    cleanups.push(sink.stop);
    put(ch, [createEvent('hi', {}), createEvent('héllo body', { host: 'web-1', 'ünï': 'çødé' })]);
    expect(await waitUntil(() => sink.sink.counters.values.EventDrainSuccessCount === 2, 30_000)).toBe(true);
    const recs = (await readTopic(env.kafkaBrokers, topic, 2, 30_000)).sort((a, b) => Number(a.offset) - Number(b.offset));
    // §6.3 vector: headers {} + body "hi" → 00 04 68 69
    expect(recs[0]!.value.toString('hex')).toBe('00046869');
    const e = decodeAvroFlumeEvent(recs[1]!.value);
    expect(e.headers).toEqual({ host: 'web-1', 'ünï': 'çødé' });
    expect(e.body.toString('utf8')).toBe('héllo body');
  });

  it('rolls back and keeps the events when a batch cannot be published (non-integer partition id)', async () => {
    const topic = uniqueTopic('it-sink-fail');
    await createTopic(env.kafkaBrokers, topic, 3);
    const ch = memoryChannel(1000, 100);
    const logger = new MemoryLogger();
    const sink = buildComponent(kafkaSink, 'k1', { 'kafka.topic': topic, 'kafka.bootstrap.servers': brokers, partitionIdHeader: 'pid' }, { logger }).instance as KafkaSink;
    sink.start(ch);
    cleanups.push(async () => { await sink.stop(); });
    put(ch, [createEvent('a', { pid: '0' }), createEvent('b', { pid: 'zero' })]);
    await expect(sink.process()).rejects.toThrow('Failed to publish events');
    const err = await sink.process().then(() => undefined, (e: unknown) => e as Error & { cause?: Error });
    expect(err?.cause?.message).toBe('Non integer partition id specified');
    expect(ch.size()).toBe(2);
    expect(sink.counters.values.RollbackCount).toBe(2);
    expect(sink.counters.values.EventDrainSuccessCount).toBe(0);
    expect(logger.lines.some((l) => l.includes('ERROR') && l.includes('Failed to publish events'))).toBe(true);
    // an out-of-range partition also fails the batch instead of dropping it
    const sink2 = buildComponent(kafkaSink, 'k2', { 'kafka.topic': topic, 'kafka.bootstrap.servers': brokers, defaultPartitionId: '7' }, { logger }).instance as KafkaSink;
    const ch2 = memoryChannel(1000, 100);
    sink2.start(ch2);
    cleanups.push(async () => { await sink2.stop(); });
    put(ch2, [createEvent('c')]);
    await expect(sink2.process()).rejects.toThrow('Failed to publish events');
    expect(ch2.size()).toBe(1);
    expect((await partitionCounts(env.kafkaBrokers, topic)).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('publishes over SASL/PLAIN with kafka.producer.security.protocol + sasl.mechanism + sasl.jaas.config', async () => {
    expect(env.kafkaSaslBrokers.length).toBeGreaterThan(0);
    const topic = uniqueTopic('it-sink-sasl');
    await createTopic(env.kafkaBrokers, topic, 3);
    const jaas = `org.apache.kafka.common.security.plain.PlainLoginModule required username="${env.kafkaSasl.username}" password="${env.kafkaSasl.password}";`;
    const ch = memoryChannel(1000, 100);
    const sink: RunningSink<KafkaSink> = await runSink(kafkaSink, 'k1', {
      'kafka.topic': topic, 'kafka.bootstrap.servers': env.kafkaSaslBrokers.join(','),
      'kafka.producer.security.protocol': 'SASL_PLAINTEXT', 'kafka.producer.sasl.mechanism': 'PLAIN', 'kafka.producer.sasl.jaas.config': jaas,
    }, ch);
    cleanups.push(sink.stop);
    put(ch, [createEvent('over-sasl-1'), createEvent('over-sasl-2')]);
    expect(await waitUntil(() => sink.sink.counters.values.EventDrainSuccessCount === 2, 30_000)).toBe(true);
    const recs = await readTopic(env.kafkaBrokers, topic, 2, 30_000);
    expect(recs.map((r) => r.value.toString()).sort()).toEqual(['over-sasl-1', 'over-sasl-2']);

    // wrong password: nothing is committed, the sink keeps the events and counts rollbacks
    const bad = jaas.replace(env.kafkaSasl.password, 'wrong-password');
    const logger = new MemoryLogger();
    const sink2 = buildComponent(kafkaSink, 'k2', {
      'kafka.topic': topic, 'kafka.bootstrap.servers': env.kafkaSaslBrokers.join(','),
      'kafka.producer.security.protocol': 'SASL_PLAINTEXT', 'kafka.producer.sasl.mechanism': 'PLAIN', 'kafka.producer.sasl.jaas.config': bad,
    }, { logger }).instance as KafkaSink;
    const ch2 = memoryChannel(1000, 100);
    sink2.start(ch2);
    cleanups.push(async () => { await sink2.stop(); });
    put(ch2, [createEvent('never')]);
    await expect(sink2.process()).rejects.toThrow('Failed to publish events');
    expect(ch2.size()).toBe(1);
    expect(sink2.counters.values.RollbackCount).toBe(1);
  });
});

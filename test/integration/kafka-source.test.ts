/**
 * Kafka source on the real broker (stack/): Flume's headers, seed agent-2 settings, offsets
 * committed only for events in the channel, backpressure when the channel is full (nothing
 * dropped or skipped), Flume-format (Avro) events written by the sink and read back, topic regex.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryChannel } from '../../src/channels/memory.js';
import { createEvent } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import kafkaSink, { type KafkaSink } from '../../src/sinks/kafka.js';
import kafkaSource, { type KafkaSource } from '../../src/sources/kafka.js';
import {
  createTopic, drainChannel, kafkaClient, memoryChannel, runSink, runSource, uniqueTopic, waitUntil, withAdmin,
  type RunningSink, type RunningSource,
} from '../kafka/helpers.js';
import { stackEnv } from './stack-env.js';

const env = stackEnv();
const brokers = env.kafkaBrokers.join(',');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

async function produce(topic: string, values: Array<{ value: string; key?: string; partition?: number }>): Promise<void> {
  const p = kafkaClient(env.kafkaBrokers).producer();
  await p.connect();
  for (let i = 0; i < values.length; i += 5000) {
    await p.send({ topic, acks: -1, messages: values.slice(i, i + 5000).map((v) => ({ value: v.value, key: v.key ?? null, ...(v.partition !== undefined ? { partition: v.partition } : {}) })) });
  }
  await p.disconnect();
}

async function committed(groupId: string, topic: string): Promise<number> {
  return withAdmin(env.kafkaBrokers, async (a) => {
    const r = await a.fetchOffsets({ groupId, topics: [topic] });
    return r[0]!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  });
}

describe('Kafka source (real broker)', () => {
  it('reads with the seed agent-2 settings and sets Flume headers (timestamp, topic, partition, offset, key)', async () => {
    const topic = uniqueTopic('it-src-hdr');
    const group = `g-${randomUUID()}`;
    await createTopic(env.kafkaBrokers, topic, 3);
    const before = Date.now();
    await produce(topic, [{ value: 'no-key', partition: 0 }, { value: 'keyed', key: 'k-1', partition: 1 }]);
    const ch = memoryChannel(100000, 1000);
    const src: RunningSource<KafkaSource> = await runSource(kafkaSource, 'kafka_source', {
      'kafka.bootstrap.servers': brokers, 'kafka.topics': topic, 'kafka.consumer.group.id': group,
      batchSize: '500', batchDurationMillis: '2000', 'kafka.consumer.auto.offset.reset': 'earliest',
    }, ch);
    cleanups.push(src.stop);
    expect(await waitUntil(() => ch.size() === 2, 30_000)).toBe(true);
    const events = drainChannel(ch);
    const by = new Map(events.map((e) => [e.body.toString(), e.headers]));
    const h0 = by.get('no-key')!;
    expect(h0['topic']).toBe(topic);
    expect(h0['partition']).toBe('0');
    expect(h0['offset']).toBe('0');
    expect(h0['key']).toBeUndefined();
    expect(Number(h0['timestamp'])).toBeGreaterThanOrEqual(before - 1000);
    expect(Number(h0['timestamp'])).toBeLessThanOrEqual(Date.now());
    const h1 = by.get('keyed')!;
    expect(h1['key']).toBe('k-1');
    expect(h1['partition']).toBe('1');
    expect(await waitUntil(async () => (await committed(group, topic)) === 2, 10_000)).toBe(true);
    const c = src.source.counters.values;
    expect(c.EventReceivedCount).toBe(2);
    expect(c.EventAcceptedCount).toBe(2);
  });

  it('starts a new group at the end of the topic by default (auto.offset.reset latest, as Kafka/Flume)', async () => {
    const topic = uniqueTopic('it-src-latest');
    await createTopic(env.kafkaBrokers, topic, 3);
    await produce(topic, [{ value: 'old-1' }, { value: 'old-2' }]);
    const ch = memoryChannel(1000, 100);
    const src: RunningSource<KafkaSource> = await runSource(kafkaSource, 'r1', {
      'kafka.bootstrap.servers': brokers, 'kafka.topics': topic, 'kafka.consumer.group.id': `g-${randomUUID()}`, batchSize: '100', batchDurationMillis: '200',
    }, ch);
    cleanups.push(src.stop);
    // wait until the group has joined (assignment logged) then produce new records
    await new Promise((r) => setTimeout(r, 3000));
    await produce(topic, [{ value: 'new-1' }]);
    expect(await waitUntil(() => ch.size() >= 1, 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(drainChannel(ch).map((e) => e.body.toString())).toEqual(['new-1']);
  });

  it('stops fetching when the channel is full and commits only what is in the channel; then delivers everything exactly once', async () => {
    const topic = uniqueTopic('it-src-bp');
    const group = `g-${randomUUID()}`;
    await createTopic(env.kafkaBrokers, topic, 3);
    const N = 20_000;
    await produce(topic, Array.from({ length: N }, (_, i) => ({ value: `line-${i}` })));
    const ch = memoryChannel(1000, 500);
    const logger = new MemoryLogger();
    const src: RunningSource<KafkaSource> = await runSource(kafkaSource, 'r1', {
      'kafka.bootstrap.servers': brokers, 'kafka.topics': topic, 'kafka.consumer.group.id': group,
      batchSize: '500', batchDurationMillis: '500', 'kafka.consumer.auto.offset.reset': 'earliest',
    }, ch, { logger });
    cleanups.push(src.stop);
    expect(await waitUntil(() => ch.size() === 1000, 30_000)).toBe(true);
    // channel full for a while: the source keeps failing the put (ChannelFullException after keep-alive)
    await new Promise((r) => setTimeout(r, 5000));
    expect(ch.size()).toBe(1000);
    expect(logger.lines.some((l) => l.includes('KafkaSource EXCEPTION'))).toBe(true);
    expect(await committed(group, topic)).toBe(1000);
    const got: string[] = [];
    await waitUntil(() => {
      for (const e of drainChannel(ch)) got.push(e.body.toString());
      return got.length >= N;
    }, 120_000, 20);
    await new Promise((r) => setTimeout(r, 1000));
    for (const e of drainChannel(ch)) got.push(e.body.toString());
    expect(got.length).toBe(N);
    expect(new Set(got).size).toBe(N);
    expect(await waitUntil(async () => (await committed(group, topic)) === N, 10_000)).toBe(true);
  });

  it('reads back Flume-format (Avro) events written by the sink with useFlumeEventFormat', async () => {
    const topic = uniqueTopic('it-src-avro');
    await createTopic(env.kafkaBrokers, topic, 3);
    const chIn = memoryChannel(1000, 100);
    const sink: RunningSink<KafkaSink> = await runSink(kafkaSink, 'k1', { 'kafka.bootstrap.servers': brokers, 'kafka.topic': topic, useFlumeEventFormat: 'true' }, chIn);
    cleanups.push(sink.stop);
    const tx = chIn.createTransaction();
    tx.begin();
    tx.put(createEvent('body-1', { host: 'web-1', timestamp: '1600000000000' }));
    tx.put(createEvent('body-2 ü', { partition: 'mine' }));
    tx.commit();
    tx.close();
    expect(await waitUntil(() => sink.sink.counters.values.EventDrainSuccessCount === 2, 30_000)).toBe(true);
    const ch = memoryChannel(1000, 100);
    const src: RunningSource<KafkaSource> = await runSource(kafkaSource, 'r1', {
      'kafka.bootstrap.servers': brokers, 'kafka.topics': topic, 'kafka.consumer.group.id': `g-${randomUUID()}`, useFlumeEventFormat: 'true',
      'kafka.consumer.auto.offset.reset': 'earliest', batchDurationMillis: '200',
    }, ch);
    cleanups.push(src.stop);
    expect(await waitUntil(() => ch.size() === 2, 30_000)).toBe(true);
    const by = new Map(drainChannel(ch).map((e) => [e.body.toString('utf8'), e.headers]));
    const a = by.get('body-1')!;
    expect(a['host']).toBe('web-1');
    expect(a['timestamp']).toBe('1600000000000'); // Avro header wins over the record timestamp
    expect(a['topic']).toBe(topic);
    const b = by.get('body-2 ü')!;
    expect(b['partition']).toBe('mine');
    expect(b['offset']).toMatch(/^\d+$/);
  });

  it('subscribes by kafka.topics.regex (whole-name match) and honours setTopicHeader=false', async () => {
    const base = uniqueTopic('it-src-re');
    await createTopic(env.kafkaBrokers, `${base}-a`, 1);
    await createTopic(env.kafkaBrokers, `${base}-b`, 1);
    await createTopic(env.kafkaBrokers, `x${base}-c`, 1);
    await produce(`${base}-a`, [{ value: 'from-a' }]);
    await produce(`${base}-b`, [{ value: 'from-b' }]);
    await produce(`x${base}-c`, [{ value: 'from-c' }]);
    const ch = memoryChannel(1000, 100);
    const src: RunningSource<KafkaSource> = await runSource(kafkaSource, 'r1', {
      'kafka.bootstrap.servers': brokers, 'kafka.topics.regex': `${base}-.*`, 'kafka.topics': 'ignored-topic', setTopicHeader: 'false',
      'kafka.consumer.group.id': `g-${randomUUID()}`, 'kafka.consumer.auto.offset.reset': 'earliest', batchDurationMillis: '200',
    }, ch);
    cleanups.push(src.stop);
    expect(await waitUntil(() => ch.size() === 2, 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    const ev = drainChannel(ch);
    expect(ev.map((e) => e.body.toString()).sort()).toEqual(['from-a', 'from-b']);
    expect(ev.every((e) => e.headers['topic'] === undefined)).toBe(true);
  });

  it('refuses a configuration without topics, as Flume', () => {
    expect(() => buildComponent(kafkaSource, 'r1', { 'kafka.bootstrap.servers': brokers })).toThrow('At least one Kafka topic must be specified.');
  });
});

describe('Kafka source rebalance (real broker)', () => {
  it('a second member joining while the first is blocked on a full channel loses nothing and commits nothing beyond the channel', async () => {
    const topic = uniqueTopic('it-src-rebal');
    const group = `g-${randomUUID()}`;
    await createTopic(env.kafkaBrokers, topic, 3);
    const N = 30_000;
    await produce(topic, Array.from({ length: N }, (_, i) => ({ value: `r-${i}` })));
    const props = {
      'kafka.bootstrap.servers': brokers, 'kafka.topics': topic, 'kafka.consumer.group.id': group,
      batchSize: '500', batchDurationMillis: '500', 'kafka.consumer.auto.offset.reset': 'earliest',
    };
    const chA = memoryChannel(2000, 500);
    const a: RunningSource<KafkaSource> = await runSource(kafkaSource, 'a', props, chA);
    cleanups.push(a.stop);
    expect(await waitUntil(() => chA.size() === 2000, 30_000)).toBe(true);
    // A is now blocked: channel full, its fetch loop held in onBatch (heartbeating)
    const chB = memoryChannel(100000, 1000);
    const b: RunningSource<KafkaSource> = await runSource(kafkaSource, 'b', props, chB);
    cleanups.push(b.stop);
    expect(await waitUntil(() => chB.size() > 0, 60_000)).toBe(true);
    // committed offsets never exceed what is in the channels
    expect(await committed(group, topic)).toBeLessThanOrEqual(chA.size() + chB.size());
    const got: string[] = [];
    const done = await waitUntil(() => {
      for (const e of drainChannel(chA)) got.push(e.body.toString());
      for (const e of drainChannel(chB)) got.push(e.body.toString());
      return new Set(got).size >= N;
    }, 120_000, 50);
    const distinct = new Set(got).size;
    console.log(`[kafka-source] rebalance: ${distinct} distinct of ${N}, ${got.length - distinct} duplicates; A rebalances ${a.source.rebalances}, B ${b.source.rebalances}`);
    expect(done).toBe(true);
    expect(a.source.rebalances).toBeGreaterThanOrEqual(2);
    expect(got.length - distinct).toBeLessThanOrEqual(2000 + 3 * 500);
  });
});

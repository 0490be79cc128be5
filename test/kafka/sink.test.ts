/**
 * Kafka sink logic with an in-memory producer (no broker): Flume's counters, commit only after
 * the send resolved, rollback on failure, deprecated names, topic escapes. The real-broker
 * behaviour is covered by test/integration/kafka-*.test.ts.
 */
import { describe, expect, it } from 'vitest';
import memory, { type MemoryChannel } from '../../src/channels/memory.js';
import { CounterRegistry } from '../../src/core/counters.js';
import type { ComponentContext } from '../../src/core/context.js';
import { EventDeliveryException } from '../../src/core/errors.js';
import { createEvent, type Event } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import type { KafkaProducerClient, TopicMessages } from '../../src/kafka/client.js';
import kafkaSinkSpec, { KafkaSink, type KafkaSinkProps } from '../../src/sinks/kafka.js';
import { decodeAvroFlumeEvent } from '../../src/kafka/avro-event.js';
import { javaHashMapOrder } from '../../src/core/java-hashmap-order.js';

class FakeProducer implements KafkaProducerClient {
  sent: TopicMessages[][] = [];
  fail: Error | undefined;
  gate: Promise<void> | undefined;
  async connect(): Promise<void> {}
  async sendBatch(batch: TopicMessages[]): Promise<void> {
    if (this.gate) await this.gate;
    if (this.fail) throw this.fail;
    this.sent.push(batch);
  }
  async disconnect(): Promise<void> {}
}

function setup(props: Record<string, string>, chCap = 1000) {
  const ch = buildComponent(memory, 'c1', { capacity: '10000', transactionCapacity: String(chCap) }).instance as MemoryChannel;
  ch.start();
  const logger = new MemoryLogger();
  const built = buildComponent(kafkaSinkSpec, 'k1', { 'kafka.bootstrap.servers': 'b:9092', ...props }, { logger, counters: new CounterRegistry() });
  const fake = new FakeProducer();
  const sink = new KafkaSink(built.ctx as unknown as ComponentContext<KafkaSinkProps>, () => fake);
  sink.start(ch);
  return { ch, sink, fake, logger, problems: built.problems };
}

function put(ch: MemoryChannel, events: Event[]): void {
  const tx = ch.createTransaction();
  tx.begin();
  for (const e of events) tx.put(e);
  tx.commit();
  tx.close();
}

const lines = (n: number): Event[] => Array.from({ length: n }, (_, i) => createEvent(`line-${i}`));

describe('Kafka sink (fake producer)', () => {
  it('counts like Flume: empty → BACKOFF + BatchEmptyCount, short batch → BatchUnderflowCount, full batch → nothing', async () => {
    const { ch, sink, fake } = setup({ 'kafka.topic': 't', flumeBatchSize: '10' });
    expect(await sink.process()).toBe('BACKOFF');
    put(ch, lines(25));
    expect(await sink.process()).toBe('READY');
    expect(await sink.process()).toBe('READY');
    expect(await sink.process()).toBe('READY');
    const c = sink.counters.values;
    expect(c).toMatchObject({ BatchEmptyCount: 1, BatchUnderflowCount: 1, BatchCompleteCount: 0, EventDrainAttemptCount: 25, EventDrainSuccessCount: 25, RollbackCount: 0 });
    expect(fake.sent.map((b) => b[0]!.messages.length)).toEqual([10, 10, 5]);
    expect(fake.sent[0]![0]!.topic).toBe('t');
    expect(fake.sent[0]![0]!.messages[0]).toEqual({ value: Buffer.from('line-0') });
  });

  it('useFlumeEventFormat writes the headers in the order of the java.util.HashMap Flume copies them into', async () => {
    const { ch, sink, fake } = setup({ 'kafka.topic': 't', useFlumeEventFormat: 'true' });
    const headers = { timestamp: '1', host: 'h', topic: 'x', file: '/f', basename: 'f', offset: '9' };
    put(ch, [createEvent('b', headers)]);
    await sink.process();
    const written = Object.keys(decodeAvroFlumeEvent(fake.sent[0]![0]!.messages[0]!.value as Buffer).headers);
    // java.util.HashMap order (the model is checked against a JVM in test/core/java-hashmap-order.test.ts)...
    expect(written).toEqual(javaHashMapOrder(Object.keys(headers)));
    // ... which for these names is not the order they were set in.
    expect(written).not.toEqual(Object.keys(headers));
  });

  it('ignores kafka.flumeBatchSize (uses 100) and warns about it', async () => {
    const { ch, sink, fake, problems } = setup({ 'kafka.topic': 't', 'kafka.flumeBatchSize': '20' });
    expect(problems.find((p) => p.key === 'kafka.flumeBatchSize')?.fix).toBe("did you mean 'flumeBatchSize'?");
    put(ch, lines(250));
    await sink.process();
    expect(fake.sent[0]![0]!.messages.length).toBe(100);
  });

  it('keeps the batch taken (not committed) until the send resolved; a failed send rolls back', async () => {
    const { ch, sink, fake, logger } = setup({ 'kafka.topic': 't', flumeBatchSize: '5' });
    put(ch, lines(5));
    let open!: () => void;
    fake.gate = new Promise((r) => { open = r; });
    fake.fail = new Error('broker down');
    const p = sink.process();
    expect(ch.size()).toBe(0); // taken by the open transaction
    open();
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EventDeliveryException);
    expect((err as Error).message).toBe('Failed to publish events');
    expect(((err as Error).cause as Error).message).toBe('broker down');
    expect(ch.size()).toBe(5);
    expect(sink.counters.values.RollbackCount).toBe(1);
    expect(sink.counters.values.EventDrainSuccessCount).toBe(0);
    expect(logger.lines.some((l) => l.startsWith('ERROR') && l.includes('Failed to publish events: broker down'))).toBe(true);
    fake.gate = undefined;
    fake.fail = undefined;
    expect(await sink.process()).toBe('READY');
    expect(ch.size()).toBe(0);
    expect(fake.sent[0]![0]!.messages.map((m) => String(m.value))).toEqual(['line-0', 'line-1', 'line-2', 'line-3', 'line-4']);
  });

  it('maps the deprecated names brokerList, topic, batchSize, requiredAcks with Flume\'s warning', () => {
    const ch = buildComponent(memory, 'c1', { capacity: '100', transactionCapacity: '100' }).instance as MemoryChannel;
    void ch;
    const { problems, instance } = buildComponent(kafkaSinkSpec, 'k1', { brokerList: 'old:9092', topic: 'old-topic', batchSize: '7', requiredAcks: 'all' });
    const msgs = problems.filter((p) => p.code === 'DEPRECATED_PROPERTY').map((p) => p.message).sort();
    expect(msgs).toEqual([
      'batchSize is deprecated. Please use the parameter flumeBatchSize',
      'brokerList is deprecated. Please use the parameter kafka.bootstrap.servers',
      'requiredAcks is deprecated. Please use the parameter kafka.producer.acks',
      'topic is deprecated. Please use the parameter kafka.topic',
    ]);
    const sink = instance as KafkaSink;
    expect(sink.producerSpec.brokers).toEqual(['old:9092']);
    expect(sink.producerSpec.acks).toBe(-1);
  });

  it('refuses a sink without bootstrap servers, and client settings it cannot honour', () => {
    expect(() => buildComponent(kafkaSinkSpec, 'k1', { 'kafka.topic': 't' })).toThrow(/kafka\.bootstrap\.servers/);
    expect(() => buildComponent(kafkaSinkSpec, 'k1', { 'kafka.bootstrap.servers': 'b:1', 'kafka.producer.security.protocol': 'SASL_SSL', 'kafka.producer.sasl.mechanism': 'GSSAPI', 'kafka.producer.sasl.jaas.config': 'x.Krb5LoginModule required;' }))
      .toThrow(/sasl.mechanism GSSAPI is not supported/);
    const { problems } = buildComponent(kafkaSinkSpec, 'k1', { 'kafka.bootstrap.servers': 'b:1', 'kafka.producer.compression.type': 'snappy' });
    expect(problems.find((p) => p.key === 'kafka.producer.compression.type')?.severity).toBe('warning');
  });

  it('logs Flume\'s default-topic warning when kafka.topic is absent', async () => {
    const { ch, sink, fake, logger } = setup({});
    expect(logger.lines).toContain('WARN [k1] Topic was not specified. Using default-flume-topic as the topic.');
    put(ch, lines(1));
    await sink.process();
    expect(fake.sent[0]![0]!.topic).toBe('default-flume-topic');
  });

  it.each<{ name: string; props: Record<string, string>; headers: Record<string, string>; topic: string }>([
    { name: 'header topic wins', props: { 'kafka.topic': 'logs-%{dc}' }, headers: { topic: 'direct', dc: 'east' }, topic: 'direct' },
    { name: 'escapes expanded when the header is absent', props: { 'kafka.topic': 'logs-%{dc}' }, headers: { dc: 'east' }, topic: 'logs-east' },
    { name: 'missing escape header → empty', props: { 'kafka.topic': 'logs-%{dc}' }, headers: {}, topic: 'logs-' },
    { name: 'custom topicHeader', props: { 'kafka.topic': 't', topicHeader: 'dest' }, headers: { dest: 'd', topic: 'x' }, topic: 'd' },
    { name: 'no override: static topic, escapes not expanded', props: { 'kafka.topic': 'logs-%{dc}', allowTopicOverride: 'false' }, headers: { topic: 'x', dc: 'east' }, topic: 'logs-%{dc}' },
  ])('topic: $name', async ({ props, headers, topic }) => {
    const { ch, sink, fake } = setup(props);
    put(ch, [createEvent('b', headers)]);
    await sink.process();
    expect(fake.sent[0]![0]!.topic).toBe(topic);
  });

  it('groups a batch by topic and builds records with key, partition, timestamp and mapped headers', async () => {
    const { ch, sink, fake, logger } = setup({ 'kafka.topic': 't', partitionIdHeader: 'p', defaultPartitionId: '1', timestampHeader: 'ts', 'header.a': 'x-a' });
    put(ch, [
      createEvent('1', { key: 'k', p: '2', ts: '1700000000000', a: 'va' }),
      createEvent('2', { topic: 'other' }),
      createEvent('3', { ts: 'bad' }),
    ]);
    await sink.process();
    const b = fake.sent[0]!;
    expect(b.map((t) => t.topic)).toEqual(['t', 'other']);
    expect(b[0]!.messages[0]).toEqual({ value: Buffer.from('1'), key: 'k', partition: 2, timestamp: '1700000000000', headers: { 'x-a': Buffer.from('va') } });
    expect(b[0]!.messages[1]).toEqual({ value: Buffer.from('3'), partition: 1 });
    expect(b[1]!.messages[0]).toEqual({ value: Buffer.from('2'), partition: 1 });
    expect(logger.lines).toContain('WARN [k1] Invalid timestamp in header ts - bad');
  });
});

/**
 * Kafka source logic with an in-memory consumer (no broker): offsets committed only after the
 * channel accepted the batch, a refused batch kept and retried, backpressure (onBatch held while
 * the queue is full), rebalance drops unsent records, Flume's headers and Avro decoding, batch
 * limits and counters. Real-broker behaviour: test/integration/kafka-source.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ChannelProcessor } from '../../src/core/contracts.js';
import type { ComponentContext } from '../../src/core/context.js';
import { CounterRegistry } from '../../src/core/counters.js';
import { ChannelFullException } from '../../src/core/errors.js';
import type { Event } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import { encodeAvroFlumeEvent } from '../../src/kafka/avro-event.js';
import type { ConsumerHandlers, FetchedBatch, FetchedRecord, KafkaConsumerClient, TopicSubscription } from '../../src/kafka/client.js';
import kafkaSourceSpec, { KafkaSource, type KafkaSourceProps } from '../../src/sources/kafka.js';

type Offsets = ReadonlyArray<{ topic: string; partition: number; offset: string }>;

class FakeConsumer implements KafkaConsumerClient {
  handlers!: ConsumerHandlers;
  sub!: TopicSubscription;
  commits: Offsets[] = [];
  failCommit: Error | undefined;
  heartbeats = 0;
  rebalanceOnHeartbeat = false;
  async start(sub: TopicSubscription, h: ConsumerHandlers): Promise<void> { this.sub = sub; this.handlers = h; }
  async commit(o: Offsets): Promise<void> {
    if (this.failCommit) throw this.failCommit;
    this.commits.push(o);
  }
  async stop(): Promise<void> {}
  deliver(b: FetchedBatch): Promise<void> {
    return this.handlers.onBatch(b, async () => {
      this.heartbeats++;
      if (this.rebalanceOnHeartbeat) { this.handlers.onRebalance('rebalancing'); throw new Error('The group is rebalancing'); }
    }, () => false);
  }
}

class FakeProcessor implements ChannelProcessor {
  readonly maxBatchSize = 100000;
  batches: Event[][] = [];
  fail: Error | undefined;
  onPut: (() => void) | undefined;
  async processEventBatch(events: Event[]): Promise<void> {
    this.onPut?.();
    if (this.fail) throw this.fail;
    this.batches.push(events);
  }
  async processEvent(e: Event): Promise<void> { return this.processEventBatch([e]); }
}

const rec = (offset: number, value: string, extra: Partial<FetchedRecord> = {}): FetchedRecord =>
  ({ key: null, value: Buffer.from(value), timestamp: '1700000000000', offset: String(offset), ...extra });
const batchOf = (topic: string, partition: number, from: number, n: number): FetchedBatch =>
  ({ topic, partition, records: Array.from({ length: n }, (_, i) => rec(from + i, `${topic}-${partition}-${from + i}`)) });

async function setup(props: Record<string, string> = {}) {
  const logger = new MemoryLogger();
  const topics: Record<string, string> = 'topic' in props ? {} : { 'kafka.topics': 't' };
  const built = buildComponent(kafkaSourceSpec, 'r1', { 'kafka.bootstrap.servers': 'b:9092', ...topics, batchDurationMillis: '50', ...props }, { logger, counters: new CounterRegistry() });
  const fake = new FakeConsumer();
  const src = new KafkaSource(built.ctx as unknown as ComponentContext<KafkaSourceProps>, () => fake);
  const proc = new FakeProcessor();
  await src.start(proc);
  return { src, fake, proc, logger, problems: built.problems };
}

describe('Kafka source (fake consumer)', () => {
  it('puts a batch, then commits exactly the next offsets of the records in it', async () => {
    const { src, fake, proc } = await setup({ batchSize: '5' });
    let commitsAtPut = -1;
    proc.onPut = () => { commitsAtPut = fake.commits.length; };
    await fake.deliver(batchOf('t', 0, 10, 3));
    await fake.deliver(batchOf('t', 2, 0, 4));
    expect(await src.process()).toBe('READY');
    expect(commitsAtPut).toBe(0); // nothing committed before the channel accepted the batch
    expect(proc.batches[0]!.map((e) => e.body.toString())).toEqual(['t-0-10', 't-0-11', 't-0-12', 't-2-0', 't-2-1']);
    expect(fake.commits).toEqual([[{ topic: 't', partition: 0, offset: '13' }, { topic: 't', partition: 2, offset: '2' }]]);
    expect(await src.process()).toBe('READY');
    expect(fake.commits[1]).toEqual([{ topic: 't', partition: 2, offset: '4' }]);
    const c = src.counters.values;
    expect(c.EventReceivedCount).toBe(7);
    expect(c.EventAcceptedCount).toBe(7);
  });

  it('keeps a batch the channel refused, commits nothing, and retries the same events first', async () => {
    const { src, fake, proc, logger } = await setup({ batchSize: '3' });
    await fake.deliver(batchOf('t', 1, 0, 5));
    proc.fail = new ChannelFullException("Space for commit to queue couldn't be acquired.");
    expect(await src.process()).toBe('BACKOFF');
    expect(await src.process()).toBe('BACKOFF');
    expect(fake.commits).toEqual([]);
    expect(logger.lines.filter((l) => l.startsWith('ERROR [r1] KafkaSource EXCEPTION, Space for commit')).length).toBe(2);
    proc.fail = undefined;
    expect(await src.process()).toBe('READY');
    expect(proc.batches[0]!.map((e) => e.headers['offset'])).toEqual(['0', '1', '2']);
    expect(fake.commits).toEqual([[{ topic: 't', partition: 1, offset: '3' }]]);
    expect(src.counters.values.EventReceivedCount).toBe(3);
    expect(src.counters.values.EventAcceptedCount).toBe(3);
  });

  it('commits offsets whose commit failed together with the next batch (or on an idle call)', async () => {
    const { src, fake } = await setup({ batchSize: '2' });
    await fake.deliver(batchOf('t', 0, 0, 2));
    fake.failCommit = new Error('coordinator moved');
    expect(await src.process()).toBe('BACKOFF');
    fake.failCommit = undefined;
    expect(await src.process()).toBe('BACKOFF'); // no records: the pending commit is retried
    expect(fake.commits).toEqual([[{ topic: 't', partition: 0, offset: '2' }]]);
  });

  it('holds the fetch loop (backpressure) while the queue is full and heartbeats meanwhile', async () => {
    const { src, fake } = await setup({ batchSize: '1000' });
    await fake.deliver(batchOf('t', 0, 0, 2000)); // fills the queue to its high-water mark (2 × batchSize)
    let released = false;
    const held = fake.deliver(batchOf('t', 0, 2000, 10)).then(() => { released = true; });
    await new Promise((r) => setTimeout(r, 1200));
    expect(released).toBe(false);
    expect(fake.heartbeats).toBeGreaterThanOrEqual(1);
    await src.process(); // takes 1000 → room again
    await held;
    expect(released).toBe(true);
  });

  it('drops queued records on a rebalance (they are re-read from the committed offsets), never commits them', async () => {
    const { src, fake, proc } = await setup({ batchSize: '1000' });
    await fake.deliver(batchOf('t', 0, 0, 2000));
    fake.rebalanceOnHeartbeat = true;
    await expect(fake.deliver(batchOf('t', 0, 2000, 10))).rejects.toThrow('rebalancing');
    expect(await src.process()).toBe('BACKOFF');
    expect(proc.batches).toEqual([]);
    expect(fake.commits).toEqual([]);
    expect(src.counters.values.KafkaEmptyCount).toBe(1);
  });

  it('sets Flume headers: timestamp, topic, partition, offset (only if absent) and key (always)', async () => {
    const { src, fake, proc } = await setup({ useFlumeEventFormat: 'true', 'header.trace': 'x-trace' });
    const avro = (h: Record<string, string>, b: string): Buffer => encodeAvroFlumeEvent(h, Buffer.from(b));
    await fake.deliver({ topic: 't', partition: 2, records: [
      rec(7, '', { value: avro({ timestamp: '1', topic: 'orig', key: 'old' }, 'a'), key: Buffer.from('new-key') }),
      rec(8, '', { value: avro({}, 'b'), headers: { 'x-trace': Buffer.from('abc') } }),
      rec(9, '', { value: Buffer.from([0x02]) }), // not an AvroFlumeEvent: logged and skipped
    ] });
    await src.process();
    const [a, b] = proc.batches[0]!;
    expect(a!.headers).toEqual({ timestamp: '1', topic: 'orig', key: 'new-key', partition: '2', offset: '7' });
    expect(a!.body.toString()).toBe('a');
    expect(b!.headers).toEqual({ timestamp: '1700000000000', topic: 't', partition: '2', offset: '8', trace: 'abc' });
    expect(proc.batches[0]).toHaveLength(2);
    expect(fake.commits[0]).toEqual([{ topic: 't', partition: 2, offset: '10' }]);
  });

  it('moves past records that are not Flume events when nothing else was read (commits their offsets)', async () => {
    const { src, fake, proc } = await setup({ useFlumeEventFormat: 'true' });
    await fake.deliver({ topic: 't', partition: 0, records: [rec(4, '', { value: Buffer.from([0x02]) })] });
    expect(await src.process()).toBe('BACKOFF');
    expect(proc.batches).toEqual([]);
    expect(fake.commits).toEqual([[{ topic: 't', partition: 0, offset: '5' }]]);
  });

  it('ends an empty batch after batchDurationMillis with KafkaEmptyCount and BACKOFF', async () => {
    const { src } = await setup({ batchDurationMillis: '200' });
    const t0 = Date.now();
    expect(await src.process()).toBe('BACKOFF');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(src.counters.values.KafkaEmptyCount).toBe(1);
  });

  it('returns a partial batch when batchDurationMillis expires', async () => {
    const { src, fake, proc } = await setup({ batchSize: '100', batchDurationMillis: '300' });
    await fake.deliver(batchOf('t', 0, 0, 3));
    setTimeout(() => void fake.deliver(batchOf('t', 1, 0, 2)), 100);
    expect(await src.process()).toBe('READY');
    expect(proc.batches[0]).toHaveLength(5);
  });

  it.each<{ props: Record<string, string>; sub: TopicSubscription }>([
    { props: { 'kafka.topics': ' a , b,c ' }, sub: { topics: ['a', 'b', 'c'] } },
    { props: { 'kafka.topics': 'a', 'kafka.topics.regex': 'logs-.*' }, sub: { regex: /^(?:logs-.*)$/ } },
    { props: { topic: 'legacy' }, sub: { topics: ['legacy'] } },
  ])('subscribes to $props', async ({ props, sub }) => {
    const { fake } = await setup(props);
    expect(fake.sub).toEqual(sub);
  });

  it('uses group id flume by default (logging Flume\'s INFO line) and maps the deprecated groupId', async () => {
    const a = await setup();
    expect(a.src.consumerSpec.groupId).toBe('flume');
    expect(a.logger.lines).toContain('INFO [r1] Group ID was not specified. Using flume as the group id.');
    const b = await setup({ groupId: 'legacy-group' });
    expect(b.src.consumerSpec.groupId).toBe('legacy-group');
    expect(b.problems.map((p) => p.message)).toContain('groupId is deprecated. Please use the parameter kafka.consumer.group.id');
  });
});

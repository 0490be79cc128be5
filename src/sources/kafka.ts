/**
 * Kafka source (org.apache.flume.source.kafka.KafkaSource, short name `kafka`) with Flume 1.11's
 * semantics (flume-compat §7). It is a pollable source: each `process()` builds one batch of up to
 * batchSize records, or whatever arrived within batchDurationMillis, puts it through the channel
 * processor, and only THEN commits the offsets of exactly those records (at-least-once).
 *
 * Fetching (kafkajs, src/kafka/client.ts) runs in the background and hands each fetched
 * partition batch to `onBatch`, which appends it to a bounded queue. When the queue is full
 * (the channel is not keeping up), `onBatch` does not return - kafkajs fetches nothing more until
 * it does - and keeps the group membership alive with heartbeats (backpressure; nothing dropped
 * or skipped). A rebalance (heartbeat fails inside `onBatch`, or the group is re-joined) discards
 * the queued records that are not yet in the channel: kafkajs re-reads from the committed offsets
 * after re-joining, and no offset beyond what reached the channel is ever committed.
 *
 * Error handling as Flume: any failure in `process()` (channel full, commit failed) is logged as
 * `KafkaSource EXCEPTION, <message>` and returns BACKOFF; a batch the channel refused is kept and
 * retried first on the next call, and offsets whose commit failed are committed with the next batch.
 */
import type { ChannelProcessor, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { KAFKA_SOURCE_COUNTERS, type CounterGroup } from '../core/counters.js';
import { errorMessage } from '../core/errors.js';
import type { Event } from '../core/event.js';
import { BACKOFF, READY, type Status } from '../core/lifecycle.js';
import { defineSource, type PropsOf } from '../core/spec.js';
import { Waiters } from '../core/waiters.js';
import { decodeAvroFlumeEvent } from '../kafka/avro-event.js';
import { createConsumer, type FetchedBatch, type KafkaConsumerClient, type TopicSubscription } from '../kafka/client.js';
import { logNotes, notesToProblems } from '../kafka/flume-props.js';
import { mapConsumerProperties, type ConsumerSpec } from '../kafka/properties.js';
import { markHeadersCopied } from '../core/java-hashmap-order.js';

const properties = {
  'kafka.bootstrap.servers': { type: 'string', required: true, description: 'Comma-separated host:port list of brokers to bootstrap from.' },
  'kafka.topics': { type: 'string', deprecatedNames: ['topic'], description: 'Comma-separated list of topics to read.' },
  'kafka.topics.regex': { type: 'string', description: 'Java regular expression of topics to subscribe to (full-name match); takes precedence over kafka.topics.' },
  'kafka.consumer.group.id': { type: 'string', default: 'flume', deprecatedNames: ['groupId'], description: 'Consumer group id.' },
  batchSize: { type: 'integer', default: 1000, min: 1, description: 'Maximum records per channel batch.' },
  batchDurationMillis: { type: 'integer', default: 1000, min: 0, description: 'Maximum time (ms) spent filling one batch.' },
  backoffSleepIncrement: { type: 'integer', default: 1000, min: 0, description: 'Runner sleep increment (ms) after an empty batch.' },
  maxBackoffSleep: { type: 'integer', default: 5000, min: 0, description: 'Maximum runner sleep (ms) after empty batches.' },
  useFlumeEventFormat: { type: 'boolean', default: false, description: 'Read record values as Avro AvroFlumeEvent (headers + body), as written by a Kafka sink with useFlumeEventFormat.' },
  setTopicHeader: { type: 'boolean', default: true, description: 'Store the record topic in the topicHeader header.' },
  topicHeader: { type: 'string', default: 'topic', description: 'Header name for the topic (with setTopicHeader).' },
  zookeeperConnect: { type: 'string', ignored: 'ZooKeeper-based consumers were removed; use kafka.bootstrap.servers', description: 'Deprecated (no effect).' },
  migrateZookeeperOffsets: { type: 'boolean', ignored: 'there are no ZooKeeper offsets to migrate', description: 'Deprecated (no effect).' },
} as const;

export type KafkaSourceProps = PropsOf<typeof properties>;

const CONSUMER_PREFIX = 'kafka.consumer.';
const EMPTY = Buffer.alloc(0);

function consumerProps(raw: ReadonlyMap<string, string>): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of raw) if (k.startsWith(CONSUMER_PREFIX) && k !== 'kafka.consumer.group.id') m.set(k.slice(CONSUMER_PREFIX.length), v);
  return m;
}

function headerMapping(raw: ReadonlyMap<string, string>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of raw) if (k.startsWith('header.') && k.length > 7) out.push([k.slice(7), v.trim()]);
  return out;
}

/** Topic list as Flume splits it (`\s*,\s*`), or the anchored regex (Java matches whole names). */
export function subscriptionOf(props: KafkaSourceProps): TopicSubscription | undefined {
  const re = props['kafka.topics.regex'];
  if (re !== undefined && re.trim() !== '') return { regex: new RegExp(`^(?:${re.trim()})$`) };
  const list = props['kafka.topics'];
  if (list === undefined) return undefined;
  const topics = list.trim().split(/\s*,\s*/).filter((t) => t.length > 0);
  return topics.length > 0 ? { topics } : undefined;
}

interface Chunk {
  topic: string;
  partition: number;
  partitionStr: string;
  records: FetchedBatch['records'];
  next: number;
}

export class KafkaSource implements Source {
  readonly counters: CounterGroup<(typeof KAFKA_SOURCE_COUNTERS)[number]>;
  readonly consumerSpec: ConsumerSpec;
  private processor: ChannelProcessor | undefined;
  private client: KafkaConsumerClient | undefined;
  private running = false;
  private crashed = false;
  private readonly subscription: TopicSubscription;
  private readonly headerMap: Array<[string, string]>;
  /** Fetched records not yet turned into events (bounded by highWater). */
  private queue: Chunk[] = [];
  private queued = 0;
  private readonly highWater: number;
  private readonly recordsArrived = new Waiters();
  private readonly spaceFreed = new Waiters();
  /** A batch built but not yet accepted by the channel (kept across a failed put). */
  private pending: Event[] = [];
  /** Next offsets to commit, per `topic\0partition`, for records already in the channel or in `pending`. */
  private offsets = new Map<string, { topic: string; partition: number; offset: string }>();
  /** Offsets of `pending` only become committable once `pending` is in the channel. */
  private committable = new Map<string, { topic: string; partition: number; offset: string }>();
  rebalances = 0;

  constructor(private readonly ctx: ComponentContext<KafkaSourceProps>, private readonly clientFactory = createConsumer) {
    this.counters = ctx.counters('SOURCE', KAFKA_SOURCE_COUNTERS);
    const p = ctx.props;
    if (!ctx.raw.has('kafka.consumer.group.id')) ctx.logger.info('Group ID was not specified. Using flume as the group id.');
    const mapped = mapConsumerProperties(p['kafka.bootstrap.servers'], p['kafka.consumer.group.id'], consumerProps(ctx.raw));
    this.consumerSpec = mapped.spec;
    logNotes(ctx.logger, mapped.notes, CONSUMER_PREFIX);
    const sub = subscriptionOf(p);
    if (!sub) throw new Error('At least one Kafka topic must be specified.');
    this.subscription = sub;
    this.headerMap = headerMapping(ctx.raw);
    this.highWater = Math.max(2 * p.batchSize, 2000);
  }

  async start(processor: ChannelProcessor): Promise<void> {
    this.processor = processor;
    this.running = true;
    this.counters.start();
    await this.startConsumer();
  }

  private async startConsumer(): Promise<void> {
    const client = this.clientFactory(this.consumerSpec, this.ctx.logger);
    this.client = client;
    try {
      await client.start(this.subscription, {
        onBatch: (b, hb) => this.onBatch(b, hb),
        onRebalance: (what) => this.onRebalance(what),
        onCrash: (e, restart) => {
          this.ctx.logger.error(`Kafka consumer crashed: ${errorMessage(e)}${restart ? ' (the client restarts it)' : '; restarting it'}`);
          if (!restart) this.crashed = true;
          this.onRebalance('crash');
        },
      });
    } catch (e) {
      this.client = undefined;
      this.crashed = true; // process() tries again
      await client.stop().catch(() => undefined);
      throw e;
    }
    this.crashed = false;
  }

  /** Called by the fetch loop with one partition's records; resolves when they are queued. */
  private async onBatch(b: FetchedBatch, heartbeat: () => Promise<void>): Promise<void> {
    // Backpressure: do not return (so kafkajs fetches nothing more) while the queue is full.
    while (this.running && this.queued >= this.highWater) {
      await this.spaceFreed.wait(1000);
      await heartbeat(); // throws when the group rebalances; kafkajs then re-joins without resolving this batch
    }
    if (!this.running) return;
    if (b.records.length === 0) return;
    this.queue.push({ topic: b.topic, partition: b.partition, partitionStr: String(b.partition), records: b.records, next: 0 });
    this.queued += b.records.length;
    this.recordsArrived.wake();
  }

  private onRebalance(what: string): void {
    this.rebalances++;
    if (this.queued > 0) {
      this.ctx.logger.info(`group ${what}: dropping ${this.queued} fetched records not yet in the channel (they are read again from the committed offsets)`);
    }
    this.queue = [];
    this.queued = 0;
    this.spaceFreed.wake();
  }

  /** Converts the next records into `pending` (up to `max` events). */
  private drainQueue(max: number): void {
    const p = this.ctx.props;
    const avro = p.useFlumeEventFormat;
    const setTopic = p.setTopicHeader;
    const topicHeader = p.topicHeader;
    const hmap = this.headerMap;
    while (this.pending.length < max && this.queue.length > 0) {
      const ch = this.queue[0]!;
      const recs = ch.records;
      let i = ch.next;
      let lastOffset: string | undefined;
      for (; i < recs.length && this.pending.length < max; i++) {
        const r = recs[i]!;
        lastOffset = r.offset;
        let headers: Record<string, string>;
        let body: Buffer;
        if (avro) {
          try {
            const e = decodeAvroFlumeEvent(r.value ?? EMPTY);
            headers = e.headers;
            body = e.body;
          } catch (err) {
            // Flume: the record is consumed, the exception logged; later offsets move past it.
            this.ctx.logger.error(`KafkaSource EXCEPTION, ${errorMessage(err)} (topic ${ch.topic} partition ${ch.partition} offset ${r.offset}; record skipped)`);
            continue;
          }
        } else {
          headers = {};
          body = r.value ?? EMPTY;
        }
        // Flume's put order (it decides the order inside a HashMap bucket): timestamp, the mapped
        // Kafka headers (which may overwrite it), topic, partition, offset, key.
        if (headers['timestamp'] === undefined) headers['timestamp'] = r.timestamp;
        if (hmap.length > 0 && r.headers) {
          for (const [fh, kh] of hmap) {
            const v = r.headers[kh];
            if (v === undefined) continue;
            const last = Array.isArray(v) ? v[v.length - 1] : v;
            if (last !== undefined) headers[fh] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
          }
        }
        if (setTopic && headers[topicHeader] === undefined) headers[topicHeader] = ch.topic;
        if (headers['partition'] === undefined) headers['partition'] = ch.partitionStr;
        if (headers['offset'] === undefined) headers['offset'] = r.offset;
        if (r.key !== null) headers['key'] = r.key.toString('utf8');
        // Flume fills a HashMap (new HashMap<>(4), or a new HashMap<>() for Avro events) and
        // EventBuilder.withBody copies it.
        markHeadersCopied(headers, avro ? 16 : 4);
        this.pending.push({ headers, body });
      }
      const taken = i - ch.next;
      ch.next = i;
      this.queued -= taken;
      if (lastOffset !== undefined) {
        this.offsets.set(`${ch.topic}\0${ch.partition}`, { topic: ch.topic, partition: ch.partition, offset: String(BigInt(lastOffset) + 1n) });
      }
      if (i >= recs.length) this.queue.shift();
    }
    if (this.queued < this.highWater) this.spaceFreed.wake();
  }

  async process(): Promise<Status> {
    if (!this.running) return BACKOFF;
    const c = this.counters.values;
    try {
      if (this.crashed) {
        await this.client?.stop().catch(() => undefined);
        await this.startConsumer();
      }
      const p = this.ctx.props;
      const batchSize = p.batchSize;
      if (this.pending.length === 0) {
        const t0 = Date.now();
        const deadline = t0 + p.batchDurationMillis;
        while (this.pending.length < batchSize && Date.now() < deadline) {
          if (this.queued === 0) {
            await this.recordsArrived.wait(deadline - Date.now());
            if (!this.running) return BACKOFF;
            if (this.queued === 0) {
              c.KafkaEmptyCount++;
              break;
            }
          }
          this.drainQueue(batchSize);
        }
        if (this.pending.length > 0) {
          c.KafkaEventGetTimer += Date.now() - t0;
          c.EventReceivedCount += this.pending.length;
        } else if (this.offsets.size > 0) {
          // only undecodable records were read: nothing to put, move past them
          for (const [k, v] of this.offsets) this.committable.set(k, v);
          this.offsets = new Map();
        }
      }
      if (this.pending.length > 0) {
        const batch = this.pending;
        // The offsets of this batch (and of earlier ones whose commit failed) become committable
        // only once the channel accepted it.
        const snapshot = this.offsets;
        await this.processor!.processEventBatch(batch);
        c.EventAcceptedCount += batch.length;
        this.pending = [];
        for (const [k, v] of snapshot) this.committable.set(k, v);
        this.offsets = new Map();
        await this.commit();
        return READY;
      }
      if (this.committable.size > 0) await this.commit(); // retry a commit that failed earlier
      return BACKOFF;
    } catch (e) {
      this.ctx.logger.error(`KafkaSource EXCEPTION, ${errorMessage(e)}`);
      return BACKOFF;
    }
  }

  private async commit(): Promise<void> {
    if (this.committable.size === 0 || !this.client) return;
    const list = [...this.committable.values()];
    const t0 = Date.now();
    await this.client.commit(list);
    this.counters.values.KafkaCommitTimer += Date.now() - t0;
    // Only forget what was committed (a newer offset may have been added meanwhile: keep it).
    for (const o of list) {
      const k = `${o.topic}\0${o.partition}`;
      if (this.committable.get(k) === o) this.committable.delete(k);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.recordsArrived.wake();
    this.spaceFreed.wake();
    const cl = this.client;
    if (cl && this.committable.size > 0) {
      await this.commit().catch((e: unknown) => this.ctx.logger.warn(`committing offsets at stop failed: ${errorMessage(e)}`));
    }
    this.client = undefined;
    if (cl) {
      try {
        await cl.stop();
      } catch (e) {
        this.ctx.logger.warn(`closing the Kafka consumer failed: ${errorMessage(e)}`);
      }
    }
    this.queue = [];
    this.queued = 0;
    this.pending = [];
    this.counters.stop();
  }
}

export default defineSource({
  kind: 'source',
  type: 'kafka',
  aliases: ['org.apache.flume.source.kafka.KafkaSource'],
  description: 'Reads records from Kafka topics with a consumer group; offsets are committed only after the events are in the channel.',
  properties,
  passThrough: [
    { prefix: CONSUMER_PREFIX, description: 'Kafka consumer settings (auto.offset.reset, session.timeout.ms, security.protocol, sasl.*, ssl.*, ...); see docs/kafka.md for what tsagent honours.' },
    { prefix: 'header.', description: 'header.<flumeHeader> = <kafkaHeaderName>: copy a Kafka record header into a Flume header.' },
  ],
  batchSizeProperty: 'batchSize',
  check: (props, raw) => {
    const out = notesToProblems(mapConsumerProperties(props['kafka.bootstrap.servers'], props['kafka.consumer.group.id'], consumerProps(raw)).notes, CONSUMER_PREFIX, raw);
    if (props['kafka.bootstrap.servers'].trim() === '') {
      out.push({ severity: 'error', code: 'MISSING_PROPERTY', key: 'kafka.bootstrap.servers', message: 'Bootstrap Servers must be specified', fix: 'set kafka.bootstrap.servers = host:port[,host:port]' });
    }
    const re = props['kafka.topics.regex'];
    if (re !== undefined && re.trim() !== '') {
      try {
        new RegExp(re.trim());
      } catch (e) {
        out.push({ severity: 'error', code: 'BAD_VALUE', key: 'kafka.topics.regex', value: re, message: `invalid regular expression: ${errorMessage(e)}`, fix: 'fix the pattern' });
      }
    } else if (!subscriptionOf(props)) {
      out.push({ severity: 'error', code: 'MISSING_PROPERTY', key: 'kafka.topics', message: 'At least one Kafka topic must be specified.', fix: 'set kafka.topics = <topic>[,<topic>] or kafka.topics.regex = <pattern>' });
    }
    return out;
  },
  create: (ctx: ComponentContext<KafkaSourceProps>) => new KafkaSource(ctx),
});

/**
 * The only module that touches the Kafka client library (kafkajs 2.2.4, pure JavaScript, loaded
 * lazily on first connect). Sinks and sources use the small interfaces below; swapping the client
 * means rewriting this file only.
 *
 * Partitioning (producer): a record with a partition (partitionIdHeader / defaultPartitionId)
 * goes there; a record with a key goes to murmur2(key) % partitions (the Java client's
 * DefaultPartitioner, so keys land where Flume would put them); records WITHOUT a key (netcat
 * lines) stick to one partition per Flume batch, and the next batch moves to the next available
 * partition (round-robin). That is the Java client's "sticky" behaviour as Flume 1.11 exhibits
 * it (one partition per flushed batch) and spreads a stream evenly over every partition.
 */
import Module, { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import type {
  Consumer, EachBatchPayload, IHeaders, Kafka, KafkaConfig, LogEntry, Message, PartitionerArgs, Producer,
} from 'kafkajs';
import type { Logger } from '../core/logger.js';
import type { CommonSpec, ConsumerSpec, ProducerSpec, TlsSpec } from './properties.js';
import { installProduceEncoder } from './produce-encoder.js';

type KafkaJsModule = typeof import('kafkajs');
let kafkajsModule: Promise<KafkaJsModule> | undefined;

/** Loads kafkajs once (lazily: agents without Kafka components never load it). */
export function loadKafkaJs(): Promise<KafkaJsModule> {
  if (!kafkajsModule) {
    installLinearGrouping();
    installProduceEncoder(); // one-buffer Produce request encoding (produce-encoder.ts)
  }
  kafkajsModule ??= import('kafkajs').then((m) => ((m as { default?: KafkaJsModule }).default ?? m));
  return kafkajsModule;
}

interface GroupArgs { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number }

/**
 * kafkajs 2.2.4 (its last release) groups each batch's messages per partition with
 * `Object.assign(result, { [p]: [...current, message] })` per message: O(n^2) copies when a batch
 * goes to one partition, which the sticky per-batch partitioner always does (14-20 % of the
 * sink's CPU at flumeBatchSize 1000, issue 9 profile). Registers a linear version with the same
 * result (same partitioner calls in the same order, same arrays in the same order) in the
 * CommonJS cache before kafkajs loads; its producer requires the module once, at load.
 */
function installLinearGrouping(): void {
  const req = createRequire(import.meta.url);
  let file: string;
  try { file = req.resolve('kafkajs/src/producer/groupMessagesPerPartition.js'); } catch { return; }
  if (req.cache[file]) return;
  const group = ({ topic, partitionMetadata, messages, partitioner }: GroupArgs): Record<string, unknown[]> => {
    const result: Record<string, unknown[]> = {};
    if (partitionMetadata.length === 0) return result;
    for (const message of messages) (result[partitioner({ topic, partitionMetadata, message })] ??= []).push(message);
    return result;
  };
  const m = new Module(file);
  m.filename = file;
  m.loaded = true;
  m.exports = group;
  req.cache[file] = m;
}

/** Reads the files named by a TLS spec into Node's TLS options. */
export function tlsOptions(t: TlsSpec): tls.ConnectionOptions {
  const read = (what: string, p: string): Buffer => {
    try {
      return readFileSync(p);
    } catch (e) {
      throw new Error(`cannot read ${what} '${p}': ${(e as Error).message}`);
    }
  };
  const o: tls.ConnectionOptions = { rejectUnauthorized: t.rejectUnauthorized };
  const ca: Array<string | Buffer> = [];
  if (t.caFile) ca.push(read('ssl.truststore.location', t.caFile));
  if (t.caPem) ca.push(t.caPem);
  if (ca.length > 0) o.ca = ca;
  if (t.pfxFile) o.pfx = read('ssl.keystore.location', t.pfxFile);
  if (t.certFile) o.cert = read('ssl.keystore.location', t.certFile);
  if (t.keyFile) o.key = read('ssl.keystore.location', t.keyFile);
  if (t.certPem) o.cert = t.certPem;
  if (t.keyPem) o.key = t.keyPem;
  if (t.passphrase !== undefined) o.passphrase = t.passphrase;
  if (!t.checkHostname) o.checkServerIdentity = () => undefined;
  if (t.minVersion) o.minVersion = t.minVersion;
  return o;
}

/** kafkajs log entries → our logger. Connection noise during outages is WARN (recovered), not ERROR. */
function logCreator(logger: Logger, levels: KafkaJsModule['logLevel']) {
  return () => (entry: LogEntry): void => {
    const { namespace, level, log } = entry;
    const { message, ...extra } = log as { message: string } & Record<string, unknown>;
    delete extra['timestamp'];
    delete extra['logger'];
    const detail = Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}` : '';
    const line = `kafkajs ${namespace}: ${message}${detail}`;
    if (level === levels.ERROR || level === levels.WARN) logger.warn(line);
    else logger.debug(line);
  };
}

async function createKafka(spec: CommonSpec, logger: Logger): Promise<{ kafka: Kafka; mod: KafkaJsModule }> {
  const mod = await loadKafkaJs();
  const cfg: KafkaConfig = {
    brokers: spec.brokers,
    clientId: spec.clientId,
    logLevel: logger.isDebug() ? mod.logLevel.DEBUG : mod.logLevel.WARN,
    logCreator: logCreator(logger, mod.logLevel),
    retry: { retries: spec.retry.retries ?? 5, initialRetryTime: spec.retry.initialRetryTime ?? 300 },
  };
  if (spec.requestTimeout !== undefined) cfg.requestTimeout = spec.requestTimeout;
  if (spec.connectionTimeout !== undefined) cfg.connectionTimeout = spec.connectionTimeout;
  if (spec.tls) cfg.ssl = tlsOptions(spec.tls);
  if (spec.sasl) {
    const { username, password } = spec.sasl;
    switch (spec.sasl.mechanism) {
      case 'plain': cfg.sasl = { mechanism: 'plain', username, password }; break;
      case 'scram-sha-256': cfg.sasl = { mechanism: 'scram-sha-256', username, password }; break;
      case 'scram-sha-512': cfg.sasl = { mechanism: 'scram-sha-512', username, password }; break;
    }
  }
  return { kafka: new mod.Kafka(cfg), mod };
}

/** Sticky-per-batch partitioner (see the module comment). `newBatch()` moves to the next partition. */
export class FlumePartitioner {
  private counter = Math.floor(Math.random() * 1024);
  private readonly sticky = new Map<string, number>();
  constructor(private readonly keyed: (args: PartitionerArgs) => number) {}
  newBatch(): void { if (this.sticky.size > 0) this.sticky.clear(); }
  readonly partition = (args: PartitionerArgs): number => {
    const m = args.message;
    if (m.partition !== undefined && m.partition !== null) {
      const n = args.partitionMetadata.length;
      if (m.partition < 0 || !args.partitionMetadata.some((x) => x.partitionId === m.partition)) {
        // The Java producer's message; thrown here so the batch fails instead of being dropped.
        throw new Error(`Invalid partition given with record: ${m.partition} is not in the range [0...${n - 1}].`);
      }
      return m.partition;
    }
    if (m.key !== undefined && m.key !== null) return this.keyed(args);
    const p = this.sticky.get(args.topic);
    if (p !== undefined) return p;
    const md = args.partitionMetadata;
    let chosen: number | undefined;
    for (let i = 0; i < md.length && chosen === undefined; i++) {
      const cand = md[(this.counter + i) % md.length]!;
      if (cand.leader >= 0) chosen = cand.partitionId;
    }
    this.counter++;
    chosen ??= md[this.counter % md.length]!.partitionId;
    this.sticky.set(args.topic, chosen);
    return chosen;
  };
}

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

export type { Message, IHeaders };

/** What the Kafka sink needs from a producer. */
export interface KafkaProducerClient {
  connect(): Promise<void>;
  /** Sends one Flume batch; resolves when the broker acknowledged every record per `acks`. */
  sendBatch(batch: TopicMessages[]): Promise<void>;
  disconnect(): Promise<void>;
}

class KafkaJsProducer implements KafkaProducerClient {
  private producer: Producer | undefined;
  private partitioner: FlumePartitioner | undefined;
  private connected = false;
  /** kafkajs CompressionTypes value (None = 0, GZIP = 1). */
  private codec = 0;
  constructor(private readonly spec: ProducerSpec, private readonly logger: Logger) {}

  async connect(): Promise<void> {
    if (this.connected && this.producer) return;
    if (!this.producer) {
      const { kafka, mod } = await createKafka(this.spec, this.logger);
      const keyed = mod.Partitioners.DefaultPartitioner();
      const part = new FlumePartitioner(keyed);
      this.partitioner = part;
      const pc: Parameters<Kafka['producer']>[0] = {
        createPartitioner: () => part.partition,
        allowAutoTopicCreation: true,
        idempotent: this.spec.idempotent,
        retry: { retries: this.spec.retry.retries ?? 5, initialRetryTime: this.spec.retry.initialRetryTime ?? 300 },
      };
      if (this.spec.maxInFlightRequests !== undefined) pc.maxInFlightRequests = this.spec.maxInFlightRequests;
      if (this.spec.metadataMaxAge !== undefined) pc.metadataMaxAge = this.spec.metadataMaxAge;
      this.producer = kafka.producer(pc);
      this.producer.on('producer.disconnect', () => { this.connected = false; });
      this.codec = this.spec.compression === 'gzip' ? mod.CompressionTypes.GZIP : mod.CompressionTypes.None;
    }
    await this.producer.connect();
    this.connected = true;
  }

  async sendBatch(batch: TopicMessages[]): Promise<void> {
    if (!this.connected || !this.producer) await this.connect();
    this.partitioner!.newBatch();
    await this.producer!.sendBatch({
      topicMessages: batch, acks: this.spec.acks, timeout: this.spec.ackTimeout, compression: this.codec,
    });
  }

  async disconnect(): Promise<void> {
    const p = this.producer;
    this.connected = false;
    if (p) await p.disconnect();
  }
}

export function createProducer(spec: ProducerSpec, logger: Logger): KafkaProducerClient {
  return new KafkaJsProducer(spec, logger);
}

/** One fetched record as the Kafka source sees it. */
export interface FetchedRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  offset: string;
  headers?: IHeaders;
}

export interface FetchedBatch {
  topic: string;
  partition: number;
  records: FetchedRecord[];
}

export interface ConsumerHandlers {
  /**
   * Called with each fetched batch (one partition). Fetching pauses until the promise resolves,
   * which is how the source applies backpressure. `heartbeat` must be called while waiting long.
   */
  onBatch(batch: FetchedBatch, heartbeat: () => Promise<void>, isStale: () => boolean): Promise<void>;
  /** Group membership changed (rebalance started or finished): pending unsent records are stale. */
  onRebalance(what: string): void;
  onCrash(error: Error, willRestart: boolean): void;
}

export type TopicSubscription = { topics: string[] } | { regex: RegExp };

/** What the Kafka source needs from a consumer. */
export interface KafkaConsumerClient {
  /** Connects, subscribes and starts fetching (returns once the consumer runs). */
  start(sub: TopicSubscription, handlers: ConsumerHandlers): Promise<void>;
  /** Commits `offset` (next offset to read) per partition for the current group generation. */
  commit(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>): Promise<void>;
  stop(): Promise<void>;
}

class KafkaJsConsumer implements KafkaConsumerClient {
  private consumer: Consumer | undefined;
  constructor(private readonly spec: ConsumerSpec, private readonly logger: Logger) {}

  async start(sub: TopicSubscription, h: ConsumerHandlers): Promise<void> {
    const { kafka } = await createKafka(this.spec, this.logger);
    const s = this.spec;
    const cc: Parameters<Kafka['consumer']>[0] = {
      groupId: s.groupId, sessionTimeout: s.sessionTimeout, heartbeatInterval: s.heartbeatInterval,
      maxWaitTimeInMs: s.maxWaitTimeInMs, readUncommitted: s.readUncommitted, allowAutoTopicCreation: false,
      retry: { retries: s.retry.retries ?? 5, initialRetryTime: s.retry.initialRetryTime ?? 300 },
    };
    if (s.rebalanceTimeout !== undefined) cc.rebalanceTimeout = s.rebalanceTimeout;
    if (s.minBytes !== undefined) cc.minBytes = s.minBytes;
    if (s.maxBytes !== undefined) cc.maxBytes = s.maxBytes;
    if (s.maxBytesPerPartition !== undefined) cc.maxBytesPerPartition = s.maxBytesPerPartition;
    if (s.metadataMaxAge !== undefined) cc.metadataMaxAge = s.metadataMaxAge;
    const consumer = kafka.consumer(cc);
    this.consumer = consumer;
    const ev = consumer.events;
    consumer.on(ev.REBALANCING, () => h.onRebalance('rebalancing'));
    consumer.on(ev.GROUP_JOIN, (e) => {
      const a = Object.entries(e.payload.memberAssignment).map(([t, ps]) => `${t}[${ps.join(',')}]`).join(' ');
      this.logger.info(`joined group ${s.groupId} (assigned: ${a || 'nothing'})`);
      h.onRebalance('joined');
    });
    consumer.on(ev.CRASH, (e) => h.onCrash(e.payload.error, e.payload.restart));
    await consumer.connect();
    await consumer.subscribe({ topics: 'regex' in sub ? [sub.regex] : sub.topics, fromBeginning: s.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (p: EachBatchPayload) => {
        const b = p.batch;
        await h.onBatch(
          { topic: b.topic, partition: b.partition, records: b.messages as FetchedRecord[] },
          p.heartbeat, p.isStale,
        );
      },
    });
  }

  async commit(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>): Promise<void> {
    if (!this.consumer) throw new Error('Kafka consumer is not started');
    await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })));
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    if (c) await c.disconnect();
  }
}

export function createConsumer(spec: ConsumerSpec, logger: Logger): KafkaConsumerClient {
  return new KafkaJsConsumer(spec, logger);
}

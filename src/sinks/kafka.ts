/**
 * Kafka sink (org.apache.flume.sink.kafka.KafkaSink, short name `kafka`) with Flume 1.11's
 * semantics (flume-compat §6): one channel transaction per batch of up to flumeBatchSize events;
 * every record of the batch is sent and the transaction commits only after the broker
 * acknowledged all of them per `acks`. Any failure rolls the transaction back (RollbackCount),
 * logs `Failed to publish events` and throws EventDeliveryException, after which the runner
 * sleeps 5 s and the whole batch is retried (at-least-once; records of a failed batch that did
 * reach Kafka are sent again).
 *
 * Client: kafkajs behind src/kafka/client.ts. Records without a key stay on one partition per
 * batch and batches rotate over all partitions (see client.ts).
 */
import type { Channel, Sink } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { KAFKA_SINK_COUNTERS, type CounterGroup } from '../core/counters.js';
import { EventDeliveryException, errorMessage } from '../core/errors.js';
import { BACKOFF, READY, type Status } from '../core/lifecycle.js';
import { defineSink, type PropsOf } from '../core/spec.js';
import { encodeAvroFlumeEvent } from '../kafka/avro-event.js';
import { javaHashMapOrder, javaHeaderOrder } from '../core/java-hashmap-order.js';
import { createProducer, type IHeaders, type KafkaProducerClient, type Message, type TopicMessages } from '../kafka/client.js';
import { escapeString, hasEscapes } from '../hdfs/escapes.js';
import { logNotes, notesToProblems } from '../kafka/flume-props.js';
import { mapProducerProperties, type ProducerSpec } from '../kafka/properties.js';

export const DEFAULT_TOPIC = 'default-flume-topic';

const properties = {
  'kafka.bootstrap.servers': {
    type: 'string', required: true, deprecatedNames: ['brokerList'],
    description: 'Comma-separated host:port list of brokers to bootstrap from (overrides kafka.producer.bootstrap.servers).',
  },
  'kafka.topic': {
    type: 'string', default: DEFAULT_TOPIC, deprecatedNames: ['topic'],
    description: 'Topic to publish to; the topicHeader header overrides it per event when allowTopicOverride is true. Escapes (%{header}, %Y, ...) are expanded per event only when allowTopicOverride is true and the header is absent.',
  },
  flumeBatchSize: {
    type: 'integer', default: 100, min: 1, deprecatedNames: ['batchSize'],
    description: 'Events taken per channel transaction and sent as one batch (note: kafka.flumeBatchSize is NOT read, as in Flume).',
  },
  'kafka.producer.acks': {
    type: 'string', default: '1', deprecatedNames: ['requiredAcks'],
    description: 'Acknowledgements the broker must give before a batch counts as sent: 0, 1 or all (-1).',
  },
  allowTopicOverride: { type: 'boolean', default: true, description: 'Use the topicHeader header as the topic when present.' },
  topicHeader: { type: 'string', default: 'topic', description: 'Header holding a per-event topic (with allowTopicOverride).' },
  useFlumeEventFormat: {
    type: 'boolean', default: false,
    description: 'Send Avro-binary AvroFlumeEvent records (headers + body) instead of the raw body.',
  },
  partitionIdHeader: { type: 'string', description: 'Header holding the partition number for the event.' },
  defaultPartitionId: { type: 'integer', min: 0, description: 'Partition for every event without a partitionIdHeader value.' },
  timestampHeader: { type: 'string', description: 'Header whose epoch-millis value becomes the Kafka record timestamp.' },
  'key.serializer.class': { type: 'string', ignored: 'deprecated Flume 1.6 key; keys are sent as UTF-8 strings', description: 'Deprecated (no effect).' },
  'serializer.class': { type: 'string', ignored: 'deprecated Flume 1.6 key; values are sent as bytes', description: 'Deprecated (no effect).' },
} as const;

export type KafkaSinkProps = PropsOf<typeof properties>;

const PRODUCER_PREFIX = 'kafka.producer.';

/** The kafka.producer.* map with Flume's forced values (acks from the declared property). */
function producerProps(props: KafkaSinkProps, raw: ReadonlyMap<string, string>): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of raw) if (k.startsWith(PRODUCER_PREFIX)) m.set(k.slice(PRODUCER_PREFIX.length), v);
  m.set('acks', props['kafka.producer.acks']);
  return m;
}

function headerMapping(raw: ReadonlyMap<string, string>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of raw) if (k.startsWith('header.') && k.length > 7) out.push([k.slice(7), v.trim()]);
  return out;
}

const INT_RE = /^[+-]?\d+$/;

export class KafkaSink implements Sink {
  private channel: Channel | undefined;
  private client: KafkaProducerClient | undefined;
  readonly counters: CounterGroup<(typeof KAFKA_SINK_COUNTERS)[number]>;
  readonly producerSpec: ProducerSpec;
  private readonly headerMap: Array<[string, string]>;
  private readonly topicEscapes: boolean;

  constructor(private readonly ctx: ComponentContext<KafkaSinkProps>, private readonly clientFactory = createProducer) {
    this.counters = ctx.counters('SINK', KAFKA_SINK_COUNTERS);
    const p = ctx.props;
    const mapped = mapProducerProperties(p['kafka.bootstrap.servers'], producerProps(p, ctx.raw));
    this.producerSpec = mapped.spec;
    logNotes(ctx.logger, mapped.notes, PRODUCER_PREFIX);
    this.headerMap = headerMapping(ctx.raw);
    this.topicEscapes = p.allowTopicOverride && hasEscapes(p['kafka.topic']);
    if (!ctx.raw.has('kafka.topic')) {
      // Flume logs the deprecation line whenever kafka.topic is absent, then the default-topic warning.
      ctx.logger.warn('topic is deprecated. Please use the parameter kafka.topic');
      ctx.logger.warn(`Topic was not specified. Using ${DEFAULT_TOPIC} as the topic.`);
    } else {
      ctx.logger.info(`Using the static topic ${p['kafka.topic']}. This may be overridden by event headers`);
    }
  }

  start(channel: Channel): void {
    this.channel = channel;
    this.client = this.clientFactory(this.producerSpec, this.ctx.logger);
    this.counters.start();
  }

  async process(): Promise<Status> {
    const p = this.ctx.props;
    const c = this.counters.values;
    const batchSize = p.flumeBatchSize;
    const tx = this.channel!.createTransaction();
    tx.begin();
    try {
      let n = 0;
      let firstTopic: string | undefined;
      const firstList: Message[] = [];
      let others: Map<string, Message[]> | undefined;
      const staticTopic = p['kafka.topic'];
      const override = p.allowTopicOverride;
      const topicHeader = p.topicHeader;
      const pidHeader = p.partitionIdHeader;
      const defaultPid = p.defaultPartitionId;
      const tsHeader = p.timestampHeader;
      const avro = p.useFlumeEventFormat;
      const hmap = this.headerMap;
      for (; n < batchSize; n++) {
        const e = tx.take();
        if (e === null) {
          if (n === 0) c.BatchEmptyCount++;
          else c.BatchUnderflowCount++;
          break;
        }
        c.EventDrainAttemptCount++;
        const h = e.headers;
        let topic = staticTopic;
        if (override) {
          const t = h[topicHeader];
          if (t !== undefined) topic = t;
          else if (this.topicEscapes) topic = escapeString(staticTopic, h, { sanitizeHeaders: false });
        }
        // Flume copies the headers into a new HashMap (toCharSeqMap) and Avro writes that map's order.
        const msg: Message = { value: avro ? encodeAvroFlumeEvent(h, e.body, javaHashMapOrder(javaHeaderOrder(h))) : e.body };
        const key = h['key'];
        if (key !== undefined) msg.key = key;
        if (pidHeader !== undefined) {
          const v = h[pidHeader];
          if (v !== undefined) {
            if (!INT_RE.test(v)) throw new EventDeliveryException('Non integer partition id specified');
            msg.partition = Number(v);
          } else if (defaultPid !== undefined) msg.partition = defaultPid;
        } else if (defaultPid !== undefined) msg.partition = defaultPid;
        if (tsHeader !== undefined) {
          const v = h[tsHeader];
          if (v !== undefined) {
            if (INT_RE.test(v.trim())) msg.timestamp = String(Number(v.trim()));
            else this.ctx.logger.warn(`Invalid timestamp in header ${tsHeader} - ${v}`);
          }
        }
        if (hmap.length > 0) {
          let kh: IHeaders | undefined;
          for (const [fh, kname] of hmap) {
            const v = h[fh];
            if (v !== undefined) (kh ??= {})[kname] = Buffer.from(v, 'utf8');
          }
          if (kh) msg.headers = kh;
        }
        if (firstTopic === undefined || topic === firstTopic) {
          firstTopic = topic;
          firstList.push(msg);
        } else {
          others ??= new Map();
          let l = others.get(topic);
          if (!l) others.set(topic, (l = []));
          l.push(msg);
        }
      }
      if (n > 0) {
        const batch: TopicMessages[] = [{ topic: firstTopic!, messages: firstList }];
        if (others) for (const [topic, messages] of others) batch.push({ topic, messages });
        const t0 = performance.now();
        await this.client!.sendBatch(batch);
        c.KafkaEventSendTimer += Math.round(performance.now() - t0);
        c.EventDrainSuccessCount += n;
      }
      tx.commit();
      return n === 0 ? BACKOFF : READY;
    } catch (err) {
      this.ctx.logger.error(`Failed to publish events: ${errorMessage(err)}`);
      try {
        tx.rollback();
        c.RollbackCount++;
      } catch (re) {
        this.ctx.logger.error(`Transaction rollback failed: ${errorMessage(re)}`);
      }
      throw new EventDeliveryException('Failed to publish events', { cause: err });
    } finally {
      tx.close();
    }
  }

  async stop(): Promise<void> {
    const cl = this.client;
    this.client = undefined;
    try {
      if (cl) await cl.disconnect();
    } catch (e) {
      this.ctx.logger.warn(`closing the Kafka producer failed: ${errorMessage(e)}`);
    }
    this.counters.stop();
  }
}

export default defineSink({
  kind: 'sink',
  type: 'kafka',
  aliases: ['org.apache.flume.sink.kafka.KafkaSink'],
  description: 'Publishes events to a Kafka topic; commits the channel transaction only after the broker acknowledged the batch.',
  properties,
  passThrough: [
    { prefix: PRODUCER_PREFIX, description: 'Kafka producer settings (acks, compression.type, client.id, security.protocol, sasl.*, ssl.*, ...); see docs/kafka.md for what tsagent honours.' },
    { prefix: 'header.', description: 'header.<flumeHeader> = <kafkaHeaderName>: copy a Flume header into a Kafka record header.' },
  ],
  batchSizeProperty: 'flumeBatchSize',
  check: (props, raw) => {
    const out = notesToProblems(mapProducerProperties(props['kafka.bootstrap.servers'], producerProps(props, raw)).notes, PRODUCER_PREFIX, raw);
    if (props['kafka.bootstrap.servers'].trim() === '') {
      out.push({ severity: 'error', code: 'MISSING_PROPERTY', key: 'kafka.bootstrap.servers', message: 'Bootstrap Servers must be specified', fix: 'set kafka.bootstrap.servers = host:port[,host:port]' });
    }
    return out;
  },
  create: (ctx: ComponentContext<KafkaSinkProps>) => new KafkaSink(ctx),
});

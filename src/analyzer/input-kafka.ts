/**
 * Kafka input (kafkajs). Each record value is one log line, handed to the engine as its bytes
 * (the engine reads UTF-8 in place and decodes the values it keeps with U+FFFD for invalid
 * bytes, as Spark's CAST(value AS STRING) does); a null value stays
 * null. Offsets are tracked per partition so that the runner can checkpoint them together
 * with the window state; on start the consumer seeks to the checkpointed offsets, so a restart
 * neither loses nor double-counts records. Offsets are also committed to the consumer group
 * after every checkpointed batch (so that several instances in one group can share the
 * partitions, and a restart without a checkpoint resumes near where it was).
 */
import type { Consumer, EachBatchPayload } from 'kafkajs';

export interface KafkaInputOptions {
  brokers: string[];
  topics: string[];
  groupId: string;
  clientId: string;
  startingOffsets: 'latest' | 'earliest';
  /** topic -> partition -> next offset to read, from a checkpoint. */
  startFrom: Record<string, Record<string, string>> | null;
  logger?: { warn(m: string): void; error(m: string): void };
}

export interface KafkaRecordSink {
  /** Called for each record, in partition order: the value's UTF-8 bytes (null = no value). */
  record(value: Buffer | null): void;
  /** Called after each fetched batch has been handed over; awaiting it gives backpressure. */
  batchDone(): Promise<void> | void;
}

export class KafkaInput {
  private consumer: Consumer | null = null;
  /** topic -> partition -> next offset (after the last record handed to the sink). */
  readonly positions: Record<string, Record<string, string>> = {};
  /** Partitions assigned to this instance by the consumer group (topic -> partitions). */
  assignment: Record<string, number[]> = {};
  private stopped = false;

  constructor(private readonly o: KafkaInputOptions) {}

  async start(sink: KafkaRecordSink): Promise<void> {
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({ clientId: this.o.clientId, brokers: this.o.brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } });
    const consumer = kafka.consumer({ groupId: this.o.groupId, allowAutoTopicCreation: false, maxBytes: 8 << 20, maxBytesPerPartition: 4 << 20 });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.assignment = e.payload.memberAssignment;
    });
    await consumer.connect();
    for (const topic of this.o.topics) await consumer.subscribe({ topic, fromBeginning: this.o.startingOffsets === 'earliest' });
    const startFrom = this.o.startFrom;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
        const pos = (this.positions[batch.topic] ??= {});
        for (const m of batch.messages) {
          if (!isRunning() || isStale() || this.stopped) break;
          // Position first: the sink may end a batch (and checkpoint) inside record().
          pos[String(batch.partition)] = (BigInt(m.offset) + 1n).toString();
          sink.record(m.value);
          resolveOffset(m.offset);
        }
        await sink.batchDone();
        await heartbeat();
      },
    });
    if (startFrom) {
      for (const [topic, parts] of Object.entries(startFrom)) {
        for (const [partition, offset] of Object.entries(parts)) {
          (this.positions[topic] ??= {})[partition] = offset;
          consumer.seek({ topic, partition: Number(partition), offset });
        }
      }
    } else if (this.o.startingOffsets === 'latest') {
      // Spark's startingOffsets=latest ignores committed group offsets: start at the end.
      // kafkajs only applies fromBeginning when the group has no offsets, so seek explicitly.
      const admin = kafka.admin();
      await admin.connect();
      try {
        for (const topic of this.o.topics) {
          for (const p of await admin.fetchTopicOffsets(topic)) {
            (this.positions[topic] ??= {})[String(p.partition)] = p.high;
            consumer.seek({ topic, partition: p.partition, offset: p.high });
          }
        }
      } finally {
        await admin.disconnect();
      }
    }
  }

  /** Commits the given positions to the consumer group (best effort). */
  async commit(positions: Record<string, Record<string, string>>): Promise<void> {
    if (!this.consumer) return;
    const list: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const [topic, parts] of Object.entries(positions)) for (const [p, o] of Object.entries(parts)) list.push({ topic, partition: Number(p), offset: o });
    if (list.length === 0) return;
    try {
      await this.consumer.commitOffsets(list);
    } catch (e) {
      this.o.logger?.warn(`analyzer: could not commit offsets to the consumer group: ${(e as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect();
  }
}

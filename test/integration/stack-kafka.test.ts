/**
 * Acceptance of the local stack's Kafka broker with the project's Kafka client (kafkajs 2.2.4):
 * 10,000 messages produced to `apache_logs` land on all 3 partitions and a consumer group reads
 * every one of them back and commits its offsets. Also checks the SASL/PLAIN listener.
 *
 * `apache_logs` is shared with other tests and pipelines, so this test tags its messages with a
 * run id and starts its (fresh) consumer group at the end offsets taken before producing.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEnv } from './stack-env.js';

const env = stackEnv();
const TOTAL = 10_000;
const BATCH = 1_000;

describe('local stack: Kafka', () => {
  const kafka = new Kafka({ clientId: 'tsagent-stack-test', brokers: env.kafkaBrokers, logLevel: logLevel.WARN });
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('has one broker at the advertised address and topic apache_logs with 3 partitions', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    expect(`${cluster.brokers[0]?.host}:${cluster.brokers[0]?.port}`).toBe(env.kafkaBrokers[0]);
    const md = await admin.fetchTopicMetadata({ topics: [env.kafkaTopic] });
    expect(md.topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
  });

  it('produces 10,000 messages over all 3 partitions of apache_logs and consumes them all back with a consumer group', async () => {
    const run = randomUUID();
    const groupId = `tsagent-stack-test-${run}`;
    const start = await admin.fetchTopicOffsets(env.kafkaTopic);
    expect(start).toHaveLength(3);
    // Fresh group positioned at the current end: only this run's messages are read.
    await admin.setOffsets({
      groupId,
      topic: env.kafkaTopic,
      partitions: start.map((p) => ({ partition: p.partition, offset: p.offset })),
    });

    const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let b = 0; b < TOTAL; b += BATCH) {
      const messages = Array.from({ length: BATCH }, (_, i) => {
        const n = b + i;
        return { key: `${run}-${n}`, value: `${n} 127.0.0.1 - - [25/Nov/2026:20:00:00 +0000] "GET /stack-test/${n} HTTP/1.0" 200 ${n}`, headers: { run } };
      });
      await producer.send({ topic: env.kafkaTopic, acks: -1, messages });
    }
    await producer.disconnect();

    const end = await admin.fetchTopicOffsets(env.kafkaTopic);
    const produced = end.map((p) => {
      const s = start.find((x) => x.partition === p.partition);
      return Number(p.offset) - Number(s?.offset ?? 0);
    });
    // The default partitioner hashes the keys: every partition gets a share.
    for (const count of produced) expect(count).toBeGreaterThan(0);
    expect(produced.reduce((a, c) => a + c, 0)).toBeGreaterThanOrEqual(TOTAL);

    const seen = new Set<number>();
    const perPartition = new Map<number, number>();
    let duplicates = 0;
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: env.kafkaTopic, fromBeginning: false });
    const allSeen = new Promise<void>((resolveAll) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (message.headers?.['run']?.toString() !== run) return;
          const n = Number(message.value?.toString().split(' ')[0]);
          if (seen.has(n)) duplicates++;
          seen.add(n);
          perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1);
          if (seen.size === TOTAL) resolveAll();
        },
      });
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      allSeen,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`consumed only ${seen.size} of ${TOTAL} messages within 120 s`)), 120_000);
      }),
    ]);
    clearTimeout(timer);
    await consumer.disconnect(); // commits the offsets of what was processed

    expect(seen.size).toBe(TOTAL);
    expect(duplicates).toBe(0);
    expect([...perPartition.keys()].sort()).toEqual([0, 1, 2]);
    expect([...perPartition.values()].reduce((a, c) => a + c, 0)).toBe(TOTAL);

    // Committed offsets of the group reached at least the end offsets measured after producing.
    const committed = await admin.fetchOffsets({ groupId, topics: [env.kafkaTopic] });
    for (const p of committed[0]?.partitions ?? []) {
      const e = end.find((x) => x.partition === p.partition);
      expect(Number(p.offset)).toBeGreaterThanOrEqual(Number(e?.offset));
    }
    await admin.deleteGroups([groupId]);
  });

  it('accepts SASL/PLAIN on the SASL listener and rejects a wrong password', async () => {
    expect(env.kafkaSaslBrokers.length).toBeGreaterThan(0);
    const sasl = new Kafka({ clientId: 'tsagent-stack-test-sasl', brokers: env.kafkaSaslBrokers, sasl: env.kafkaSasl, logLevel: logLevel.NOTHING });
    const saslAdmin = sasl.admin();
    await saslAdmin.connect();
    const cluster = await saslAdmin.describeCluster();
    expect(`${cluster.brokers[0]?.host}:${cluster.brokers[0]?.port}`).toBe(env.kafkaSaslBrokers[0]);
    expect(await saslAdmin.listTopics()).toContain(env.kafkaTopic);
    await saslAdmin.disconnect();

    const bad = new Kafka({
      clientId: 'tsagent-stack-test-badsasl',
      brokers: env.kafkaSaslBrokers,
      // Fresh object: kafkajs stores an authenticationProvider bound to the credentials inside
      // the sasl object it is given, so spreading a used one would reuse the good password.
      sasl: { mechanism: 'plain', username: env.kafkaSasl.username, password: 'not-the-password' },
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const badAdmin = bad.admin();
    const attempt = async (): Promise<string[]> => {
      await badAdmin.connect();
      return badAdmin.listTopics();
    };
    await expect(attempt()).rejects.toThrow(/Authentication failed/);
    await badAdmin.disconnect();
  });
});

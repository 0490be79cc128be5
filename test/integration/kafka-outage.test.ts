/**
 * Broker outage: the Kafka broker is stopped for 15 s and restarted while agent 1 (the real CLI
 * on conf/flume-agent1.conf) receives lines. Every line netcat acknowledged with OK must reach
 * Kafka, and the sink must recover by itself (rollback, Flume's 5 s backoff, retry).
 *
 * Note: stopping the shared broker disturbs other Kafka tests running at the same moment on this
 * machine; the stack's `stop-kafka` makes a concurrent `up` wait for the restart.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import kafkaSource, { type KafkaSource } from '../../src/sources/kafka.js';
import { startAgent, stopAgent, waitForPort, type AgentProcess } from '../kafka/agent-process.js';
import {
  createTopic, drainChannel, kafkaClient, makeLines, memoryChannel, netcatSend, runSource, uniqueTopic, waitUntil, withAdmin,
  type RunningSource,
} from '../kafka/helpers.js';
import { startKafka, stackEnv, stopKafka } from './stack-env.js';

const env = stackEnv();
const TOPIC = 'apache_logs';
const agents: AgentProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const a of agents.splice(0)) await stopAgent(a, 'SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Kafka sink during a broker outage (real CLI, real broker)', () => {
  it('every line acknowledged OK while the broker is down for 15 s reaches Kafka; the sink recovers by itself', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsagent-kafka-outage-'));
    dirs.push(dir);
    const group = `tsagent-outage-${randomUUID().slice(0, 8)}`;
    await withAdmin(env.kafkaBrokers, async (a) => {
      const offs = await a.fetchTopicOffsets(TOPIC);
      await a.setOffsets({ groupId: group, topic: TOPIC, partitions: offs.map((o) => ({ partition: o.partition, offset: o.high })) });
    });
    const a1 = startAgent(env.repoRoot, path.join(env.repoRoot, 'conf', 'flume-agent1.conf'), 'agent1', path.join(dir, 'agent1.log'));
    agents.push(a1);
    await waitForPort(9999, 'localhost', 30_000);

    const run = randomUUID().slice(0, 8);
    const tag = `outage-${run}/`;
    const CHUNK = 500;
    const CHUNKS = 100; // 50,000 lines over ~35 s
    const lines = makeLines(CHUNK * CHUNKS, `outage-${run}`);
    const okLines: string[] = [];
    let failed = 0;
    let outage: Promise<void> | undefined;
    const t0 = Date.now();
    for (let c = 0; c < CHUNKS; c++) {
      const chunk = lines.slice(c * CHUNK, (c + 1) * CHUNK);
      const replies = await netcatSend(9999, chunk, CHUNK, 60_000, 'localhost');
      replies.forEach((r, i) => { if (r === 'OK') okLines.push(chunk[i]!); else failed++; });
      if (c === 10) {
        outage = (async () => {
          await stopKafka();
          console.log(`[kafka-outage] broker stopped at +${((Date.now() - t0) / 1000).toFixed(1)} s`);
          await sleep(15_000);
          await startKafka();
          console.log(`[kafka-outage] broker started again at +${((Date.now() - t0) / 1000).toFixed(1)} s`);
        })();
      }
      await sleep(300);
    }
    await outage;
    console.log(`[kafka-outage] sent ${lines.length} lines: ${okLines.length} OK, ${failed} FAILED`);
    expect(okLines.length).toBeGreaterThan(0);

    // Read apache_logs from the offsets before the test until every OK'd line was seen.
    const want = new Set(okLines);
    const seen = new Map<string, number>();
    const consumer = kafkaClient(env.kafkaBrokers).consumer({ groupId: group, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC] });
    const complete = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 180_000);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const v = m.value?.toString('utf8') ?? '';
            if (v.includes(tag)) seen.set(v, (seen.get(v) ?? 0) + 1);
          }
          if ([...want].every((l) => seen.has(l))) { clearTimeout(t); resolve(true); }
        },
      });
    });
    const ok = await complete;
    await consumer.disconnect();
    const missing = [...want].filter((l) => !seen.has(l)).length;
    const dups = [...seen.values()].reduce((s, n) => s + n - 1, 0);
    console.log(`[kafka-outage] in Kafka: ${seen.size} distinct lines, ${missing} OK'd lines missing, ${dups} duplicate copies (re-sent batches)`);
    const log = a1.log();
    expect(ok, `missing ${missing} of ${want.size} OK'd lines\n${log.slice(-4000)}`).toBe(true);
    expect(missing).toBe(0);
    // the sink noticed the outage (rolled back) and recovered without a restart
    expect(log).toMatch(/Failed to publish events/);
    expect(a1.child.exitCode).toBeNull();
    await stopAgent(a1);
    expect(a1.log()).toMatch(/RollbackCount == [1-9]/);
  });
});

describe('Kafka source during a broker outage (real broker)', () => {
  it('keeps consuming after the broker was down for 15 s: every record before and after arrives, nothing skipped', async () => {
    const topic = uniqueTopic('it-src-outage');
    await createTopic(env.kafkaBrokers, topic, 3);
    const produce = async (from: number, n: number): Promise<void> => {
      const p = kafkaClient(env.kafkaBrokers).producer();
      await p.connect();
      await p.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ value: `rec-${from + i}` })) });
      await p.disconnect();
    };
    await produce(0, 5000);
    const ch = memoryChannel(100000, 1000);
    const src: RunningSource<KafkaSource> = await runSource(kafkaSource, 'r1', {
      'kafka.bootstrap.servers': env.kafkaBrokers.join(','), 'kafka.topics': topic, 'kafka.consumer.group.id': `g-${randomUUID()}`,
      'kafka.consumer.auto.offset.reset': 'earliest', batchSize: '500', batchDurationMillis: '500',
    }, ch);
    cleanups.push(src.stop);
    expect(await waitUntil(() => ch.size() === 5000, 60_000)).toBe(true);
    await stopKafka();
    await sleep(15_000);
    await startKafka();
    await produce(5000, 5000);
    const got = new Set<string>();
    const ok = await waitUntil(() => {
      for (const e of drainChannel(ch)) got.add(e.body.toString());
      return got.size >= 10_000;
    }, 180_000, 200);
    console.log(`[kafka-outage] source after outage: ${got.size} distinct of 10000`);
    expect(ok).toBe(true);
  });
});

/**
 * Helpers for the Kafka integration tests and benchmarks: unique 3-partition topics, reading a
 * topic back with a plain kafkajs consumer, a netcat client that streams many lines and collects
 * the per-line replies, and small pipelines assembled from the building blocks (memory channel,
 * channel processor, polling runner).
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Kafka, logLevel, type Admin, type IHeaders } from 'kafkajs';
import memory, { type MemoryChannel } from '../../src/channels/memory.js';
import type { Sink, Source } from '../../src/core/contracts.js';
import { CounterRegistry } from '../../src/core/counters.js';
import type { Logger } from '../../src/core/logger.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import { DefaultChannelProcessor, replicatingSelector } from '../../src/engine/channel-processor.js';
import { PollingRunner } from '../../src/engine/runners.js';
import type { SinkSpec, SourceSpec } from '../../src/core/spec.js';

export function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'tsagent-kafka-test', brokers, logLevel: logLevel.NOTHING });
}

export function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function withAdmin<T>(brokers: string[], fn: (a: Admin) => Promise<T>): Promise<T> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(brokers: string[], topic: string, partitions = 3): Promise<void> {
  await withAdmin(brokers, async (a) => {
    await a.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  });
}

/** Number of records per partition (end offset − start offset). */
export async function partitionCounts(brokers: string[], topic: string): Promise<number[]> {
  return withAdmin(brokers, async (a) => {
    const offs = await a.fetchTopicOffsets(topic);
    return offs.sort((x, y) => x.partition - y.partition).map((o) => Number(o.high) - Number(o.low));
  });
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer;
  timestamp: string;
  headers: IHeaders;
}

/** Reads `expected` records of `topic` from the beginning (fresh group); waits up to timeoutMs. */
export async function readTopic(brokers: string[], topic: string, expected: number, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const consumer = kafkaClient(brokers).consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const out: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            out.push({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value ?? Buffer.alloc(0), timestamp: m.timestamp, headers: m.headers ?? {} });
          }
          if (out.length >= expected) { clearTimeout(t); resolve(); }
        },
      });
    });
    // give a moment for surplus records (duplicates) to show up
    if (out.length >= expected) await new Promise((r) => setTimeout(r, 300));
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/**
 * Streams `lines` to a netcat source (one connection), keeping at most `window` lines without a
 * reply in flight. Returns the replies in order (`OK` or `FAILED: ...`); reply i belongs to line i.
 * Stops early (returning fewer replies) when the server closes the connection.
 */
export function netcatSend(port: number, lines: readonly string[], window = 5000, timeoutMs = 600_000, host = '127.0.0.1'): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    const replies: string[] = [];
    let rest = '';
    let sent = 0;
    let done = false;
    const finish = (): void => { if (!done) { done = true; clearTimeout(t); s.destroy(); resolve(replies); } };
    const t = setTimeout(finish, timeoutMs);
    const pump = (): void => {
      while (sent < lines.length && sent - replies.length < window) {
        let chunk = '';
        const end = Math.min(lines.length, sent + 500, replies.length + window);
        for (; sent < end; sent++) chunk += lines[sent] + '\n';
        if (!s.write(chunk)) { s.once('drain', pump); return; }
      }
    };
    s.on('connect', pump);
    s.on('data', (d: Buffer) => {
      rest += d.toString('utf8');
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        replies.push(rest.slice(0, i));
        rest = rest.slice(i + 1);
      }
      if (replies.length >= lines.length) finish();
      else pump();
    });
    s.on('close', finish);
    s.on('error', (e) => { if (replies.length === 0 && sent === 0) reject(e); else finish(); });
  });
}

/** NASA-like access-log lines, unique by index. */
export function makeLines(n: number, tag: string): string[] {
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    out[i] = `host${i % 97}.example.com - - [01/Jul/1995:00:00:${String(i % 60).padStart(2, '0')} -0400] "GET /${tag}/${i}.html HTTP/1.0" 200 ${1000 + (i % 5000)}`;
  }
  return out;
}

export function memoryChannel(capacity = 100000, transactionCapacity = 1000): MemoryChannel {
  const ch = buildComponent(memory, 'c1', { capacity: String(capacity), transactionCapacity: String(transactionCapacity) }).instance as MemoryChannel;
  ch.start();
  return ch;
}

export interface RunningSink<S extends Sink> { sink: S; runner: PollingRunner; stop(): Promise<void> }

/** Builds a sink from its declaration, starts it on `ch` and drives it with Flume's runner. */
export async function runSink<S extends Sink>(spec: SinkSpec, name: string, props: Record<string, string>, ch: MemoryChannel, opts: { logger?: Logger; counters?: CounterRegistry; errorSleepMs?: number } = {}): Promise<RunningSink<S>> {
  const logger = opts.logger ?? new MemoryLogger();
  const sink = buildComponent(spec, name, props, { logger, counters: opts.counters ?? new CounterRegistry() }).instance as unknown as S;
  await sink.start(ch);
  const runner = new PollingRunner(() => sink.process(), { name, logger, waitForWork: (ms) => ch.waitForEvents(ms), ...(opts.errorSleepMs !== undefined ? { errorSleepMs: opts.errorSleepMs } : {}) });
  runner.start();
  return { sink, runner, stop: async () => { await runner.stop(); await sink.stop(); } };
}

export interface RunningSource<S extends Source> { source: S; runner: PollingRunner | undefined; stop(): Promise<void> }

/** Builds a source, gives it a channel processor on `ch`, starts it (and its runner if pollable). */
export async function runSource<S extends Source>(spec: SourceSpec, name: string, props: Record<string, string>, ch: MemoryChannel, opts: { logger?: Logger; counters?: CounterRegistry } = {}): Promise<RunningSource<S>> {
  const logger = opts.logger ?? new MemoryLogger();
  const source = buildComponent(spec, name, props, { logger, counters: opts.counters ?? new CounterRegistry() }).instance as unknown as S;
  await source.start(new DefaultChannelProcessor(replicatingSelector([ch], []), [], logger));
  let runner: PollingRunner | undefined;
  if (source.process) {
    const proc = source.process.bind(source);
    runner = new PollingRunner(proc, { name, logger, waitForWork: (ms) => new Promise((r) => setTimeout(r, ms)), backoffIncrementMs: 1000, maxBackoffMs: 5000 });
    runner.start();
  }
  return { source, runner, stop: async () => { await runner?.stop(); await source.stop(); } };
}

/** Takes every event currently in the channel. */
export function drainChannel(ch: MemoryChannel): Array<{ headers: Record<string, string>; body: Buffer }> {
  const out: Array<{ headers: Record<string, string>; body: Buffer }> = [];
  for (;;) {
    const tx = ch.createTransaction();
    tx.begin();
    let n = 0;
    for (; n < ch.transactionCapacity; n++) {
      const e = tx.take();
      if (!e) break;
      out.push(e);
    }
    tx.commit();
    tx.close();
    if (n === 0) return out;
  }
}

export { waitUntil } from '../helpers/wait.js';

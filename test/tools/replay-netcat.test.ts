/**
 * replay against tsagent's own netcat source and memory channel (no emulator): channel-full
 * FAILED replies and a source restart in the middle of a replay.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import memory, { MemoryChannel } from '../../src/channels/memory.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import { DefaultChannelProcessor, replicatingSelector } from '../../src/engine/channel-processor.js';
import netcat, { NetcatSource } from '../../src/sources/netcat.js';
import { replay } from '../../src/tools/replay.js';

const running: NetcatSource[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const s of running.splice(0)) await s.stop();
});

function channel(capacity: number, transactionCapacity = 1000): MemoryChannel {
  // keep-alive 0: a full channel fails the put at once (Flume waits up to 3 s by default).
  const ch = buildComponent(memory, 'c1', { capacity: String(capacity), transactionCapacity: String(transactionCapacity), 'keep-alive': '0' }).instance as MemoryChannel;
  ch.start();
  return ch;
}

async function source(ch: MemoryChannel, port = 0): Promise<NetcatSource> {
  const src = buildComponent(netcat, 'r1', { bind: '127.0.0.1', port: String(port) }, { logger: new MemoryLogger() }).instance as NetcatSource;
  await src.start(new DefaultChannelProcessor(replicatingSelector([ch], []), [], new MemoryLogger()));
  running.push(src);
  return src;
}

/** A sink stand-in: takes up to `perTick` (<= transactionCapacity) events every `everyMs`. */
function drainer(ch: MemoryChannel, into: string[], perTick: number, everyMs: number): void {
  const t = setInterval(() => {
    const tx = ch.createTransaction();
    tx.begin();
    for (let i = 0; i < perTick; i++) {
      const e = tx.take();
      if (!e) break;
      into.push(e.body.toString('utf8'));
    }
    tx.commit();
    tx.close();
  }, everyMs);
  timers.push(t);
}

function numbered(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `line ${i} - - [01/Jul/1995:00:00:01 -0400] "GET /x/${i}.html HTTP/1.0" 200 ${i}`);
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

describe('replay into the netcat source', () => {
  it('delivers every line exactly once through a full memory channel (FAILED replies resent)', async () => {
    // Room for a few of the source's batches (one transaction per read chunk, <= 1000 events).
    const ch = channel(3000);
    const src = await source(ch);
    const got: string[] = [];
    drainer(ch, got, 1000, 10);
    const lines = numbered(20_000);
    const s = await replay({ input: Readable.from([lines.join('\n')]), host: '127.0.0.1', port: src.port!, failedBackoffMs: 5, ackTimeoutMs: 10_000 });
    await until(() => got.length >= lines.length);
    expect(s.failed).toBeGreaterThan(0);
    expect(s.acked).toBe(20_000);
    expect(got).toHaveLength(20_000);
    expect(new Set(got)).toEqual(new Set(lines));
  });

  it('resumes after the source is restarted mid-replay, without loss', async () => {
    const ch = channel(100_000);
    const first = await source(ch);
    const port = first.port!;
    const got: string[] = [];
    drainer(ch, got, 1000, 5);
    const lines = numbered(30_000);
    const run = replay({ input: Readable.from([lines.join('\n')]), host: '127.0.0.1', port, rate: 20_000, retryForMs: 10_000 });
    await until(() => got.length > 5000);
    // The agent goes away (as on kill): its connections drop, then the port closes.
    for (const c of first.connections) c.socket.destroy();
    await first.stop();
    running.splice(running.indexOf(first), 1);
    await new Promise((r) => setTimeout(r, 200));
    await source(ch, port);
    const s = await run;
    await until(() => got.length >= lines.length);
    expect(s.reconnects).toBe(1);
    expect(s.acked).toBe(30_000);
    expect(new Set(got)).toEqual(new Set(lines));
    // Duplicates are only possible for lines whose OK was lost with the connection.
    expect(got.length - new Set(got).size).toBeLessThanOrEqual(s.resent);
  });
});

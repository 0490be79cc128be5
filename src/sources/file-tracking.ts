/**
 * Helpers shared by the sources that read local files by byte offset (spooldir, TAILDIR):
 * - PollLoop: the background loop, with a sleep that stop() cuts short;
 * - ReadCursor + refill/resetCursor: read-ahead over an open descriptor, so the committed offset
 *   (what the progress file records) can trail the read offset while a batch is in flight, and
 *   a refused batch is read again from the committed offset;
 * - deliverBatch: one batch to the channel, counted as Flume's file sources count it.
 * Not a component: each source keeps its own file, properties, progress format and logs.
 */
import fs from 'node:fs';
import type { ChannelProcessor } from '../core/contracts.js';
import type { CounterGroup, SOURCE_COUNTERS } from '../core/counters.js';
import type { Event } from '../core/event.js';

/** Bytes read from a file at a time. */
export const READ_CHUNK = 1 << 20;

/**
 * A source's background loop. The loop body runs while `running` is true and waits with
 * sleep(); stop() clears `running`, wakes a pending sleep and resolves when the body returned.
 * The body may clear `running` itself to end the loop (e.g. on a fatal error).
 */
export class PollLoop {
  running = false;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;

  /** Sets `running` and starts `body` (which runs synchronously up to its first await). */
  start(body: () => Promise<void>): void {
    this.running = true;
    this.loop = body();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Waits `ms`, or less when stop() is called meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wake = undefined; resolve(); }, ms);
      this.wake = () => { clearTimeout(t); this.wake = undefined; resolve(); };
    });
  }
}

/** Read-ahead state of one open file. */
export interface ReadCursor {
  fd: number;
  /** Offset reading continues at. */
  readPos: number;
  /** Bytes read ahead; buf[0] is the byte at file offset bufStart (bufStart <= readPos). */
  buf: Buffer;
  bufStart: number;
}

/**
 * Reads more of the file into `cur.buf`, keeping the unread rest (from readPos) in front of it:
 * up to READ_CHUNK bytes, and not past file offset `upTo`. Returns the number of bytes read
 * (0 at the end of the file).
 */
export function refill(cur: ReadCursor, upTo = Infinity): number {
  const rest = cur.buf.subarray(cur.readPos - cur.bufStart);
  const want = Math.min(READ_CHUNK, upTo - cur.readPos - rest.length);
  const chunk = Buffer.allocUnsafe(rest.length + want);
  rest.copy(chunk);
  const n = fs.readSync(cur.fd, chunk, rest.length, want, cur.readPos + rest.length);
  cur.buf = chunk.subarray(0, rest.length + n);
  cur.bufStart = cur.readPos;
  return n;
}

/** Drops the read-ahead; reading continues at `pos` (e.g. the committed offset after a refused batch). */
export function resetCursor(cur: ReadCursor, pos: number): void {
  cur.readPos = pos;
  cur.buf = Buffer.alloc(0);
  cur.bufStart = pos;
}

/**
 * Puts one batch on the channel and counts it (EventReceivedCount and AppendBatchReceivedCount
 * before, EventAcceptedCount and AppendBatchAcceptedCount after the commit). When the channel
 * refuses the batch, counts ChannelWriteFail and returns its error; the caller logs and retries.
 */
export async function deliverBatch(
  processor: ChannelProcessor,
  counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>,
  events: Event[],
): Promise<{ error: unknown } | undefined> {
  const c = counters.values;
  c.EventReceivedCount += events.length;
  c.AppendBatchReceivedCount++;
  try {
    await processor.processEventBatch(events);
  } catch (error) {
    c.ChannelWriteFail++;
    return { error };
  }
  c.EventAcceptedCount += events.length;
  c.AppendBatchAcceptedCount++;
  return undefined;
}

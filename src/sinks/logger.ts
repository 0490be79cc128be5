/**
 * Logger sink (`logger`): logs each event at INFO in Flume's format
 * `Event: { headers:{k=v} body: 68 65 6C 6C 6F <pad> hello }` (commons-io hex dump of the first
 * maxBytesToLog bytes). One event per transaction, as Flume.
 */
import type { Channel, Sink } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { headersToJavaString, type Event } from '../core/event.js';
import { BACKOFF, READY, type Status } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { defineSink, type PropsOf } from '../core/spec.js';

const properties = {
  maxBytesToLog: { type: 'integer', default: 16, min: 0, onInvalid: 'default', description: 'Bytes of each body shown in the hex dump.' },
} as const;
type LoggerProps = PropsOf<typeof properties>;

const HEX = '0123456789ABCDEF';

/** commons-io HexDump of `data` (offset 0), as Flume's EventHelper trims it. */
export function hexDump(data: Buffer, max: number): string {
  const n = Math.min(data.length, max);
  if (n === 0) return '';
  const lines: string[] = [];
  for (let off = 0; off < n; off += 16) {
    let hex = '';
    let txt = '';
    for (let i = 0; i < 16; i++) {
      const p = off + i;
      if (p < n) {
        const b = data[p]!;
        hex += HEX[b >> 4]! + HEX[b & 15]! + ' ';
        txt += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else {
        hex += '   ';
      }
    }
    const offs = off.toString(16).toUpperCase().padStart(8, '0');
    lines.push(`${offs} ${hex}${txt}`);
  }
  // Flume strips the first line's offset ("00000000") and the trailing line separator.
  const first = lines[0]!.slice(8);
  return [first, ...lines.slice(1)].join('\n');
}

export function formatEvent(e: Event, maxBytes: number): string {
  return `Event: { headers:${headersToJavaString(e.headers)} body:${hexDump(e.body, maxBytes)} }`;
}

export class LoggerSink implements Sink {
  private channel: Channel | undefined;
  private readonly log: Logger;
  constructor(private readonly ctx: ComponentContext<LoggerProps>) {
    this.log = ctx.logger;
    ctx.counters('SINK', []).registered = false;
  }
  start(channel: Channel): void { this.channel = channel; }
  process(): Promise<Status> {
    const tx = this.channel!.createTransaction();
    tx.begin();
    try {
      const e = tx.take();
      if (e === null) {
        tx.commit();
        return Promise.resolve(BACKOFF);
      }
      this.log.info(formatEvent(e, this.ctx.props.maxBytesToLog));
      tx.commit();
      return Promise.resolve(READY);
    } catch (err) {
      tx.rollback();
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    } finally {
      tx.close();
    }
  }
  stop(): void { /* nothing to release */ }
}

export default defineSink({
  kind: 'sink',
  type: 'logger',
  aliases: ['org.apache.flume.sink.LoggerSink'],
  description: 'Logs every event at INFO (hex dump of the body); for testing and debugging.',
  properties,
  create: (ctx: ComponentContext<LoggerProps>) => new LoggerSink(ctx),
});

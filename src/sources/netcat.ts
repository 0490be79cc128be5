/**
 * Netcat source (`netcat`, org.apache.flume.source.NetcatSource): one event per line, `OK\n`
 * after the event is committed to every required channel, `FAILED: <message>\n` when the channel
 * refused it, over-long lines rejected and the connection closed, exactly as Flume does.
 *
 * Speed: a read chunk's lines become one batch (one transaction per channel) instead of one
 * transaction per line; each line is still acknowledged only after its commit, so the client
 * sees the same replies in the same order. With UTF-8 input, bodies are zero-copy views of the
 * received bytes. A connection's batches run one after the other (per-connection order); while
 * a batch is in flight, further lines are queued and the socket is paused when the queue grows.
 */
import { isUtf8 } from 'node:buffer';
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { ChannelProcessor, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SOURCE_COUNTERS, type CounterGroup } from '../core/counters.js';
import { errorMessage } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { defineSource, type PropsOf } from '../core/spec.js';

const properties = {
  bind: { type: 'string', required: true, description: 'Host name or IP address to listen on.' },
  port: { type: 'integer', required: true, min: 0, max: 65535, description: 'TCP port to listen on.' },
  'max-line-length': {
    type: 'integer', default: 512, min: 1,
    description: 'Maximum line length in characters, including the newline; longer lines get FAILED and the connection is closed.',
  },
  'ack-every-event': { type: 'boolean', default: true, description: 'Reply OK after each event is committed.' },
  encoding: { type: 'string', default: 'utf-8', description: 'Charset used to decode input and encode replies; bodies are stored as UTF-8.' },
} as const;

export type NetcatProps = PropsOf<typeof properties>;

const OK_LINES = 16384;
const OK_UTF8 = Buffer.from('OK\n'.repeat(OK_LINES));
const PAUSE_THRESHOLD = 20000;
const NL = 10;

type Codec = { kind: 'utf8' } | { kind: 'decoder'; make: () => { write(b: Buffer): string }; encode: (s: string) => Buffer };

function codecFor(encoding: string): Codec | undefined {
  const e = encoding.trim().toLowerCase().replace(/_/g, '-');
  if (e === 'utf-8' || e === 'utf8') return { kind: 'utf8' };
  if (e === 'iso-8859-1' || e === 'latin1' || e === 'iso8859-1' || e === 'us-ascii' || e === 'ascii') {
    return { kind: 'decoder', make: () => new StringDecoder('latin1'), encode: (s) => Buffer.from(s, 'latin1') };
  }
  if (e === 'utf-16le') return { kind: 'decoder', make: () => new StringDecoder('utf16le'), encode: (s) => Buffer.from(s, 'utf16le') };
  if (e === 'utf-16be' || e === 'utf-16') {
    return {
      kind: 'decoder',
      make: () => {
        const td = new TextDecoder('utf-16be');
        return { write: (b: Buffer) => td.decode(b, { stream: true }) };
      },
      encode: (s) => {
        const b = Buffer.from(s, 'utf16le');
        b.swap16();
        return b;
      },
    };
  }
  return undefined;
}

/** Number of UTF-8 characters (code points; supplementary ones count 2 like Java chars). */
function utf8CharLength(b: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if ((c & 0xc0) !== 0x80) n += c >= 0xf0 ? 2 : 1;
  }
  return n;
}

class Connection {
  private rest: Buffer | undefined;
  private restStr = '';
  private pending: Event[] = [];
  private busy = false;
  private closing = false;
  private readonly decoder: { write(b: Buffer): string } | undefined;
  /** Resolves when the in-flight batch (if any) finished. */
  idle: Promise<void> = Promise.resolve();
  private idleResolve: (() => void) | undefined;

  constructor(private readonly src: NetcatSource, readonly socket: net.Socket) {
    const c = src.codec;
    this.decoder = c.kind === 'decoder' ? c.make() : undefined;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (e) => src.logger.debug(`connection error: ${e.message}`));
    socket.on('close', () => src.connections.delete(this));
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    if (this.decoder) return this.onText(this.decoder.write(chunk));
    const max = this.src.maxLineLength;
    let buf = chunk;
    if (this.rest !== undefined) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let start = 0;
    const len = buf.length;
    const out = this.pending;
    let nl = buf.indexOf(NL, 0);
    let valid: boolean | undefined;
    while (nl !== -1) {
      const lineLen = nl - start;
      if (lineLen >= max && utf8CharLength(buf, start, nl) >= max) {
        this.tooLong();
        return;
      }
      if (valid === undefined) {
        // One native check for all complete lines of this chunk.
        const lastNl = buf.lastIndexOf(NL);
        valid = isUtf8(buf.subarray(start, lastNl));
      }
      const body = valid ? buf.subarray(start, nl) : Buffer.from(buf.toString('utf8', start, nl), 'utf8');
      out.push({ headers: {}, body });
      start = nl + 1;
      nl = buf.indexOf(NL, start);
    }
    if (start < len) {
      const tail = buf.subarray(start);
      if (tail.length >= max && utf8CharLength(tail, 0, tail.length) >= max) {
        this.flushThenTooLong();
        return;
      }
      this.rest = Buffer.from(tail); // copy: do not pin the whole chunk for a fragment
    }
    this.kick();
  }

  private onText(s: string): void {
    const max = this.src.maxLineLength;
    let text = this.restStr + s;
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      if (nl - start >= max) { this.tooLong(); return; }
      this.pending.push({ headers: {}, body: Buffer.from(text.slice(start, nl), 'utf8') });
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    text = text.slice(start);
    if (text.length >= max) { this.flushThenTooLong(); return; }
    this.restStr = text;
    this.kick();
  }

  /** Lines complete before the over-long one are processed first, then FAILED and close. */
  private tooLong(): void { this.flushThenTooLong(); }
  private flushThenTooLong(): void {
    this.closing = true;
    this.socket.pause();
    this.kick();
    void this.idleAfterAll().then(() => {
      this.src.logger.warn('Client sent event exceeding the maximum length');
      this.reply(`FAILED: Event exceeds the maximum length (${this.src.maxLineLength} chars, including newline)\n`);
      this.socket.end();
    });
  }

  private async idleAfterAll(): Promise<void> {
    while (this.busy || this.pending.length > 0) await this.idle;
  }

  private onEnd(): void {
    // Complete lines are processed; an unterminated fragment is discarded (as Flume).
    this.rest = undefined;
    this.restStr = '';
    this.closing = true;
    void this.idleAfterAll().then(() => this.socket.end());
  }

  private kick(): void {
    if (this.busy || this.pending.length === 0) return;
    if (this.pending.length > PAUSE_THRESHOLD) this.socket.pause();
    void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    this.idle = new Promise<void>((r) => (this.idleResolve = r));
    const proc = this.src.processor!;
    const maxBatch = Math.max(1, Math.min(proc.maxBatchSize, 100000));
    const counters = this.src.counters.values;
    try {
      while (this.pending.length > 0) {
        let batch = this.pending;
        if (batch.length > maxBatch) {
          this.pending = batch.slice(maxBatch);
          batch = batch.slice(0, maxBatch);
        } else {
          this.pending = [];
        }
        counters.EventReceivedCount += batch.length;
        try {
          await proc.processEventBatch(batch);
          counters.EventAcceptedCount += batch.length;
          if (this.src.ackEveryEvent) this.ok(batch.length);
        } catch (e) {
          counters.ChannelWriteFail += batch.length;
          const msg = errorMessage(e);
          this.src.logger.warn(`Error processing event. Exception follows. ${msg}`);
          const line = `FAILED: ${msg}\n`;
          this.reply(line.repeat(batch.length));
        }
        if (!this.closing && this.pending.length < PAUSE_THRESHOLD && this.socket.isPaused()) this.socket.resume();
      }
    } finally {
      this.busy = false;
      this.idleResolve?.();
    }
  }

  private ok(n: number): void {
    if (this.socket.destroyed) return;
    const c = this.src.codec;
    if (c.kind === 'utf8') {
      while (n > 0) {
        const k = Math.min(n, OK_LINES);
        this.socket.write(k === OK_LINES ? OK_UTF8 : OK_UTF8.subarray(0, 3 * k));
        n -= k;
      }
    } else {
      this.socket.write(c.encode('OK\n'.repeat(n)));
    }
  }

  private reply(s: string): void {
    if (this.socket.destroyed) return;
    const c = this.src.codec;
    this.socket.write(c.kind === 'utf8' ? Buffer.from(s, 'utf8') : c.encode(s));
  }

  /** Stop reading; let the in-flight batch finish (its events get their replies). */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.socket.pause();
    this.pending = [];
    await this.idleAfterAll();
    // Flush the replies of the last batch, then close even if the client is still sending.
    await new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.end(() => resolve());
      setTimeout(resolve, 500).unref();
    });
    this.socket.destroy();
  }
}

export class NetcatSource implements Source {
  readonly codec: Codec;
  readonly maxLineLength: number;
  readonly ackEveryEvent: boolean;
  processor: ChannelProcessor | undefined;
  readonly connections = new Set<Connection>();
  private server: net.Server | undefined;
  readonly logger: Logger;
  readonly counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>;

  constructor(private readonly ctx: ComponentContext<NetcatProps>) {
    const codec = codecFor(ctx.props.encoding);
    if (!codec) throw new Error(`Unsupported encoding '${ctx.props.encoding}'`);
    this.codec = codec;
    this.maxLineLength = ctx.props['max-line-length'];
    this.ackEveryEvent = ctx.props['ack-every-event'];
    this.logger = ctx.logger;
    this.counters = ctx.counters('SOURCE', SOURCE_COUNTERS);
    this.counters.registered = false; // Flume's netcat source reports no counters
  }

  /** The port actually bound (useful with port 0). */
  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async start(processor: ChannelProcessor): Promise<void> {
    this.processor = processor;
    this.counters.start();
    const server = net.createServer({ noDelay: true }, (socket) => {
      this.counters.values.OpenConnectionCount++;
      this.connections.add(new Connection(this, socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.ctx.props.bind, port: this.ctx.props.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: unknown) => {
      server.close();
      throw new Error(`Unable to bind to socket ${this.ctx.props.bind}:${this.ctx.props.port}: ${errorMessage(e)}`);
    });
    server.on('error', (e) => this.logger.error(`netcat server error: ${e.message}`));
    this.server = server;
    this.logger.info(`Created serverSocket: ${this.ctx.props.bind}:${this.port ?? this.ctx.props.port}`);
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    // server.close() only calls back once every connection is gone: close them concurrently.
    const closed = s ? new Promise<void>((r) => s.close(() => r())) : Promise.resolve();
    await Promise.all([...this.connections].map((c) => c.shutdown()));
    await closed;
    this.counters.stop();
  }
}

export default defineSource({
  kind: 'source',
  type: 'netcat',
  aliases: ['org.apache.flume.source.NetcatSource'],
  description: 'Listens on a TCP port; each line of text becomes an event; replies OK per committed event.',
  properties,
  check: (p) =>
    codecFor(p.encoding) === undefined
      ? [{ severity: 'error', code: 'BAD_VALUE', key: 'encoding', value: p.encoding,
          message: `unsupported encoding '${p.encoding}'`, fix: 'use utf-8, iso-8859-1, utf-16le or utf-16be' }]
      : [],
  create: (ctx: ComponentContext<NetcatProps>) => new NetcatSource(ctx),
});

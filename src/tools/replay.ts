/**
 * `tsagent replay`: stream a log file or URL, line by line, into a Flume netcat source.
 *
 * The job of the seed's stream_logs.py, done properly:
 * - input: file, `-`, http/https/ftp URL, or a caller's stream; plain or gzip; streamed;
 * - lines exactly as stream_logs.py sends them (see lines.ts: errors='replace' decoding,
 *   splitlines(), strip(), blank lines skipped), each followed by '\n';
 * - pacing: a delay per line, a rate, the log's own timestamps sped up, or (default) as fast as
 *   the source acknowledges;
 * - acknowledgements: the netcat source answers every line with `OK\n` after the channel commit,
 *   or `FAILED: <message>\n` (channel full, ...). Lines are pipelined (up to maxInFlight awaiting a
 *   reply), replies are matched to lines in order, and:
 *     OK      -> the line is delivered, never sent again;
 *     FAILED  -> the line is sent again after a backoff (the channel was full); new lines wait too;
 *     FAILED: Event exceeds the maximum length -> the line can never be accepted: it is counted as
 *                rejected and skipped (Flume then closes the connection; we reconnect);
 *     connection lost -> reconnect with backoff and send again every line not yet acknowledged,
 *                in order, before new lines.
 *   No line is lost, and no line whose OK was received is sent twice. A line whose OK was lost
 *   with the connection (committed by the agent, reply not yet read) is sent again: delivery is
 *   at-least-once, with duplicates only in that window (see docs/tools.md).
 * - `ack: false` for sources with ack-every-event=false: lines are written as fast as the socket
 *   takes them; a lost connection can lose the lines in the socket buffers.
 *
 * Hot path: lines are joined into one large string per write, replies are parsed by scanning
 * chunks for '\n' and looking at the first byte only; no per-line promise, timer or closure.
 */
import net from 'node:net';
import { TsagentError } from '../core/errors.js';
import { describeNetError } from './ftp.js';
import { openInput, type InputSpec, type OpenedInput } from './input.js';
import { pythonLines } from './lines.js';

export interface ReplayOptions {
  /** File path, `-` for stdin, http(s)/ftp URL, or a stream of bytes. */
  input: InputSpec;
  /** Name of a stream input, for messages. */
  inputName?: string;
  /** Default localhost. */
  host?: string;
  /** Default 9999. */
  port?: number;
  /** Seconds between lines (stream_logs.py's --delay; it defaulted to 0.1). */
  delay?: number;
  /** Lines per second. */
  rate?: number;
  /** Replay the log's own timestamps this many times faster than they happened. */
  speedup?: number;
  /** Wait for the source's OK / FAILED replies (ack-every-event=true, Flume's default). Default true. */
  ack?: boolean;
  /** Lines sent but not yet acknowledged, at most. Default 20,000. */
  maxInFlight?: number;
  /** Skip this many lines of the input first. */
  skip?: number;
  /** Send at most this many lines. */
  limit?: number;
  /** Keep trying the first connection for this long (e.g. while the agent starts). Default 0: one try. */
  connectWaitMs?: number;
  /** After losing the connection, keep trying to reconnect for this long. Default 60 s. */
  retryForMs?: number;
  /** Give up when lines await a reply and none comes for this long. Default 30 s. */
  ackTimeoutMs?: number;
  /** Pause after FAILED replies (channel full); doubles for each further episode up to 2 s, reset by an OK. Default 100 ms. */
  failedBackoffMs?: number;
  /** On abort or input error: how long to wait for replies to lines in flight. Default 5 s. */
  drainTimeoutMs?: number;
  /** Connect and idle timeout for URL input. Default 30 s. */
  inputTimeoutMs?: number;
  /** Extra CA certificate(s) (PEM) to trust for https input. */
  ca?: string | Buffer;
  /** Do not verify the certificate of https input. */
  insecure?: boolean;
  /** Stop early (e.g. Ctrl-C): no new lines are sent, replies to lines in flight are awaited. */
  signal?: AbortSignal;
  /** Called every progressIntervalMs while the replay runs. */
  onProgress?: (p: ReplayProgress) => void;
  /** Default 1000 ms. */
  progressIntervalMs?: number;
  /** Recovered problems worth telling a user (reconnects, FAILED replies, rejected lines). */
  onNotice?: (message: string) => void;
}

export interface ReplayProgress {
  /** Lines taken from the input (after skip and limit). */
  linesRead: number;
  /** Lines written to the socket, resends included. */
  sent: number;
  /** OK replies: lines the agent committed. */
  acked: number;
  /** FAILED replies (each line is sent again, unless rejected). */
  failed: number;
  /** Lines the source can never accept (longer than its max-line-length); skipped. */
  rejected: number;
  /** Lines written again after a FAILED reply or a lost connection. */
  resent: number;
  reconnects: number;
  /** Lines sent and not yet acknowledged. */
  inFlight: number;
  /** Raw input bytes read (compressed bytes for gzip) and the input's size when known. */
  bytesRead: number;
  totalBytes: number | undefined;
  elapsedMs: number;
  /** Whether replies are awaited (false with ack: false). */
  ackMode: boolean;
  /** The limit option, when set. */
  limit: number | undefined;
}

export interface ReplaySummary extends ReplayProgress {
  input: string;
  target: string;
  /** Every input line was delivered (acked, or written in no-ack mode) or rejected. */
  complete: boolean;
  aborted: boolean;
  /** Delivered lines per second (acked lines, or written lines in no-ack mode). */
  linesPerSecond: number;
}

/** A replay that stopped on an error; `summary` tells how far it got. */
export class ReplayError extends TsagentError {
  readonly summary: ReplaySummary;
  constructor(code: string, message: string, summary: ReplaySummary, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ReplayError';
    this.summary = summary;
  }
}

const DEFAULT_MAX_IN_FLIGHT = 20_000;
/** Lines per socket write at most. */
const BATCH_LINES = 8192;
/** Lines read ahead from the input at most. */
const READ_AHEAD = 65_536;
/** A paced replay that falls this far behind restarts its schedule instead of bursting. */
const MAX_LAG_MS = 1000;
const MAX_FAILED_BACKOFF_MS = 2000;
/** The send window never shrinks below this many lines. */
const MIN_WINDOW = 64;
const MAX_RECONNECT_BACKOFF_MS = 2000;

function optionError(message: string): TsagentError {
  return new TsagentError('REPLAY_OPTIONS', message);
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const CLF_TIME = /\[(\d{1,2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?: ([+-])(\d{2})(\d{2}))?\]/;

/** Milliseconds since the epoch of a line's `[dd/Mon/yyyy:HH:MM:SS zone]` timestamp, or NaN. */
export function clfTimestampMs(line: string): number {
  const m = CLF_TIME.exec(line);
  if (!m) return NaN;
  const month = MONTHS[m[2]!];
  if (month === undefined) return NaN;
  let t = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (m[7] !== undefined) {
    const off = (Number(m[8]) * 60 + Number(m[9])) * 60_000;
    t -= m[7] === '-' ? -off : off;
  }
  return t;
}

type Pacing =
  | { kind: 'fast' }
  | { kind: 'interval'; ms: number }
  | { kind: 'speedup'; factor: number };

function pacingOf(o: ReplayOptions): Pacing {
  const given = (['delay', 'rate', 'speedup'] as const).filter((k) => o[k] !== undefined);
  if (given.length > 1) throw optionError(`choose one of delay, rate and speedup (got ${given.join(' and ')})`);
  if (o.delay !== undefined) {
    if (!(Number.isFinite(o.delay) && o.delay >= 0)) throw optionError(`delay must be a number of seconds >= 0, got ${String(o.delay)}`);
    return o.delay === 0 ? { kind: 'fast' } : { kind: 'interval', ms: o.delay * 1000 };
  }
  if (o.rate !== undefined) {
    if (!(Number.isFinite(o.rate) && o.rate > 0)) throw optionError(`rate must be a number of lines per second > 0, got ${String(o.rate)}`);
    return { kind: 'interval', ms: 1000 / o.rate };
  }
  if (o.speedup !== undefined) {
    if (!(Number.isFinite(o.speedup) && o.speedup > 0)) throw optionError(`speedup must be a factor > 0, got ${String(o.speedup)}`);
    return { kind: 'speedup', factor: o.speedup };
  }
  return { kind: 'fast' };
}

function checkCount(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw optionError(`${name} must be a whole number >= ${min}, got ${String(v)}`);
}

function checkMs(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw optionError(`${name} must be >= 0, got ${String(v)}`);
}

/** Replay `options.input` to a netcat source. Resolves with the summary; rejects with a ReplayError (or a TsagentError before anything was sent). */
export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const pacing = pacingOf(options);
  checkCount('maxInFlight', options.maxInFlight, 1);
  checkCount('skip', options.skip, 0);
  checkCount('limit', options.limit, 0);
  checkCount('port', options.port, 1);
  if (options.port !== undefined && options.port > 65535) throw optionError(`port must be 1-65535, got ${options.port}`);
  for (const k of ['connectWaitMs', 'retryForMs', 'ackTimeoutMs', 'failedBackoffMs', 'drainTimeoutMs', 'inputTimeoutMs', 'progressIntervalMs'] as const) checkMs(k, options[k]);
  const input = await openInput(options.input, {
    ...(options.inputName !== undefined ? { name: options.inputName } : {}),
    ...(options.inputTimeoutMs !== undefined ? { timeoutMs: options.inputTimeoutMs } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.insecure !== undefined ? { insecure: options.insecure } : {}),
  });
  return new Replayer(options, pacing, input).run();
}

class Replayer {
  private readonly host: string;
  private readonly port: number;
  private readonly target: string;
  private readonly ack: boolean;
  private readonly maxInFlight: number;
  private readonly started = performance.now();

  // counters
  private linesRead = 0;
  private sent = 0;
  private acked = 0;
  private failed = 0;
  private rejected = 0;
  private resent = 0;
  private reconnects = 0;
  private notices = 0;

  // input read-ahead: batches of lines, consumed from srcHead of src[0]
  private readonly src: string[][] = [];
  private srcHead = 0;
  private srcQueued = 0;
  private srcDone = false;
  private srcError: unknown;
  private srcSpace: (() => void) | undefined;

  // lines to send before new ones: after a lost connection (in order), then after FAILED replies
  private resendQ: string[] = [];
  private resendHead = 0;
  private retryQ: string[] = [];
  private retryHead = 0;

  // lines sent on the current connection and not yet answered, in send order
  private inflight: string[][] = [];
  private infHead = 0;
  private inflightCount = 0;

  private sock: net.Socket | undefined;
  private writeBlocked = false;
  private replyCarry: Buffer | undefined;
  private waitingSince = 0;
  private pauseUntil = 0;
  private failedBackoff: number;
  private failedEpisodes = 0;
  /**
   * Current send window (lines in flight at most), TCP-like: halved when the channel is full
   * (FAILED), then regrown by OKs, quickly up to the last good size (ssthresh), slowly beyond it.
   */
  private window: number;
  private ssthresh = Infinity;
  private lostAt = 0;
  private fatal: TsagentError | undefined;

  // pacing of new lines
  private freshIndex = 0;
  private paceBase = NaN;
  private firstTs = NaN;
  private lastTs = NaN;

  private wakeResolve: (() => void) | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: ReplayOptions,
    private readonly pacing: Pacing,
    private readonly input: OpenedInput,
  ) {
    this.host = o.host ?? 'localhost';
    this.port = o.port ?? 9999;
    this.target = `${this.host}:${this.port}`;
    this.ack = o.ack ?? true;
    this.maxInFlight = o.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.failedBackoff = o.failedBackoffMs ?? 100;
    this.window = this.maxInFlight;
  }

  // ---------------------------------------------------------------- control flow

  private wake(): void {
    const r = this.wakeResolve;
    if (r) {
      this.wakeResolve = undefined;
      if (this.wakeTimer) clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
      r();
    }
  }

  /** Sleep until wake() or the timeout. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeResolve = resolve;
      if (Number.isFinite(ms)) this.wakeTimer = setTimeout(() => this.wake(), Math.min(2_147_483_647, Math.max(0, Math.ceil(ms))));
    });
  }

  private notice(message: string): void {
    this.notices++;
    this.o.onNotice?.(message);
  }

  progress(): ReplayProgress {
    return {
      linesRead: this.linesRead,
      sent: this.sent,
      acked: this.acked,
      failed: this.failed,
      rejected: this.rejected,
      resent: this.resent,
      reconnects: this.reconnects,
      inFlight: this.inflightCount,
      bytesRead: this.input.bytesRead(),
      totalBytes: this.input.totalBytes,
      elapsedMs: performance.now() - this.started,
      ackMode: this.ack,
      limit: this.o.limit,
    };
  }

  private summary(aborted: boolean): ReplaySummary {
    const p = this.progress();
    const delivered = this.ack ? p.acked : p.sent;
    const complete = this.srcDone && this.srcError === undefined && this.pending() === 0 && delivered + p.rejected >= p.linesRead && !aborted;
    return {
      ...p,
      input: this.input.name,
      target: this.target,
      complete,
      aborted,
      linesPerSecond: delivered / Math.max(p.elapsedMs / 1000, 1e-9),
    };
  }

  /** Lines still to be sent (queued input, resends, retries). */
  private pending(): number {
    return this.srcQueued + (this.resendQ.length - this.resendHead) + (this.retryQ.length - this.retryHead);
  }

  async run(): Promise<ReplaySummary> {
    const signal = this.o.signal;
    const onAbort = (): void => this.wake();
    signal?.addEventListener('abort', onAbort);
    const ticker = this.o.onProgress
      ? setInterval(() => this.o.onProgress?.(this.progress()), this.o.progressIntervalMs ?? 1000)
      : undefined;
    ticker?.unref();
    try {
      try {
        this.sock = await this.connectWithRetry(this.o.connectWaitMs ?? 0, true);
      } catch (e) {
        this.input.close();
        throw e;
      }
      void this.readInput();
      for (;;) {
        if (this.fatal) throw this.fatal;
        // An input error stops the replay once every line read before it was sent.
        if (signal?.aborted || (this.srcError !== undefined && this.pending() === 0)) return await this.drainAndStop();
        if (!this.sock) {
          this.sock = await this.connectWithRetry(this.o.retryForMs ?? 60_000, false);
          if (!this.sock) continue; // aborted
          this.reconnects++;
          this.notice(`reconnected to ${this.target}; resending ${this.resendQ.length - this.resendHead} unacknowledged lines`);
          continue;
        }
        let wait = this.sendSome();
        if (this.fatal) throw this.fatal;
        if (this.finished()) break;
        if (wait === 0) continue; // more to write now; a full window or socket makes us wait below
        if (this.ack && this.inflightCount > 0) {
          // Wake up in time to notice a missing reply.
          wait = Math.min(wait, (this.o.ackTimeoutMs ?? 30_000) - (performance.now() - this.waitingSince) + 1);
        }
        await this.sleep(wait);
        this.checkAckTimeout();
      }
      await this.closeGracefully();
      return this.summary(false);
    } catch (e) {
      if (e instanceof TsagentError) this.fatal ??= e;
      this.sock?.destroy();
      this.sock = undefined;
      this.input.close();
      this.srcSpace?.();
      if (e instanceof ReplayError) throw e;
      if (e instanceof TsagentError) throw new ReplayError(e.code, e.message, this.summary(false), { cause: e });
      throw e;
    } finally {
      if (ticker) clearInterval(ticker);
      signal?.removeEventListener('abort', onAbort);
      if (this.wakeTimer) clearTimeout(this.wakeTimer);
    }
  }

  private finished(): boolean {
    return this.srcDone && this.srcError === undefined && this.pending() === 0 && (!this.ack || this.inflightCount === 0);
  }

  /** Abort or input error: send nothing new, wait (bounded) for replies to lines in flight, close. */
  private async drainAndStop(): Promise<ReplaySummary> {
    const deadline = performance.now() + (this.o.drainTimeoutMs ?? 5000);
    while (this.ack && this.sock && this.inflightCount > 0 && performance.now() < deadline && !this.fatal) {
      await this.sleep(deadline - performance.now());
    }
    this.input.close();
    this.srcSpace?.();
    await this.closeGracefully();
    const aborted = this.o.signal?.aborted === true;
    const s = this.summary(aborted);
    if (this.srcError !== undefined && !aborted) {
      const e = this.srcError;
      const message = e instanceof Error ? e.message : String(e);
      throw new ReplayError(e instanceof TsagentError ? e.code : 'REPLAY_INPUT', message, s, { cause: e });
    }
    return s;
  }

  private checkAckTimeout(): void {
    if (!this.ack || this.inflightCount === 0 || !this.sock) return;
    const limit = this.o.ackTimeoutMs ?? 30_000;
    if (performance.now() - this.waitingSince > limit) {
      this.fatal = new TsagentError(
        'REPLAY_ACK_TIMEOUT',
        `no reply from ${this.target} for ${limit / 1000} s with ${this.inflightCount} lines unacknowledged; ` +
          'if the netcat source runs with ack-every-event = false, use --no-ack',
      );
    }
  }

  // ---------------------------------------------------------------- input

  private async readInput(): Promise<void> {
    try {
      const opts = {
        ...(this.o.skip !== undefined ? { skip: this.o.skip } : {}),
        ...(this.o.limit !== undefined ? { limit: this.o.limit } : {}),
      };
      for await (const batch of pythonLines(this.input.chunks, opts)) {
        this.src.push(batch);
        this.srcQueued += batch.length;
        this.linesRead += batch.length;
        this.wake();
        while (this.srcQueued >= READ_AHEAD && !this.fatal && !this.o.signal?.aborted) {
          await new Promise<void>((resolve) => (this.srcSpace = resolve));
          this.srcSpace = undefined;
        }
        if (this.fatal || this.o.signal?.aborted) break;
      }
    } catch (e) {
      this.srcError = e;
    } finally {
      this.srcDone = true;
      this.wake();
    }
  }

  /** Due time of the next new line (performance.now() scale), or -Infinity when unpaced. */
  private dueOf(line: string, now: number): number {
    const p = this.pacing;
    if (p.kind === 'fast') return -Infinity;
    if (p.kind === 'interval') {
      if (Number.isNaN(this.paceBase)) this.paceBase = now;
      let due = this.paceBase + this.freshIndex * p.ms;
      if (due < now - MAX_LAG_MS) {
        this.paceBase = now - this.freshIndex * p.ms;
        due = now;
      }
      return due;
    }
    let ts = clfTimestampMs(line);
    if (Number.isNaN(ts)) {
      // No timestamp: goes with the previous line (or at once, before the first timestamp).
      if (Number.isNaN(this.lastTs)) return now;
      ts = this.lastTs;
    }
    if (Number.isNaN(this.firstTs)) {
      this.firstTs = ts;
      this.paceBase = now;
    }
    let due = this.paceBase + (ts - this.firstTs) / p.factor;
    if (due < now - MAX_LAG_MS) {
      this.paceBase = now - (ts - this.firstTs) / p.factor;
      due = now;
    }
    return due;
  }

  // ---------------------------------------------------------------- sending

  /** Write what may be written now. Returns how long to sleep at most before trying again. */
  private sendSome(): number {
    const sock = this.sock;
    if (!sock || this.writeBlocked) return Infinity;
    const now = performance.now();
    let room = this.ack ? this.window - this.inflightCount : BATCH_LINES;
    // Wait for a good share of the window to come back before writing again: big writes are
    // cheaper than many small ones.
    if (this.ack && this.inflightCount > 0 && room < Math.min(BATCH_LINES, this.window / 4)) return Infinity;
    room = Math.min(room, BATCH_LINES);
    const batch: string[] = [];
    while (batch.length < room && this.resendHead < this.resendQ.length) batch.push(this.resendQ[this.resendHead++]!);
    if (this.resendHead === this.resendQ.length && this.resendHead > 0) {
      this.resendQ = [];
      this.resendHead = 0;
    }
    let wait = Infinity;
    const paused = now < this.pauseUntil;
    if (paused) wait = this.pauseUntil - now;
    else {
      while (batch.length < room && this.retryHead < this.retryQ.length) batch.push(this.retryQ[this.retryHead++]!);
      if (this.retryHead === this.retryQ.length && this.retryHead > 0) {
        this.retryQ = [];
        this.retryHead = 0;
      }
    }
    this.resent += batch.length;
    if (!paused) {
      const fast = this.pacing.kind === 'fast';
      while (batch.length < room && this.srcQueued > 0) {
        const head = this.src[0]!;
        if (fast) {
          // Take a slice of the current input batch at once.
          const n = Math.min(room - batch.length, head.length - this.srcHead);
          for (let i = 0; i < n; i++) batch.push(head[this.srcHead + i]!);
          this.srcHead += n;
          this.srcQueued -= n;
        } else {
          const line = head[this.srcHead]!;
          const due = this.dueOf(line, now);
          if (due > now) {
            wait = Math.min(wait, due - now);
            break;
          }
          batch.push(line);
          this.srcHead++;
          this.srcQueued--;
          this.freshIndex++;
          if (this.pacing.kind === 'speedup') {
            const ts = clfTimestampMs(line);
            if (!Number.isNaN(ts)) this.lastTs = ts;
          }
        }
        if (this.srcHead >= head.length) {
          this.src.shift();
          this.srcHead = 0;
        }
      }
      if (this.srcQueued < READ_AHEAD / 2) this.srcSpace?.();
    }
    if (batch.length === 0) return wait;
    if (this.ack) {
      if (this.inflightCount === 0) this.waitingSince = now;
      this.inflight.push(batch);
      this.inflightCount += batch.length;
    }
    this.sent += batch.length;
    if (!sock.write(`${batch.join('\n')}\n`)) this.writeBlocked = true;
    // More may be sendable right away (another batch, or the next paced line).
    return this.writeBlocked ? wait : 0;
  }

  // ---------------------------------------------------------------- replies

  private onReplies(data: Buffer): void {
    if (this.replyCarry) {
      data = Buffer.concat([this.replyCarry, data]);
      this.replyCarry = undefined;
    }
    let pos = 0;
    let oks = 0;
    for (;;) {
      const nl = data.indexOf(10, pos);
      if (nl === -1) break;
      const c0 = data[pos];
      if (c0 === 0x4f && data[pos + 1] === 0x4b) oks++; // "OK"
      else if (c0 === 0x46 && data.toString('latin1', pos, Math.min(nl, pos + 7)) === 'FAILED:') {
        if (oks > 0) this.applyOk(oks);
        oks = 0;
        this.applyFailed(data.toString('utf8', pos, nl).replace(/\r$/, ''));
      } else {
        this.protocolError(`unexpected reply "${data.toString('utf8', pos, Math.min(nl, pos + 80)).replace(/\r$/, '')}" from ${this.target}; is it a Flume netcat source?`);
        return;
      }
      pos = nl + 1;
    }
    if (oks > 0) this.applyOk(oks);
    if (pos < data.length) this.replyCarry = Buffer.from(data.subarray(pos));
    this.waitingSince = performance.now();
    this.wake();
  }

  private protocolError(message: string): void {
    this.fatal ??= new TsagentError('REPLAY_PROTOCOL', message);
    this.sock?.destroy();
    this.wake();
  }

  private applyOk(n: number): void {
    if (!this.ack) {
      this.acked += n;
      return;
    }
    if (n > this.inflightCount) {
      this.protocolError(`${this.target} sent more replies than lines; is it a Flume netcat source?`);
      return;
    }
    this.acked += n;
    if (this.window < this.maxInFlight) {
      const grow = this.window < this.ssthresh ? n : Math.max(1, Math.floor((n * MIN_WINDOW) / this.window));
      this.window = Math.min(this.maxInFlight, this.window + grow);
    }
    if (this.failedEpisodes > 0 && performance.now() >= this.pauseUntil) this.failedBackoff = this.o.failedBackoffMs ?? 100;
    this.inflightCount -= n;
    while (n > 0) {
      const b = this.inflight[0]!;
      const left = b.length - this.infHead;
      if (n < left) {
        this.infHead += n;
        break;
      }
      n -= left;
      this.inflight.shift();
      this.infHead = 0;
    }
  }

  private applyFailed(message: string): void {
    if (!this.ack) {
      this.failed++;
      if (this.failed <= 3) this.notice(`${this.target} replied "${message}"; with --no-ack the line is not sent again`);
      return;
    }
    if (this.inflightCount === 0) {
      this.protocolError(`${this.target} sent more replies than lines; is it a Flume netcat source?`);
      return;
    }
    const b = this.inflight[0]!;
    const line = b[this.infHead++]!;
    if (this.infHead >= b.length) {
      this.inflight.shift();
      this.infHead = 0;
    }
    this.inflightCount--;
    if (/exceeds the maximum length/i.test(message)) {
      this.rejected++;
      this.notice(`line rejected by ${this.target} (${message.replace(/^FAILED:\s*/, '')}); skipped: ${JSON.stringify(line.slice(0, 60))}${line.length > 60 ? '...' : ''} (${line.length} chars)`);
      return;
    }
    this.failed++;
    this.retryQ.push(line);
    // One FAILED reply starts an episode: pause new sends, halve the window, back off longer
    // if the previous episode did not help. Replies to lines sent before the pause are part of
    // the same episode.
    const now = performance.now();
    if (now >= this.pauseUntil) {
      this.failedEpisodes++;
      this.pauseUntil = now + this.failedBackoff;
      this.window = Math.max(MIN_WINDOW, Math.floor(Math.min(this.window, this.inflightCount + 1) / 2));
      this.ssthresh = this.window;
      const e = this.failedEpisodes;
      if (e <= 3 || (e & (e - 1)) === 0) {
        this.notice(`${this.target} replied "${message}"; resending ${this.failed === 1 ? 'the line' : 'failed lines'} after ${this.failedBackoff} ms (${this.failed} FAILED replies so far)`);
      }
      this.failedBackoff = Math.min(this.failedBackoff * 2, MAX_FAILED_BACKOFF_MS);
    }
  }

  // ---------------------------------------------------------------- connection

  private connectOnce(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: this.host, port: this.port });
      s.setNoDelay(true);
      s.setTimeout(10_000, () => s.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      const onError = (e: Error): void => reject(e);
      s.once('error', onError);
      s.once('connect', () => {
        s.off('error', onError);
        s.setTimeout(0);
        this.attach(s);
        resolve(s);
      });
    });
  }

  private attach(s: net.Socket): void {
    this.writeBlocked = false;
    this.replyCarry = undefined;
    s.on('data', (d: Buffer) => {
      if (this.sock === s) this.onReplies(d);
    });
    s.on('drain', () => {
      if (this.sock !== s) return;
      this.writeBlocked = false;
      this.wake();
    });
    s.on('error', () => {
      // 'close' follows; the loss is handled there.
    });
    s.on('close', () => {
      if (this.sock !== s) return;
      this.connectionLost();
    });
  }

  private connectionLost(): void {
    this.sock = undefined;
    this.replyCarry = undefined;
    this.lostAt = performance.now();
    if (this.ack && this.inflightCount > 0) {
      // Everything not acknowledged goes first, in the order it was sent.
      const unacked: string[] = [];
      for (let i = 0; i < this.inflight.length; i++) {
        const b = this.inflight[i]!;
        for (let j = i === 0 ? this.infHead : 0; j < b.length; j++) unacked.push(b[j]!);
      }
      const rest = this.resendQ.slice(this.resendHead);
      this.resendQ = rest.length === 0 ? unacked : unacked.concat(rest);
      this.resendHead = 0;
    }
    this.inflight = [];
    this.infHead = 0;
    this.inflightCount = 0;
    if (!this.finished()) this.notice(`lost the connection to ${this.target}; reconnecting`);
    this.wake();
  }

  /** Connect, retrying refused / failed connections for `forMs`. Undefined when aborted meanwhile. */
  private async connectWithRetry(forMs: number, first: boolean): Promise<net.Socket | undefined> {
    const start = first ? performance.now() : this.lostAt;
    let backoff = 100;
    for (;;) {
      if (this.o.signal?.aborted) return undefined;
      try {
        return await this.connectOnce();
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        const reason = describeNetError(e);
        const hopeless = code === 'ENOTFOUND' || code === 'EAI_NONAME';
        const elapsed = performance.now() - start;
        if (hopeless || elapsed + backoff > forMs) {
          const hint = code === 'ECONNREFUSED' ? ' (is the agent with its netcat source running?)' : '';
          const what = first
            ? `cannot connect to ${this.target}: ${reason}${hint}`
            : `lost the connection to ${this.target} and could not reconnect within ${forMs / 1000} s: ${reason}${hint}`;
          throw new TsagentError('REPLAY_TARGET', what, { cause: e });
        }
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, MAX_RECONNECT_BACKOFF_MS);
      }
    }
  }

  /** End our side and wait (bounded) for the source to close: it has then read every line. */
  private async closeGracefully(): Promise<void> {
    const s = this.sock;
    if (!s) return;
    this.sock = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        s.destroy();
        resolve();
      }, this.o.drainTimeoutMs ?? 5000);
      s.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      s.end();
    });
  }
}

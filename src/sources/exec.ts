/**
 * Exec source (`exec`, org.apache.flume.source.ExecSource): runs a command and turns each line
 * of its standard output into an event (no headers), in batches of `batchSize` or every
 * `batchTimeout` ms. `shell` (e.g. `/bin/sh -c`) runs the command through a shell; otherwise the
 * command is split on whitespace and run directly. `restart` re-runs the command
 * `restartThrottle` ms after it exits; `logStdErr` logs its standard error lines.
 *
 * Difference (deliberate, safer): when the channel refuses a batch, Flume logs
 * `Failed while running command`, kills the command and loses the batch; tsagent keeps the batch,
 * stops reading the command's output (the pipe fills and the command blocks) and retries every
 * second until the channel accepts it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type { ChannelProcessor, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SOURCE_COUNTERS, type CounterGroup } from '../core/counters.js';
import { errorMessage } from '../core/errors.js';
import type { Event } from '../core/event.js';
import { defineSource, type PropsOf } from '../core/spec.js';

const properties = {
  command: { type: 'string', required: true, description: 'The command to run; each line of its stdout becomes an event.' },
  shell: { type: 'string', description: 'Shell invocation the command is passed to as one argument, e.g. `/bin/sh -c`; unset: the command is split on whitespace and run directly.' },
  restart: { type: 'boolean', default: false, description: 'Run the command again when it exits.' },
  restartThrottle: { type: 'integer', default: 10000, min: 0, description: 'Milliseconds to wait before restarting the command.' },
  logStdErr: { type: 'boolean', default: false, description: 'Log the command\'s stderr lines (INFO); otherwise they are discarded.' },
  batchSize: { type: 'integer', default: 20, min: 1, description: 'Maximum lines per channel transaction.' },
  batchTimeout: { type: 'integer', default: 3000, min: 1, description: 'Milliseconds after which an incomplete batch is sent.' },
  charset: { type: 'string', default: 'UTF-8', description: 'Charset of the command\'s output (UTF-8, ISO-8859-1, US-ASCII, UTF-16LE).' },
} as const;
type Props = PropsOf<typeof properties>;

const CHARSETS: Record<string, BufferEncoding> = { 'utf-8': 'utf8', utf8: 'utf8', 'iso-8859-1': 'latin1', latin1: 'latin1', 'us-ascii': 'ascii', ascii: 'ascii', 'utf-16le': 'utf16le' };
const encodingOf = (c: string): BufferEncoding | undefined => CHARSETS[c.trim().toLowerCase().replace(/_/g, '-')];

/** Java BufferedReader.readLine splitting: \n, \r or \r\n end a line. */
export class LineSplitter {
  private rest = '';
  private lastWasCR = false;
  constructor(private readonly decoder: StringDecoder) {}
  push(chunk: Buffer): string[] {
    let s = this.decoder.write(chunk);
    if (this.lastWasCR && s.startsWith('\n')) s = s.slice(1);
    this.lastWasCR = false;
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 10 || c === 13) {
        out.push(this.rest + s.slice(start, i));
        this.rest = '';
        if (c === 13) {
          if (i + 1 < s.length) { if (s.charCodeAt(i + 1) === 10) i++; } else this.lastWasCR = true;
        }
        start = i + 1;
      }
    }
    this.rest += s.slice(start);
    return out;
  }
  /** The unterminated last line at EOF (readLine returns it), if any. */
  end(): string[] {
    const s = this.rest + this.decoder.end();
    this.rest = '';
    return s === '' ? [] : [s];
  }
}

export class ExecSource implements Source {
  private processor: ChannelProcessor | undefined;
  private child: ChildProcess | undefined;
  private batch: Event[] = [];
  private lastFlush = Date.now();
  private flushing: Promise<void> = Promise.resolve();
  private inFlight = false;
  private timer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly enc: BufferEncoding;
  readonly counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>;
  /** Resolves when the current command has exited and its output was flushed. */
  exited: Promise<number | string> = Promise.resolve(0);

  constructor(private readonly ctx: ComponentContext<Props>) {
    this.enc = encodingOf(ctx.props.charset) ?? 'utf8';
    this.counters = ctx.counters('SOURCE', SOURCE_COUNTERS);
  }

  start(processor: ChannelProcessor): void {
    this.processor = processor;
    this.stopped = false;
    this.counters.start();
    this.ctx.logger.info(`Exec source starting with command: ${this.ctx.props.command}`);
    this.timer = setInterval(() => {
      if (this.batch.length > 0 && Date.now() - this.lastFlush >= this.ctx.props.batchTimeout) this.flush();
    }, Math.max(10, Math.min(this.ctx.props.batchTimeout, 1000)));
    this.timer.unref();
    this.run();
  }

  private argv(): string[] {
    const p = this.ctx.props;
    if (p.shell !== undefined && p.shell.trim() !== '') return [...p.shell.trim().split(/\s+/), p.command];
    return p.command.trim().split(/\s+/);
  }

  private run(): void {
    const [cmd, ...args] = this.argv();
    const log = this.ctx.logger;
    let resolveExit!: (c: number | string) => void;
    this.exited = new Promise((r) => (resolveExit = r));
    // Own process group, so that stop() also ends what a shell started (pipelines, sleeps).
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    const lines = new LineSplitter(new StringDecoder(this.enc));
    const stdout = child.stdout!;
    stdout.on('data', (chunk: Buffer) => {
      for (const l of lines.push(chunk)) this.add(l);
      if (this.inFlight) stdout.pause();
    });
    const errLines = new LineSplitter(new StringDecoder(this.enc));
    let errN = 0;
    child.stderr!.on('data', (chunk: Buffer) => {
      for (const l of errLines.push(chunk)) if (this.ctx.props.logStdErr) log.info(`StderrLogger[${++errN}] = '${l}'`);
    });
    let spawnError: Error | undefined;
    child.on('error', (e) => { spawnError = e; });
    child.on('close', (code, signal) => {
      for (const l of lines.end()) this.add(l);
      if (spawnError) log.error(`Failed while running command: ${this.ctx.props.command}: ${spawnError.message}`);
      const exit: number | string = code ?? (signal ? `signal ${signal}` : 'unknown');
      this.flush();
      void this.flushing.then(() => {
        this.child = undefined;
        if (this.ctx.props.restart && !this.stopped) {
          log.info(`Restarting in ${this.ctx.props.restartThrottle}ms, exit code ${exit}`);
          this.restartTimer = setTimeout(() => { this.restartTimer = undefined; if (!this.stopped) this.run(); }, this.ctx.props.restartThrottle);
        } else {
          log.info(`Command [${this.ctx.props.command}] exited with ${exit}`);
        }
        resolveExit(exit);
      });
    });
  }

  private add(line: string): void {
    this.counters.values.EventReceivedCount++;
    this.batch.push({ headers: {}, body: Buffer.from(line, this.enc) });
    if (this.batch.length >= this.ctx.props.batchSize) this.flush();
  }

  /** Sends the current batch after the one in flight (keeps order). */
  private flush(): void {
    if (this.batch.length === 0) return;
    const events = this.batch;
    this.batch = [];
    this.lastFlush = Date.now();
    this.inFlight = true;
    this.flushing = this.flushing.then(() => this.send(events)).finally(() => {
      if (this.batch.length < this.ctx.props.batchSize) {
        this.inFlight = false;
        this.child?.stdout?.resume();
      }
    });
  }

  private async send(events: Event[]): Promise<void> {
    const c = this.counters.values;
    for (;;) {
      c.AppendBatchReceivedCount++;
      try {
        await this.processor!.processEventBatch(events);
        c.AppendBatchAcceptedCount++;
        c.EventAcceptedCount += events.length;
        return;
      } catch (e) {
        c.ChannelWriteFail++;
        this.ctx.logger.error(`Failed while running command: ${this.ctx.props.command}: ${errorMessage(e)}; retrying the batch of ${events.length}`);
        if (this.stopped) { this.ctx.logger.warn(`Exec source stopped: ${events.length} line(s) not delivered`); return; }
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.timer) clearInterval(this.timer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.stdout?.resume();
      const kill = (sig: NodeJS.Signals): void => {
        try { if (child.pid !== undefined) process.kill(-child.pid, sig); else child.kill(sig); } catch { child.kill(sig); }
      };
      kill('SIGTERM');
      const t = setTimeout(() => kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(t);
    } else {
      await this.exited;
    }
    this.flush();
    await this.flushing;
    this.counters.stop();
  }
}

export default defineSource({
  kind: 'source',
  type: 'exec',
  aliases: ['org.apache.flume.source.ExecSource'],
  description: 'Runs a command; each line of its standard output becomes an event.',
  properties,
  batchSizeProperty: 'batchSize',
  check: (p) => encodingOf(p.charset) === undefined
    ? [{ severity: 'error', code: 'BAD_VALUE', key: 'charset', value: p.charset, message: `unsupported charset '${p.charset}'`, fix: 'use UTF-8, ISO-8859-1, US-ASCII or UTF-16LE' }]
    : p.command.trim() === '' ? [{ severity: 'error', code: 'MISSING_PROPERTY', key: 'command', message: 'The parameter command must be specified', fix: 'set command to the program to run' }] : [],
  create: (ctx: ComponentContext<Props>) => new ExecSource(ctx),
});

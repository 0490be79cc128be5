/**
 * Runners: drive sinks (through a SinkProcessor) and pollable sources with Flume's backoff,
 * and a supervisor that retries a component whose start() failed every 3 s (Flume's
 * LifecycleSupervisor).
 */
import type { Channel, SinkProcessor, Sink, Source } from '../core/contracts.js';
import { errorMessage } from '../core/errors.js';
import type { Status } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';

export const SUPERVISOR_RETRY_MS = 3000;
export const SINK_BACKOFF_INCREMENT_MS = 1000;
export const SINK_MAX_BACKOFF_MS = 5000;
export const SINK_ERROR_SLEEP_MS = 5000;

/** Single sink processor (Flume's DefaultSinkProcessor). */
export class DefaultSinkProcessor implements SinkProcessor {
  constructor(private readonly sink: Sink, private readonly channel: Channel) {}
  async start(): Promise<void> { await this.sink.start(this.channel); }
  process(): Promise<Status> { return this.sink.process(); }
  async stop(): Promise<void> { await this.sink.stop(); }
}

export interface RunnerOptions {
  name: string;
  logger: Logger;
  /** Wait for work: resolves early when new events arrive. */
  waitForWork: (ms: number) => Promise<void>;
  backoffIncrementMs?: number;
  maxBackoffMs?: number;
  errorSleepMs?: number;
}

/** Calls `process()` in a loop: READY → again at once; BACKOFF → wait; error → log + sleep. */
export class PollingRunner {
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  /** Resolves the current wait early (used at shutdown to drain promptly). */
  private kick: (() => void) | undefined;

  constructor(private readonly process: () => Promise<Status>, private readonly opts: RunnerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const inc = this.opts.backoffIncrementMs ?? SINK_BACKOFF_INCREMENT_MS;
    const max = this.opts.maxBackoffMs ?? SINK_MAX_BACKOFF_MS;
    const errSleep = this.opts.errorSleepMs ?? SINK_ERROR_SLEEP_MS;
    let backoffs = 0;
    while (this.running) {
      try {
        const st = await this.process();
        if (st === 'READY') {
          backoffs = 0;
        } else {
          backoffs++;
          if (!this.running) break;
          await this.waitOrKick(Math.min(backoffs * inc, max), true);
        }
      } catch (e) {
        this.opts.logger.error(`Unable to deliver event. Exception follows. ${errorMessage(e)}`);
        if (!this.running) break;
        await this.waitOrKick(errSleep, false);
      }
    }
  }

  private waitOrKick(ms: number, forWork: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      let done = false;
      const fin = (): void => { if (!done) { done = true; this.kick = undefined; resolve(); } };
      const timer = setTimeout(fin, ms);
      this.kick = (): void => { clearTimeout(timer); fin(); };
      if (forWork) void this.opts.waitForWork(ms).then(this.kick);
    });
  }

  /** Wake the runner now (e.g. to drain at shutdown). */
  wake(): void { this.kick?.(); }

  async stop(): Promise<void> {
    this.running = false;
    this.kick?.();
    await this.loop;
  }
}

/** Retries `start` every 3 s until it succeeds or `cancel()` is called (Flume's supervisor). */
export class Supervised {
  private cancelled = false;
  private timer: NodeJS.Timeout | undefined;
  started = false;
  constructor(
    private readonly what: string,
    private readonly startFn: () => Promise<void>,
    private readonly logger: Logger,
    private readonly retryMs = SUPERVISOR_RETRY_MS,
  ) {}

  /** Tries once now; resolves after the first attempt (success or scheduled retry). */
  async begin(): Promise<boolean> {
    await this.attempt();
    return this.started;
  }

  private async attempt(): Promise<void> {
    if (this.cancelled) return;
    try {
      await this.startFn();
      this.started = true;
    } catch (e) {
      this.logger.error(`Unable to start ${this.what} - Exception follows. ${errorMessage(e)}; retrying in ${this.retryMs / 1000} s`);
      this.timer = setTimeout(() => void this.attempt(), this.retryMs);
    }
  }

  cancel(): void {
    this.cancelled = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

export type { Source };

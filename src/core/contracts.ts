/**
 * The runtime contracts every component implements: built-ins and plugins alike.
 *
 * Concurrency model: Node is single-threaded, so Flume's per-thread transactions become
 * transaction objects. Channel operations are synchronous (no promise per event on the hot
 * path); waiting (for space, for events) is done with the async `waitFor*` hooks.
 */
import type { Event } from './event.js';
import type { Status } from './lifecycle.js';

/** One channel transaction: begin → put/take* → commit | rollback → close (Flume's state machine). */
export interface Transaction {
  begin(): void;
  /** Adds an event to the put list. Throws ChannelException when the put list is full. */
  put(event: Event): void;
  /** Takes the next event, or null when the channel is empty (never blocks). */
  take(): Event | null;
  /**
   * Commits. Throws ChannelFullException when the channel has no room right now; the
   * transaction stays open so the caller may wait (`Channel.waitForSpace`) and commit again,
   * or roll back.
   */
  commit(): void;
  /** Discards puts; returns taken events to the head of the channel in their original order. */
  rollback(): void;
  close(): void;
}

export interface Lifecycle {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export interface Channel extends Lifecycle {
  readonly name: string;
  createTransaction(): Transaction;
  /** Number of committed events available to take. */
  size(): number;
  /** Resolves when some space was freed or `ms` elapsed (whichever first). */
  waitForSpace(ms: number): Promise<void>;
  /** Resolves when events were committed or `ms` elapsed (whichever first). */
  waitForEvents(ms: number): Promise<void>;
  /** Flume's keep-alive in ms: how long a commit may wait for space before failing. */
  readonly keepAliveMs: number;
  /** Transaction capacity, if the channel has one (checked against batch sizes). */
  readonly transactionCapacity?: number;
  /** True when the contents survive a restart (file channel): shutdown does not wait for it to drain. */
  readonly durable?: boolean;
  /** Called when a reload keeps this channel with new properties (Flume reuses the channel). */
  reconfigure?(props: unknown): void;
}

/** What a source uses to hand events to its channels (interceptors and selector included). */
export interface ChannelProcessor {
  /**
   * Puts events through the interceptors into every required channel, one transaction per
   * channel; waits up to the channel's keep-alive for space. Resolves when committed; rejects
   * with a ChannelException (message as Flume's) when a required channel failed.
   */
  processEventBatch(events: Event[]): Promise<void>;
  processEvent(event: Event): Promise<void>;
  /** The largest batch every required channel accepts in one transaction. */
  readonly maxBatchSize: number;
}

export interface Source {
  /** Event-driven sources start their own I/O here. Throwing makes the supervisor retry in 3 s. */
  start(processor: ChannelProcessor): Promise<void> | void;
  /**
   * Pollable sources implement process(); the runner calls it in a loop with Flume's backoff
   * (BACKOFF → sleep min(n × backoffSleepIncrement, maxBackoffSleep)).
   */
  process?(): Promise<Status>;
  /** Stop accepting input; resolve when every accepted event is committed or rejected. */
  stop(): Promise<void> | void;
}

export interface Sink {
  start(channel: Channel): Promise<void> | void;
  /** One batch: take up to batchSize in one transaction, deliver, commit. READY or BACKOFF. */
  process(): Promise<Status>;
  stop(): Promise<void> | void;
}

export interface Interceptor {
  /** Returns the events to keep (may modify them in place); order is preserved. */
  intercept(events: Event[]): Event[];
  close?(): void;
}

/** How a sink group drives its sinks (default, failover, load_balance). */
export interface SinkProcessor {
  start(): Promise<void>;
  process(): Promise<Status>;
  stop(): Promise<void>;
}

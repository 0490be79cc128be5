/**
 * What the memory and file channels share:
 * - Flume's channel transaction state machine (BasicTransactionSemantics): begin → put/take* →
 *   commit | rollback → close, with Flume's state checks, exception messages and attempt
 *   counters (`ChannelTransaction`);
 * - the channel side a transaction drives: the queue of committed events, Flume's `used` count,
 *   the waiters and the success counters (`QueueChannel`).
 * A channel supplies only what differs: what its queue holds, how a take finds its event, and
 * how a commit is applied to the channel.
 */
import type { Transaction } from '../core/contracts.js';
import type { CHANNEL_COUNTERS } from '../core/counters.js';
import { ChannelException } from '../core/errors.js';
import type { Event } from '../core/event.js';
import { Deque } from '../core/deque.js';
import { Waiters } from '../core/waiters.js';

enum TxState { NEW, OPEN, COMPLETED, CLOSED }

/** What the state machine reads from its channel. */
export interface TransactionHost {
  readonly transactionCapacity: number;
  readonly counters: { readonly values: { EventPutAttemptCount: number; EventTakeAttemptCount: number } };
}

/**
 * One transaction of channel `H`; `T` is what the take list holds (the event itself, or a
 * pointer to it). A transaction object may be begun again after commit, rollback or close.
 */
export abstract class ChannelTransaction<H extends TransactionHost, T> implements Transaction {
  private state = TxState.NEW;
  /** Events put since begin (replaced, not cleared, at the end of the transaction). */
  protected puts: Event[] = [];
  /** What was taken since begin (replaced, not cleared, at the end of the transaction). */
  protected takes: T[] = [];

  /**
   * @param txClass Flume's transaction class name, as the capacity messages show it.
   */
  protected constructor(protected readonly ch: H, private readonly txClass: string) {}

  /** Appended to the capacity messages (e.g. the channel name). */
  protected messageSuffix(): string { return ''; }
  /** Called by begin() after the put and take lists were reset. */
  protected onBegin(): void {}
  /** Called after `e` was added to the put list. */
  protected onPut(_e: Event): void {}
  /** Takes the next event from the channel and records it in `takes`; null when there is none. */
  protected abstract takeNext(): Event | null;
  /** Applies puts and takes to the channel; may throw (the transaction then stays OPEN). */
  protected abstract doCommit(): void;
  /** Returns the takes to the channel (puts are discarded). */
  protected abstract doRollback(): void;

  private expectOpen(op: string): void {
    if (this.state !== TxState.OPEN) throw new ChannelException(`${op}() called when transaction is ${TxState[this.state]}!`);
  }

  private finish(): void {
    this.state = TxState.COMPLETED;
    this.puts = [];
    this.takes = [];
  }

  begin(): void {
    if (this.state === TxState.OPEN) throw new ChannelException(`begin() called when transaction is ${TxState[this.state]}!`);
    this.state = TxState.OPEN;
    this.puts = [];
    this.takes = [];
    this.onBegin();
  }

  put(e: Event): void {
    this.expectOpen('put');
    this.ch.counters.values.EventPutAttemptCount++;
    if (this.puts.length >= this.ch.transactionCapacity) {
      throw new ChannelException(
        `Put queue for ${this.txClass} of capacity ${this.ch.transactionCapacity} full, consider committing more frequently, increasing capacity or increasing thread count${this.messageSuffix()}`,
      );
    }
    this.puts.push(e);
    this.onPut(e);
  }

  take(): Event | null {
    this.expectOpen('take');
    this.ch.counters.values.EventTakeAttemptCount++;
    if (this.takes.length >= this.ch.transactionCapacity) {
      throw new ChannelException(
        `Take list for ${this.txClass}, capacity ${this.ch.transactionCapacity} full, consider committing more frequently, increasing capacity, or increasing thread count${this.messageSuffix()}`,
      );
    }
    return this.takeNext();
  }

  commit(): void {
    this.expectOpen('commit');
    this.doCommit(); // may throw; stays OPEN
    this.finish();
  }

  rollback(): void {
    this.expectOpen('rollback');
    this.doRollback();
    this.finish();
  }

  close(): void {
    if (this.state === TxState.OPEN) {
      throw new ChannelException('close() called when transaction is OPEN - you must either commit or rollback first');
    }
    this.state = TxState.CLOSED;
  }
}

/**
 * The queue side of a channel whose queue holds `T` (events, or pointers to them): committed
 * items in FIFO order, the items taken by open transactions still counted in `used` until their
 * commit (Flume's queueRemaining), and the waiters woken by commits and rollbacks.
 */
export abstract class QueueChannel<T> {
  protected queue = new Deque<T>(1024);
  /** Items in the queue plus items taken by open transactions. */
  used = 0;
  protected readonly spaceWaiters = new Waiters();
  protected readonly eventWaiters = new Waiters();
  abstract readonly counters: {
    readonly values: Record<(typeof CHANNEL_COUNTERS)[number], number>;
    set(n: 'ChannelSize', v: number): void;
    stop(): void;
  };

  size(): number { return this.queue.length; }
  waitForSpace(ms: number): Promise<void> { return this.spaceWaiters.wait(ms); }
  waitForEvents(ms: number): Promise<void> {
    if (this.queue.length > 0) return Promise.resolve();
    return this.eventWaiters.wait(ms);
  }

  /** Counts a commit of `puts` puts and `takes` takes already applied to the queue; wakes waiters. */
  protected committed(puts: number, takes: number): void {
    const net = puts - takes;
    this.used += net;
    const c = this.counters.values;
    c.EventPutSuccessCount += puts;
    c.EventTakeSuccessCount += takes;
    c.ChannelSize = this.queue.length;
    if (puts > 0) this.eventWaiters.wake();
    if (net < 0) this.spaceWaiters.wake();
  }

  /** At stop: records the final size, stops the counters, releases every waiter. */
  protected stopped(): void {
    this.counters.set('ChannelSize', this.queue.length);
    this.counters.stop();
    this.spaceWaiters.wake();
    this.eventWaiters.wake();
  }

  // --- used by the transactions ----------------------------------------------------------
  /** @internal */ takeOne(): T | undefined { return this.queue.shift(); }
  /** @internal Returns rolled-back takes to the head of the queue in their original order. */
  rollbackTakes(takes: readonly T[]): void {
    for (let i = takes.length - 1; i >= 0; i--) this.queue.unshift(takes[i]!);
    this.counters.values.ChannelSize = this.queue.length;
    if (takes.length > 0) this.eventWaiters.wake();
  }
}

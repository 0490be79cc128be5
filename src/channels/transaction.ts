/**
 * Flume's channel transaction state machine (BasicTransactionSemantics), shared by the memory
 * and file channels: begin → put/take* → commit | rollback → close, with Flume's state checks,
 * exception messages and attempt counters. A channel supplies only what differs: how a take
 * finds its event, and what commit and rollback do to the channel.
 */
import type { Transaction } from '../core/contracts.js';
import { ChannelException } from '../core/errors.js';
import type { Event } from '../core/event.js';

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

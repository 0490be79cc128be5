/**
 * Memory channel (`memory`, org.apache.flume.channel.MemoryChannel) with Flume's capacities,
 * byte accounting and exception messages. Differences (documented in the README):
 * - `take()` never blocks; sink runners wait with `waitForEvents` and wake as soon as a put
 *   commits (Flume polls with keep-alive waits and sleeps), so latency is lower.
 * - A commit that finds no room throws ChannelFullException at once and keeps the transaction
 *   open; the ChannelProcessor waits up to keep-alive for room and retries (Flume blocks in commit).
 */
import { getHeapStatistics } from 'node:v8';
import { ChannelException, ChannelFullException } from '../core/errors.js';
import type { Channel, Transaction } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { CHANNEL_COUNTERS, type CounterGroup, javaDouble } from '../core/counters.js';
import type { Event } from '../core/event.js';
import { defineChannel, type PropsOf } from '../core/spec.js';
import { ChannelTransaction, QueueChannel } from './transaction.js';

const FULL_MSG =
  "Space for commit to queue couldn't be acquired. Sinks are likely not keeping up with sources, or the buffer size is too tight";

const properties = {
  capacity: { type: 'integer', default: 100, min: 1, description: 'Maximum number of events stored in the channel.' },
  transactionCapacity: {
    type: 'integer', default: 100, min: 1,
    description: 'Maximum number of events a source puts or a sink takes in one transaction.',
  },
  'keep-alive': {
    type: 'integer', default: 3, min: 0, onInvalid: 'default',
    description: 'Seconds a put commit waits for free space before failing with ChannelFullException.',
  },
  byteCapacityBufferPercentage: {
    type: 'integer', default: 20, min: 0, max: 100, onInvalid: 'default',
    description: 'Percentage of byteCapacity kept free for headers (Flume counts body bytes only).',
  },
  byteCapacity: {
    type: 'integer', min: 0,
    description: 'Maximum total body bytes in the channel; default 80% of the Node heap limit; 0 means unlimited.',
  },
} as const;

export type MemoryChannelProps = PropsOf<typeof properties>;

function slotsOf(e: Event): number {
  const n = e.body.length;
  return n <= 100 ? 1 : Math.ceil(n / 100);
}

export class MemoryChannel extends QueueChannel<Event> implements Channel {
  readonly name: string;
  capacity: number;
  transactionCapacity: number;
  keepAliveMs: number;
  /** Byte slots (100 bytes each) available in total. */
  private byteSlotLimit: number;
  usedSlots = 0;
  readonly counters: CounterGroup<(typeof CHANNEL_COUNTERS)[number]>;

  constructor(name: string, props: MemoryChannelProps, counters: CounterGroup<(typeof CHANNEL_COUNTERS)[number]>) {
    super();
    this.name = name;
    this.counters = counters;
    this.capacity = props.capacity;
    this.transactionCapacity = props.transactionCapacity;
    this.keepAliveMs = props['keep-alive'] * 1000;
    this.byteSlotLimit = MemoryChannel.slotLimit(props);
    counters.computed('ChannelFillPercentage', () =>
      this.capacity === 0 ? '1.7976931348623157E308' : javaDouble((this.queue.length / this.capacity) * 100),
    );
  }

  static slotLimit(props: MemoryChannelProps): number {
    const bytes = props.byteCapacity ?? Math.floor(getHeapStatistics().heap_size_limit * 0.8);
    const slots = Math.floor((bytes * (1 - props.byteCapacityBufferPercentage / 100)) / 100);
    return slots < 1 ? Number.MAX_SAFE_INTEGER : slots;
  }

  reconfigure(p: unknown): void {
    const props = p as MemoryChannelProps;
    this.capacity = props.capacity;
    this.transactionCapacity = props.transactionCapacity;
    this.keepAliveMs = props['keep-alive'] * 1000;
    this.byteSlotLimit = MemoryChannel.slotLimit(props);
    this.spaceWaiters.wake();
  }

  start(): void {
    this.counters.start();
    this.counters.set('ChannelCapacity', this.capacity);
    this.counters.set('ChannelSize', this.queue.length);
  }
  stop(): void { this.stopped(); }

  createTransaction(): Transaction { return new MemoryTransaction(this); }
  override toString(): string { return `org.apache.flume.channel.MemoryChannel{name: ${this.name}}`; }

  // --- used by MemoryTransaction ---------------------------------------------------------
  /** @internal */
  commitTx(puts: Event[], takes: Event[], putSlots: number, takeSlots: number): void {
    const net = puts.length - takes.length;
    if (net > 0 && this.used + net > this.capacity) throw new ChannelFullException(FULL_MSG);
    const netSlots = putSlots - takeSlots;
    if (netSlots > 0 && this.usedSlots + netSlots > this.byteSlotLimit) {
      throw new ChannelException(
        `Cannot commit transaction. Byte capacity allocated to store event body ${this.byteSlotLimit * 100.0}reached. Please increase heap space/byte capacity allocated to the channel as the sinks may not be keeping up with the sources`,
      );
    }
    for (let i = 0; i < puts.length; i++) this.queue.push(puts[i]!);
    this.usedSlots += netSlots;
    this.committed(puts.length, takes.length);
  }
  /** @internal */ noteTaken(): void { /* taken events keep their space until commit */ }
}

class MemoryTransaction extends ChannelTransaction<MemoryChannel, Event> {
  private putSlots = 0;
  private takeSlots = 0;
  constructor(ch: MemoryChannel) { super(ch, 'MemoryTransaction'); }

  protected override onBegin(): void {
    this.putSlots = 0;
    this.takeSlots = 0;
  }
  protected override onPut(e: Event): void { this.putSlots += slotsOf(e); }
  protected takeNext(): Event | null {
    const e = this.ch.takeOne();
    if (e === undefined) return null;
    this.takes.push(e);
    this.takeSlots += slotsOf(e);
    return e;
  }
  protected doCommit(): void { this.ch.commitTx(this.puts, this.takes, this.putSlots, this.takeSlots); }
  protected doRollback(): void { this.ch.rollbackTakes(this.takes); }
}

export default defineChannel({
  kind: 'channel',
  type: 'memory',
  aliases: ['org.apache.flume.channel.MemoryChannel'],
  description: 'Events held in memory: fast, lost on a crash (tsagent drains it on a clean shutdown).',
  properties,
  transactionCapacityProperty: 'transactionCapacity',
  check: (p) =>
    p.transactionCapacity > p.capacity
      ? [{
          severity: 'error', code: 'TX_CAPACITY_GT_CAPACITY', key: 'transactionCapacity', value: String(p.transactionCapacity),
          message: `Transaction Capacity of Memory Channel cannot be higher than the capacity (${p.capacity})`,
          fix: `set transactionCapacity <= capacity`,
        }]
      : [],
  create: (ctx: ComponentContext<MemoryChannelProps>) =>
    new MemoryChannel(ctx.name, ctx.props, ctx.counters('CHANNEL', CHANNEL_COUNTERS)),
});

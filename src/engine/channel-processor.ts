/**
 * Flume's ChannelProcessor: interceptors → selector → one transaction per required channel
 * (all events of the batch for that channel), then optional channels whose failures are only
 * logged. A full channel is waited on for up to its keep-alive, then the batch fails with
 * Flume's ChannelFullException message.
 */
import type { Channel, ChannelProcessor, Interceptor } from '../core/contracts.js';
import { ChannelException, ChannelFullException, errorMessage, isTsagentError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';

export interface ChannelSelector {
  /** Channels every event must reach (static case: all events to the same channels). */
  readonly requiredFor: (e: Event) => readonly Channel[];
  readonly optionalFor: (e: Event) => readonly Channel[];
  /** True when every event goes to the same channels (fast path, no per-event grouping). */
  readonly isStatic: boolean;
  readonly allChannels: readonly Channel[];
}

export function replicatingSelector(channels: readonly Channel[], optional: readonly Channel[]): ChannelSelector {
  const req = channels.filter((c) => !optional.includes(c));
  const opt = optional.filter((c) => channels.includes(c));
  return { requiredFor: () => req, optionalFor: () => opt, isStatic: true, allChannels: channels };
}

export function multiplexingSelector(opts: {
  header: string;
  mapping: ReadonlyMap<string, readonly Channel[]>;
  optional: ReadonlyMap<string, readonly Channel[]>;
  defaults: readonly Channel[];
  allChannels: readonly Channel[];
}): ChannelSelector {
  const none: readonly Channel[] = [];
  const requiredFor = (e: Event): readonly Channel[] => {
    const v = e.headers[opts.header];
    if (v === undefined || v.trim() === '') return opts.defaults;
    return opts.mapping.get(v) ?? opts.defaults;
  };
  const optionalFor = (e: Event): readonly Channel[] => {
    const v = e.headers[opts.header];
    const o = v === undefined ? undefined : opts.optional.get(v);
    if (!o) return none;
    const req = requiredFor(e);
    return o.filter((c) => !req.includes(c));
  };
  return { requiredFor, optionalFor, isStatic: false, allChannels: opts.allChannels };
}

export class DefaultChannelProcessor implements ChannelProcessor {
  readonly maxBatchSize: number;
  constructor(
    private readonly selector: ChannelSelector,
    private readonly interceptors: readonly Interceptor[],
    private readonly logger: Logger,
  ) {
    let m = Number.MAX_SAFE_INTEGER;
    for (const c of selector.allChannels) if (c.transactionCapacity !== undefined) m = Math.min(m, c.transactionCapacity);
    this.maxBatchSize = m;
  }

  processEvent(event: Event): Promise<void> {
    return this.processEventBatch([event]);
  }

  async processEventBatch(input: Event[]): Promise<void> {
    let events = input;
    for (const i of this.interceptors) {
      events = i.intercept(events);
      if (events.length === 0) return;
    }
    const sel = this.selector;
    if (sel.isStatic) {
      const probe = events[0]!;
      for (const ch of sel.requiredFor(probe)) await this.commitTo(ch, events, true);
      for (const ch of sel.optionalFor(probe)) {
        try { await this.commitTo(ch, events, false); } catch (e) {
          this.logger.error(`Unable to put batch on optional channel: ${String(ch)}: ${errorMessage(e)}`);
        }
      }
      return;
    }
    const req = new Map<Channel, Event[]>();
    const opt = new Map<Channel, Event[]>();
    for (const e of events) {
      for (const c of sel.requiredFor(e)) { let l = req.get(c); if (!l) req.set(c, (l = [])); l.push(e); }
      for (const c of sel.optionalFor(e)) { let l = opt.get(c); if (!l) opt.set(c, (l = [])); l.push(e); }
    }
    for (const [ch, list] of req) await this.commitTo(ch, list, true);
    for (const [ch, list] of opt) {
      try { await this.commitTo(ch, list, false); } catch (e) {
        this.logger.error(`Unable to put batch on optional channel: ${String(ch)}: ${errorMessage(e)}`);
      }
    }
  }

  /** Puts `events` into `ch` in one transaction; waits up to keep-alive for space. */
  private async commitTo(ch: Channel, events: Event[], required: boolean): Promise<void> {
    const tx = ch.createTransaction();
    tx.begin();
    try {
      for (let i = 0; i < events.length; i++) tx.put(events[i]!);
      const deadline = Date.now() + ch.keepAliveMs;
      for (;;) {
        try {
          tx.commit();
          return;
        } catch (e) {
          if (!(e instanceof ChannelFullException)) throw e;
          const left = deadline - Date.now();
          if (left <= 0) throw e;
          await ch.waitForSpace(left);
        }
      }
    } catch (e) {
      try { tx.rollback(); } catch { /* already completed */ }
      if (isTsagentError(e) && e instanceof ChannelException) throw e;
      throw new ChannelException(
        `Unable to put batch on ${required ? 'required' : 'optional'} channel: ${String(ch)}`,
        { cause: e },
      );
    } finally {
      try { tx.close(); } catch { /* ignore */ }
    }
  }
}

import type { Transaction } from '../core/contracts.js';
import type { Event } from '../core/event.js';

/** Takes up to `max` events in the open transaction. */
export function takeBatch(tx: Transaction, max: number): Event[] {
  const out: Event[] = [];
  for (let i = 0; i < max; i++) {
    const e = tx.take();
    if (e === null) break;
    out.push(e);
  }
  return out;
}

/** Concatenates bodies, each followed by `\n` when `newline` (TEXT serializer). */
export function joinBodies(events: readonly Event[], newline: boolean): Buffer {
  let total = 0;
  for (const e of events) total += e.body.length + (newline ? 1 : 0);
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (const e of events) {
    o += e.body.copy(out, o);
    if (newline) out[o++] = 10;
  }
  return out;
}

/**
 * Test components for sink group and selector tests: a sink that fails on demand (and rolls its
 * transaction back, as every Flume sink does) and records what it delivered.
 */
import type { Channel, Sink } from '../../src/core/contracts.js';
import type { ComponentContext } from '../../src/core/context.js';
import { EventDeliveryException } from '../../src/core/errors.js';
import { BACKOFF, READY, type Status } from '../../src/core/lifecycle.js';
import { defineSink, type PropsOf } from '../../src/core/spec.js';

export interface FlakyState { failing: boolean; delivered: string[]; calls: number; failures: number }

/** Shared state by sink name (the agent creates the instances). */
export const flakyStates = new Map<string, FlakyState>();
export function flakyState(name: string): FlakyState {
  let s = flakyStates.get(name);
  if (!s) flakyStates.set(name, (s = { failing: false, delivered: [], calls: 0, failures: 0 }));
  return s;
}

const properties = {
  batchSize: { type: 'integer', default: 10, min: 1, description: 'Events per transaction.' },
  delayMs: { type: 'integer', default: 0, min: 0, description: 'Pause per process() call (to stretch a stream over time).' },
} as const;

export class FlakySink implements Sink {
  private channel: Channel | undefined;
  readonly state: FlakyState;
  constructor(readonly name: string, private readonly batchSize: number, private readonly delayMs = 0) { this.state = flakyState(name); }
  start(channel: Channel): void { this.channel = channel; }
  async process(): Promise<Status> {
    const s = this.state;
    s.calls++;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const tx = this.channel!.createTransaction();
    tx.begin();
    try {
      const got: string[] = [];
      for (let i = 0; i < this.batchSize; i++) {
        const e = tx.take();
        if (!e) break;
        got.push(e.body.toString());
      }
      if (s.failing) throw new EventDeliveryException(`${this.name} is down`);
      s.delivered.push(...got);
      tx.commit();
      return got.length === 0 ? BACKOFF : READY;
    } catch (e) {
      s.failures++;
      tx.rollback();
      throw e;
    } finally {
      tx.close();
    }
  }
  stop(): void { /* nothing */ }
}

export const flakySinkSpec = defineSink({
  kind: 'sink',
  type: 'test_flaky',
  description: 'Test sink that fails on demand.',
  properties,
  batchSizeProperty: 'batchSize',
  create: (ctx: ComponentContext<PropsOf<typeof properties>>) => new FlakySink(ctx.name, ctx.props.batchSize, ctx.props.delayMs),
});

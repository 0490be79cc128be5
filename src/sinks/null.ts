/** Null sink (`null`): takes events in batches and discards them. */
import type { Channel, Sink } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { BACKOFF, READY, type Status } from '../core/lifecycle.js';
import { defineSink, type PropsOf } from '../core/spec.js';

const properties = {
  batchSize: { type: 'integer', default: 100, min: 1, description: 'Events taken per transaction.' },
  logEveryNEvents: { type: 'integer', default: 10000, min: 1, description: 'Log a progress line every N events.' },
} as const;
type NullProps = PropsOf<typeof properties>;

export class NullSink implements Sink {
  private channel: Channel | undefined;
  private count = 0;
  constructor(private readonly ctx: ComponentContext<NullProps>) {
    ctx.counters('SINK', []).registered = false;
  }
  start(channel: Channel): void { this.channel = channel; }
  process(): Promise<Status> {
    const tx = this.channel!.createTransaction();
    const { batchSize, logEveryNEvents } = this.ctx.props;
    tx.begin();
    let n = 0;
    try {
      for (; n < batchSize; n++) if (tx.take() === null) break;
      tx.commit();
    } catch (err) {
      tx.rollback();
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    } finally {
      tx.close();
    }
    if (n === 0) return Promise.resolve(BACKOFF);
    const before = Math.floor(this.count / logEveryNEvents);
    this.count += n;
    if (Math.floor(this.count / logEveryNEvents) > before) {
      this.ctx.logger.info(`Null sink ${this.ctx.name} successful processed ${this.count} events.`);
    }
    return Promise.resolve(READY);
  }
  stop(): void { /* nothing */ }
}

export default defineSink({
  kind: 'sink',
  type: 'null',
  aliases: ['org.apache.flume.sink.NullSink'],
  description: 'Discards every event (benchmarks, testing).',
  properties,
  batchSizeProperty: 'batchSize',
  create: (ctx: ComponentContext<NullProps>) => new NullSink(ctx),
});

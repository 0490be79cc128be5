/**
 * Sequence generator source (`seq`, org.apache.flume.source.SequenceGeneratorSource): event
 * bodies are the decimal numbers 0, 1, 2, … (no headers), `batchSize` per transaction, until
 * `totalEvents` were sent (then BACKOFF). Numbers refused by the channel are sent again.
 */
import type { ChannelProcessor, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SOURCE_COUNTERS, type CounterGroup } from '../core/counters.js';
import { errorMessage } from '../core/errors.js';
import type { Event } from '../core/event.js';
import { BACKOFF, READY, type Status } from '../core/lifecycle.js';
import { defineSource, type PropsOf } from '../core/spec.js';

const properties = {
  batchSize: { type: 'integer', default: 1, min: 1, description: 'Events per channel transaction.' },
  totalEvents: { type: 'integer', default: Number.MAX_SAFE_INTEGER, min: 0, description: 'Number of events to generate (default: unbounded).' },
} as const;
type Props = PropsOf<typeof properties>;

export class SequenceGeneratorSource implements Source {
  private processor: ChannelProcessor | undefined;
  private sequence = 0;
  readonly counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>;
  constructor(private readonly ctx: ComponentContext<Props>) {
    this.counters = ctx.counters('SOURCE', SOURCE_COUNTERS);
  }
  start(processor: ChannelProcessor): void {
    this.processor = processor;
    this.counters.start();
  }
  async process(): Promise<Status> {
    const { batchSize, totalEvents } = this.ctx.props;
    const n = Math.min(batchSize, totalEvents - this.sequence);
    if (n <= 0) return BACKOFF;
    // Let I/O and timers run between batches (a channel commit may complete without waiting).
    await new Promise<void>((r) => setImmediate(r));
    const events: Event[] = new Array<Event>(n);
    for (let i = 0; i < n; i++) events[i] = { headers: {}, body: Buffer.from(String(this.sequence + i)) };
    const c = this.counters.values;
    try {
      if (batchSize > 1) c.AppendBatchReceivedCount++;
      await this.processor!.processEventBatch(events);
      this.sequence += n;
      if (batchSize > 1) c.AppendBatchAcceptedCount++;
      c.EventAcceptedCount += n;
    } catch (e) {
      c.ChannelWriteFail++;
      this.ctx.logger.error(`seq source could not write to channel: ${errorMessage(e)}`);
      return BACKOFF;
    }
    return n < batchSize ? BACKOFF : READY;
  }
  stop(): void { this.counters.stop(); }
}

export default defineSource({
  kind: 'source',
  type: 'seq',
  aliases: ['org.apache.flume.source.SequenceGeneratorSource'],
  description: 'Generates events whose bodies are 0, 1, 2, … (testing).',
  properties,
  batchSizeProperty: 'batchSize',
  create: (ctx: ComponentContext<Props>) => new SequenceGeneratorSource(ctx),
});

import type { ChannelProcessor } from '../../src/core/contracts.js';
import { ChannelFullException } from '../../src/core/errors.js';
import type { Event } from '../../src/core/event.js';

/**
 * A channel processor for source unit tests: keeps every event of every batch it accepts, and
 * refuses the next `failNext` batches with a ChannelFullException, as a full memory channel does.
 */
export class CollectingProcessor implements ChannelProcessor {
  readonly events: Event[] = [];
  /** Size of each accepted batch, in order. */
  readonly batches: number[] = [];
  /** How many of the next batches to refuse. */
  failNext = 0;
  readonly maxBatchSize = 10000;

  constructor(private readonly failMessage = 'Space for commit to queue couldn\'t be acquired.') {}

  async processEventBatch(e: Event[]): Promise<void> {
    if (this.failNext > 0) { this.failNext--; throw new ChannelFullException(this.failMessage); }
    this.events.push(...e);
    this.batches.push(e.length);
  }

  processEvent(e: Event): Promise<void> { return this.processEventBatch([e]); }

  /** The accepted bodies as UTF-8 text. */
  bodies(): string[] { return this.events.map((e) => e.body.toString()); }
}

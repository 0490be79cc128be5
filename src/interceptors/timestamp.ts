/**
 * Timestamp interceptor (`timestamp`, org.apache.flume.interceptor.TimestampInterceptor$Builder):
 * puts the current time in epoch milliseconds (decimal string) in a header.
 */
import type { Interceptor } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import type { Event } from '../core/event.js';
import { defineInterceptor, type PropsOf } from '../core/spec.js';

const properties = {
  headerName: { type: 'string', default: 'timestamp', description: 'Header that receives the time in epoch milliseconds.' },
  preserveExisting: { type: 'boolean', default: false, description: 'Keep a header that is already set.' },
} as const;
type Props = PropsOf<typeof properties>;

export class TimestampInterceptor implements Interceptor {
  constructor(private readonly ctx: ComponentContext<Props>) {}
  intercept(events: Event[]): Event[] {
    const { headerName, preserveExisting } = this.ctx.props;
    for (const e of events) {
      if (preserveExisting && e.headers[headerName] !== undefined) continue;
      e.headers[headerName] = String(this.ctx.clock.now());
    }
    return events;
  }
}

export default defineInterceptor({
  kind: 'interceptor',
  type: 'timestamp',
  aliases: ['org.apache.flume.interceptor.TimestampInterceptor$Builder'],
  description: 'Sets a header (default `timestamp`) to the current time in epoch milliseconds.',
  properties,
  create: (ctx: ComponentContext<Props>) => new TimestampInterceptor(ctx),
});

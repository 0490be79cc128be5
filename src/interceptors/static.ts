/**
 * Static interceptor (`static`, org.apache.flume.interceptor.StaticInterceptor$Builder): sets a
 * fixed header on every event; by default (preserveExisting = true) an existing value is kept.
 */
import type { Interceptor } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import type { Event } from '../core/event.js';
import { defineInterceptor, type PropsOf } from '../core/spec.js';

const properties = {
  key: { type: 'string', default: 'key', description: 'Header name.' },
  value: { type: 'string', default: 'value', description: 'Header value.' },
  preserveExisting: { type: 'boolean', default: true, description: 'Keep a header that is already set.' },
} as const;
type Props = PropsOf<typeof properties>;

export class StaticInterceptor implements Interceptor {
  constructor(private readonly ctx: ComponentContext<Props>) {}
  intercept(events: Event[]): Event[] {
    const { key, value, preserveExisting } = this.ctx.props;
    for (const e of events) {
      if (preserveExisting && e.headers[key] !== undefined) continue;
      e.headers[key] = value;
    }
    return events;
  }
}

export default defineInterceptor({
  kind: 'interceptor',
  type: 'static',
  aliases: ['org.apache.flume.interceptor.StaticInterceptor$Builder'],
  description: 'Sets a fixed header `key` = `value` (an existing header is kept unless preserveExisting = false).',
  properties,
  create: (ctx: ComponentContext<Props>) => new StaticInterceptor(ctx),
});

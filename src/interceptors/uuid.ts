/**
 * UUID interceptor (`uuid`, org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder): puts a
 * random (version 4) UUID, with an optional prefix, in a header (default `id`); an existing header
 * is kept by default.
 */
import { randomUUID } from 'node:crypto';
import type { Interceptor } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import type { Event } from '../core/event.js';
import { defineInterceptor, type PropsOf } from '../core/spec.js';

const properties = {
  headerName: { type: 'string', default: 'id', description: 'Header that receives the UUID.' },
  preserveExisting: { type: 'boolean', default: true, description: 'Keep a header that is already set.' },
  prefix: { type: 'string', default: '', description: 'Text put before the UUID.' },
} as const;
type Props = PropsOf<typeof properties>;

export class UUIDInterceptor implements Interceptor {
  constructor(private readonly ctx: ComponentContext<Props>) {}
  intercept(events: Event[]): Event[] {
    const { headerName, preserveExisting, prefix } = this.ctx.props;
    for (const e of events) {
      if (preserveExisting && e.headers[headerName] !== undefined) continue;
      e.headers[headerName] = prefix + randomUUID();
    }
    return events;
  }
}

export default defineInterceptor({
  kind: 'interceptor',
  type: 'uuid',
  aliases: ['org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder'],
  description: 'Sets a header (default `id`) to a random UUID with an optional prefix.',
  properties,
  create: (ctx: ComponentContext<Props>) => new UUIDInterceptor(ctx),
});

/**
 * Host interceptor (`host`, org.apache.flume.interceptor.HostInterceptor$Builder): puts this
 * machine's IP address (useIP = true, the default) or host name in a header. The value is
 * computed once when the interceptor is built, as Flume does.
 *
 * IP: Flume uses InetAddress.getLocalHost().getHostAddress(); tsagent uses the first
 * non-internal IPv4 address of the machine's interfaces (then IPv6, then 127.0.0.1).
 * Name: Flume's getCanonicalHostName(); tsagent uses os.hostname().
 */
import os from 'node:os';
import type { Interceptor } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import type { Event } from '../core/event.js';
import { defineInterceptor, type PropsOf } from '../core/spec.js';

const properties = {
  hostHeader: { type: 'string', default: 'host', description: 'Header that receives the host address or name.' },
  useIP: { type: 'boolean', default: true, description: 'true: the IP address; false: the host name.' },
  preserveExisting: { type: 'boolean', default: false, description: 'Keep a header that is already set.' },
} as const;
type Props = PropsOf<typeof properties>;

export function localAddress(): string {
  const all = Object.values(os.networkInterfaces()).flat().filter((a) => a !== undefined && !a.internal);
  const v4 = all.find((a) => a!.family === 'IPv4');
  if (v4) return v4.address;
  const v6 = all.find((a) => a!.family === 'IPv6');
  return v6 ? v6.address : '127.0.0.1';
}

export class HostInterceptor implements Interceptor {
  readonly value: string | undefined;
  constructor(private readonly ctx: ComponentContext<Props>) {
    try {
      this.value = ctx.props.useIP ? localAddress() : os.hostname();
    } catch (e) {
      ctx.logger.warn(`Could not get local host address: ${String(e)}`);
      this.value = undefined;
    }
  }
  intercept(events: Event[]): Event[] {
    const v = this.value;
    if (v === undefined) return events;
    const { hostHeader, preserveExisting } = this.ctx.props;
    for (const e of events) {
      if (preserveExisting && e.headers[hostHeader] !== undefined) continue;
      e.headers[hostHeader] = v;
    }
    return events;
  }
}

export default defineInterceptor({
  kind: 'interceptor',
  type: 'host',
  aliases: ['org.apache.flume.interceptor.HostInterceptor$Builder'],
  description: 'Sets a header (default `host`) to this machine\'s IP address (useIP=true, default) or host name.',
  properties,
  create: (ctx: ComponentContext<Props>) => new HostInterceptor(ctx),
});

/**
 * Example plugin: `ip_mask` interceptor. Replaces the last octet(s) of IPv4 addresses found in
 * an event body, e.g. `192.168.1.23 - -` -> `192.168.1.0 - -`, so logs can be shipped without
 * full client addresses.
 *
 *   a1.sources.r1.interceptors = m
 *   a1.sources.r1.interceptors.m.type = ip_mask
 *   a1.sources.r1.interceptors.m.keepOctets = 3
 *   a1.sources.r1.interceptors.m.header = masked      (optional: set this header to "true" when masked)
 *
 * Load it with `tsagent ... --plugins-path plugins` (every sub-directory is a plugin), or name
 * the module file directly as the type: `type = ./plugins/ip-mask/dist/index.js`.
 */
import { defineInterceptor, type Event, type Interceptor } from 'tsagent/sdk';

const IPV4 = /\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b/g;

export default defineInterceptor({
  kind: 'interceptor',
  type: 'ip_mask',
  aliases: ['com.example.flume.IpMaskInterceptor$Builder'],
  description: 'Masks IPv4 addresses in event bodies (keeps the first keepOctets octets, zeroes the rest).',
  properties: {
    keepOctets: { type: 'integer', default: 3, min: 0, max: 3, description: 'Octets kept as they are.' },
    header: { type: 'string', description: 'Header set to "true" on events that had an address masked.' },
  },
  create(ctx): Interceptor {
    const keep = ctx.props.keepOctets;
    const header = ctx.props.header;
    const mask = (_m: string, a: string, b: string, c: string, d: string): string =>
      [a, b, c, d].map((o, i) => (i < keep ? o : '0')).join('.');
    return {
      intercept(events: Event[]): Event[] {
        for (const e of events) {
          const text = e.body.toString('utf8');
          const masked = text.replace(IPV4, mask);
          if (masked !== text) {
            e.body = Buffer.from(masked, 'utf8');
            if (header) e.headers[header] = 'true';
          }
        }
        return events;
      },
    };
  },
});

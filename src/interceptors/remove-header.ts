/**
 * Remove-header interceptor (`remove_header`,
 * org.apache.flume.interceptor.RemoveHeaderInterceptor$Builder): removes the header named
 * `withName`, the headers listed in `fromList` (split by the regex `fromListSeparator`), and the
 * headers whose whole name matches the Java regex `matching`.
 */
import type { Interceptor } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import type { Event } from '../core/event.js';
import { removeHeader } from '../core/java-hashmap-order.js';
import { defineInterceptor, type PropsOf } from '../core/spec.js';
import { compileJavaRegex, compileJavaRegexFull, javaRegexProblem } from './java-regex.js';

const properties = {
  withName: { type: 'string', description: 'Name of one header to remove.' },
  fromList: { type: 'string', description: 'List of header names to remove, separated by fromListSeparator.' },
  fromListSeparator: { type: 'string', default: '\\s*,\\s*', description: 'Java regex separating the names of fromList.' },
  matching: { type: 'string', description: 'Java regex: headers whose whole name matches are removed.' },
} as const;
type Props = PropsOf<typeof properties>;

export class RemoveHeaderInterceptor implements Interceptor {
  private readonly names = new Set<string>();
  private readonly matching: RegExp | undefined;
  constructor(ctx: ComponentContext<Props>) {
    const p = ctx.props;
    if (p.withName !== undefined && p.withName !== '') this.names.add(p.withName);
    if (p.fromList !== undefined && p.fromList !== '') {
      for (const n of p.fromList.split(compileJavaRegex(p.fromListSeparator))) if (n !== '') this.names.add(n);
    }
    this.matching = p.matching !== undefined && p.matching !== '' ? compileJavaRegexFull(p.matching) : undefined;
  }
  intercept(events: Event[]): Event[] {
    const m = this.matching;
    for (const e of events) {
      for (const k of Object.keys(e.headers)) {
        // removeHeader: the key stops printing but still counts for the HashMap's table size.
        if (this.names.has(k) || (m !== undefined && m.test(k))) removeHeader(e.headers, k);
      }
    }
    return events;
  }
}

export default defineInterceptor({
  kind: 'interceptor',
  type: 'remove_header',
  aliases: ['org.apache.flume.interceptor.RemoveHeaderInterceptor$Builder'],
  description: 'Removes headers by name (withName), by list (fromList) or by regex on the whole name (matching).',
  properties,
  check: (p) => {
    const out = [];
    for (const key of ['fromListSeparator', 'matching'] as const) {
      const v = p[key];
      const why = v === undefined ? undefined : javaRegexProblem(v);
      if (why !== undefined) out.push({ severity: 'error' as const, code: 'BAD_REGEX', key, value: v, message: `invalid regex in '${key}': ${why}`, fix: 'use a Java regex within the supported subset (docs/components.md#regular-expressions)' });
    }
    return out;
  },
  create: (ctx: ComponentContext<Props>) => new RemoveHeaderInterceptor(ctx),
});

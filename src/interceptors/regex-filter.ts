/**
 * Regex filtering interceptor (`regex_filter`,
 * org.apache.flume.interceptor.RegexFilteringInterceptor$Builder): keeps the events whose body
 * contains a match of `regex` (Java find() semantics: anywhere in the body), or drops them when
 * excludeEvents = true. The body is decoded as UTF-8 (Flume: the JVM default charset, UTF-8 on
 * usual Linux installs). The regex is a Java regex; see java-regex.ts for the supported subset.
 */
import type { Interceptor } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import type { Event } from '../core/event.js';
import { defineInterceptor, type PropsOf } from '../core/spec.js';
import { compileJavaRegex, javaRegexProblem } from './java-regex.js';

const properties = {
  regex: { type: 'string', default: '.*', description: 'Java regex searched for in the body (find(), not a whole match).' },
  excludeEvents: { type: 'boolean', default: false, description: 'true: drop matching events; false: keep only matching events.' },
} as const;
type Props = PropsOf<typeof properties>;

export class RegexFilteringInterceptor implements Interceptor {
  private readonly re: RegExp;
  private readonly exclude: boolean;
  constructor(ctx: ComponentContext<Props>) {
    this.re = compileJavaRegex(ctx.props.regex);
    this.exclude = ctx.props.excludeEvents;
  }
  intercept(events: Event[]): Event[] {
    const out: Event[] = [];
    for (const e of events) {
      const hit = this.re.test(e.body.toString('utf8'));
      if (hit !== this.exclude) out.push(e);
    }
    return out;
  }
}

export default defineInterceptor({
  kind: 'interceptor',
  type: 'regex_filter',
  aliases: ['org.apache.flume.interceptor.RegexFilteringInterceptor$Builder'],
  description: 'Keeps (or, with excludeEvents, drops) events whose body contains a match of a Java regex.',
  properties,
  check: (p) => {
    const why = javaRegexProblem(p.regex);
    return why === undefined ? [] : [{ severity: 'error', code: 'BAD_REGEX', key: 'regex', value: p.regex, message: `invalid regex: ${why}`, fix: 'use a Java regex within the supported subset (docs/components.md#regular-expressions)' }];
  },
  create: (ctx: ComponentContext<Props>) => new RegexFilteringInterceptor(ctx),
});

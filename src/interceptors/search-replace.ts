/**
 * Search-and-replace interceptor (`search_replace`,
 * org.apache.flume.interceptor.SearchAndReplaceInterceptor$Builder): Java's
 * `body.replaceAll(searchPattern, replaceString)` on the body decoded with `charset`, re-encoded
 * with the same charset. `$1` / `${name}` in replaceString are group references, `\x` a literal x.
 */
import type { Interceptor } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import type { Event } from '../core/event.js';
import { defineInterceptor, type PropsOf } from '../core/spec.js';
import { compileJavaRegex, javaRegexProblem, javaReplacement } from './java-regex.js';

const properties = {
  searchPattern: { type: 'string', required: true, description: 'Java regex to search for.' },
  replaceString: { type: 'string', default: '', description: 'Replacement text ($1, ${name} refer to groups; \\ escapes).' },
  charset: { type: 'string', default: 'UTF-8', description: 'Charset of the body.' },
} as const;
type Props = PropsOf<typeof properties>;

const CHARSETS: Record<string, BufferEncoding> = {
  'utf-8': 'utf8', utf8: 'utf8', 'iso-8859-1': 'latin1', latin1: 'latin1', 'us-ascii': 'ascii', ascii: 'ascii',
  'utf-16le': 'utf16le',
};
function encodingOf(charset: string): BufferEncoding | undefined {
  return CHARSETS[charset.trim().toLowerCase().replace(/_/g, '-')];
}

export class SearchAndReplaceInterceptor implements Interceptor {
  private readonly re: RegExp;
  private readonly replace: (m: string, ...rest: unknown[]) => string;
  private readonly enc: BufferEncoding;
  constructor(ctx: ComponentContext<Props>) {
    this.re = compileJavaRegex(ctx.props.searchPattern, 'g');
    this.replace = javaReplacement(ctx.props.replaceString);
    this.enc = encodingOf(ctx.props.charset) ?? 'utf8';
  }
  intercept(events: Event[]): Event[] {
    for (const e of events) {
      const s = e.body.toString(this.enc);
      this.re.lastIndex = 0;
      e.body = Buffer.from(s.replace(this.re, this.replace), this.enc);
    }
    return events;
  }
}

export default defineInterceptor({
  kind: 'interceptor',
  type: 'search_replace',
  aliases: ['org.apache.flume.interceptor.SearchAndReplaceInterceptor$Builder'],
  description: 'Replaces every match of a Java regex in the body (Java replaceAll semantics).',
  properties,
  check: (p) => {
    const out = [];
    const why = javaRegexProblem(p.searchPattern);
    if (why !== undefined) out.push({ severity: 'error' as const, code: 'BAD_REGEX', key: 'searchPattern', value: p.searchPattern, message: `invalid regex: ${why}`, fix: 'use a Java regex within the supported subset (docs/components.md#regular-expressions)' });
    try { javaReplacement(p.replaceString); } catch (e) {
      out.push({ severity: 'error' as const, code: 'BAD_VALUE', key: 'replaceString', value: p.replaceString, message: `invalid replacement: ${e instanceof Error ? e.message : String(e)}`, fix: 'escape a literal $ or \\ with a backslash' });
    }
    if (encodingOf(p.charset) === undefined) out.push({ severity: 'error' as const, code: 'BAD_VALUE', key: 'charset', value: p.charset, message: `unsupported charset '${p.charset}'`, fix: 'use UTF-8, ISO-8859-1, US-ASCII or UTF-16LE' });
    return out;
  },
  create: (ctx: ComponentContext<Props>) => new SearchAndReplaceInterceptor(ctx),
});

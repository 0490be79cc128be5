/**
 * Regex extractor interceptor (`regex_extractor`,
 * org.apache.flume.interceptor.RegexExtractorInterceptor$Builder): on the first match (Java
 * find()) of `regex` in the UTF-8 body, group n goes to the header named by the n-th serializer
 * (`serializers = s1 s2`, `serializers.s1.name = ...`). Extra groups are ignored; no match leaves
 * the event unchanged. Serializers: `DEFAULT` (pass-through, FQCN
 * org.apache.flume.interceptor.RegexExtractorInterceptorPassThroughSerializer) and
 * org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer (short name `millis`)
 * with `serializers.<s>.pattern`, a Joda-Time pattern: the group is parsed to epoch millis.
 *
 * Differences: a group that did not take part in the match sets no header (Flume puts a null
 * value); a value the millis serializer cannot parse sets no header and logs a warning (Flume
 * throws out of the interceptor).
 */
import type { Interceptor } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import type { Event } from '../core/event.js';
import { errorMessage } from '../core/errors.js';
import type { ConfigProblem } from '../config/problems.js';
import { defineInterceptor, type PropsOf } from '../core/spec.js';
import { compileJavaRegex, javaRegexProblem } from './java-regex.js';
import { JodaParser } from './joda-time.js';

const properties = {
  regex: { type: 'string', required: true, description: 'Java regex; its groups are extracted on the first find().' },
  serializers: { type: 'list', required: true, description: 'Space-separated serializer names, one per regex group, in group order.' },
} as const;
type Props = PropsOf<typeof properties>;

const PASS_THROUGH = ['default', 'org.apache.flume.interceptor.regexextractorinterceptorpassthroughserializer'];
const MILLIS = ['millis', 'org.apache.flume.interceptor.regexextractorinterceptormillisserializer'];

interface Serializer { header: string; serialize(v: string): string }

function buildSerializers(names: readonly string[], raw: ReadonlyMap<string, string>): { list: Serializer[]; problems: Array<Omit<ConfigProblem, 'file' | 'line' | 'component' | 'type'>> } {
  const list: Serializer[] = [];
  const problems: Array<Omit<ConfigProblem, 'file' | 'line' | 'component' | 'type'>> = [];
  for (const s of names) {
    const header = (raw.get(`serializers.${s}.name`) ?? '').trim();
    if (header === '') {
      problems.push({ severity: 'error', code: 'MISSING_PROPERTY', key: `serializers.${s}.name`, message: `Supplied name cannot be empty. (serializer ${s})`, fix: `add serializers.${s}.name = <header name>` });
      continue;
    }
    const type = (raw.get(`serializers.${s}.type`) ?? 'DEFAULT').trim();
    if (PASS_THROUGH.includes(type.toLowerCase())) {
      list.push({ header, serialize: (v) => v });
    } else if (MILLIS.includes(type.toLowerCase())) {
      const pattern = raw.get(`serializers.${s}.pattern`) ?? '';
      try {
        const p = new JodaParser(pattern);
        list.push({ header, serialize: (v) => String(p.parseMillis(v)) });
      } catch (e) {
        problems.push({ severity: 'error', code: 'BAD_VALUE', key: `serializers.${s}.pattern`, value: pattern, message: `${pattern === '' ? 'Must configure with a valid pattern' : errorMessage(e)}`, fix: 'use a Joda-Time pattern such as yyyy-MM-dd HH:mm:ss (docs/components.md#regex_extractor)' });
      }
    } else {
      problems.push({ severity: 'error', code: 'UNKNOWN_TYPE', key: `serializers.${s}.type`, value: type, message: `unknown regex extractor serializer type '${type}'`, fix: 'use DEFAULT or org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer' });
    }
  }
  return { list, problems };
}

export class RegexExtractorInterceptor implements Interceptor {
  private readonly re: RegExp;
  private readonly serializers: Serializer[];
  constructor(private readonly ctx: ComponentContext<Props>) {
    this.re = compileJavaRegex(ctx.props.regex);
    this.serializers = buildSerializers(ctx.props.serializers, ctx.raw).list;
  }
  intercept(events: Event[]): Event[] {
    const sers = this.serializers;
    for (const e of events) {
      const m = this.re.exec(e.body.toString('utf8'));
      if (!m) continue;
      const n = Math.min(m.length - 1, sers.length);
      for (let g = 0; g < n; g++) {
        const v = m[g + 1];
        if (v === undefined) continue;
        const s = sers[g]!;
        try {
          e.headers[s.header] = s.serialize(v);
        } catch (err) {
          this.ctx.logger.warn(`regex_extractor: cannot serialize '${v}' for header ${s.header}: ${errorMessage(err)}`);
        }
      }
    }
    return events;
  }
}

export default defineInterceptor({
  kind: 'interceptor',
  type: 'regex_extractor',
  aliases: ['org.apache.flume.interceptor.RegexExtractorInterceptor$Builder'],
  description: 'Extracts regex groups from the body into headers, through serializers (DEFAULT or millis with a Joda pattern).',
  properties,
  passThrough: [{ prefix: 'serializers.', description: 'serializers.<s>.name (header), serializers.<s>.type (DEFAULT | millis FQCN), serializers.<s>.pattern (Joda pattern).' }],
  check: (p, raw) => {
    const out: Array<Omit<ConfigProblem, 'file' | 'line' | 'component' | 'type'>> = [];
    const why = javaRegexProblem(p.regex);
    if (p.regex.trim() === '') out.push({ severity: 'error', code: 'BAD_VALUE', key: 'regex', value: p.regex, message: 'Must supply a valid regex string', fix: 'set regex to a Java regex with groups' });
    else if (why !== undefined) out.push({ severity: 'error', code: 'BAD_REGEX', key: 'regex', value: p.regex, message: `invalid regex: ${why}`, fix: 'use a Java regex within the supported subset (docs/components.md#regular-expressions)' });
    if (p.serializers.length === 0) out.push({ severity: 'error', code: 'MISSING_PROPERTY', key: 'serializers', message: 'Must supply at least one name and serializer', fix: 'add serializers = s1 and serializers.s1.name = <header>' });
    out.push(...buildSerializers(p.serializers, raw).problems);
    return out;
  },
  create: (ctx: ComponentContext<Props>) => new RegexExtractorInterceptor(ctx),
});

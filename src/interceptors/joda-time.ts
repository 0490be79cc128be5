/**
 * Parsing dates with a Joda-Time pattern (DateTimeFormat.forPattern(p).parseMillis(text)), as
 * Flume's RegexExtractorInterceptorMillisSerializer does. Supported pattern letters:
 * `y`/`Y` (year; `yy` = two-digit year pivoting around the current year), `M` (1-2 digits;
 * `MMM` short and `MMMM` full English month names), `d`, `D` (day of year), `H`, `k`, `h`, `K`,
 * `m`, `s`, `S` (fraction of second), `a` (AM/PM), `E` (English day name, checked only), `Z`/`ZZ`
 * (offset `+0100` / `+01:00` / `Z`), `z` (only UTC/GMT/Z), quoted text `'...'` (`''` is a quote);
 * any other non-letter is literal. The whole text must match. Without an offset the local time
 * zone of the process applies (Flume: the JVM default time zone).
 */

export class JodaPatternError extends Error {}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

type Field = 'year' | 'year2' | 'month' | 'monthText' | 'day' | 'dayOfYear' | 'hour24' | 'hour24k' | 'hour12' | 'hour12K' | 'minute' | 'second' | 'fraction' | 'ampm' | 'dayName' | 'offset' | 'zone';
interface Token { lit?: string; field?: Field; count: number }

const NUMERIC: Partial<Record<string, Field>> = { y: 'year', Y: 'year', M: 'month', d: 'day', D: 'dayOfYear', H: 'hour24', k: 'hour24k', h: 'hour12', K: 'hour12K', m: 'minute', s: 'second', S: 'fraction' };
const MAX_DIGITS: Partial<Record<Field, number>> = { year: 9, month: 2, day: 2, dayOfYear: 3, hour24: 2, hour24k: 2, hour12: 2, hour12K: 2, minute: 2, second: 2, fraction: 9 };

function tokenize(pattern: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i]!;
    if (c === "'") {
      if (pattern[i + 1] === "'") { out.push({ lit: "'", count: 1 }); i += 2; continue; }
      let j = i + 1;
      let lit = '';
      for (;;) {
        if (j >= pattern.length) throw new JodaPatternError(`unterminated quote in pattern '${pattern}'`);
        if (pattern[j] === "'") { if (pattern[j + 1] === "'") { lit += "'"; j += 2; continue; } break; }
        lit += pattern[j++];
      }
      out.push({ lit, count: lit.length });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      const count = j - i;
      let field: Field | undefined = NUMERIC[c];
      if (c === 'y' && count === 2) field = 'year2';
      if (c === 'M' && count >= 3) field = 'monthText';
      if (c === 'a') field = 'ampm';
      if (c === 'E') field = 'dayName';
      if (c === 'Z') field = 'offset';
      if (c === 'z') field = 'zone';
      if (field === undefined) throw new JodaPatternError(`pattern letter '${c}' is not supported (pattern '${pattern}')`);
      out.push({ field, count });
      i = j;
      continue;
    }
    out.push({ lit: c, count: 1 });
    i++;
  }
  return out;
}

function esc(s: string): string { return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'); }

export class JodaParser {
  private readonly re: RegExp;
  private readonly fields: Token[];
  constructor(readonly pattern: string) {
    const toks = tokenize(pattern);
    if (toks.length === 0) throw new JodaPatternError('Must configure with a valid pattern');
    let src = '';
    this.fields = [];
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i]!;
      if (t.lit !== undefined) { src += esc(t.lit); continue; }
      const f = t.field!;
      this.fields.push(t);
      const nextNumeric = toks[i + 1]?.field !== undefined && MAX_DIGITS[toks[i + 1]!.field!] !== undefined;
      switch (f) {
        case 'year2': src += '(\\d{2})'; break;
        case 'monthText': src += '([A-Za-z]+)'; break;
        case 'ampm': src += '([AaPp][Mm])'; break;
        case 'dayName': src += '([A-Za-z]+)'; break;
        case 'offset': src += '(Z|[+-]\\d{2}:?\\d{2})'; break;
        case 'zone': src += '(UTC|GMT|Z)'; break;
        default: {
          const max = MAX_DIGITS[f]!;
          // Adjacent numeric fields are fixed width (Joda does the same).
          src += nextNumeric ? `(\\d{${t.count}})` : f === 'year' ? `([+-]?\\d{1,${max}})` : `(\\d{1,${Math.max(max, t.count)}})`;
        }
      }
    }
    this.re = new RegExp(`^${src}$`, 'i');
  }

  /** Epoch millis, or throws JodaPatternError (Joda: `Invalid format: "<text>"`). */
  parseMillis(text: string, now = new Date()): number {
    const m = this.re.exec(text);
    if (!m) throw new JodaPatternError(`Invalid format: "${text}"`);
    let year = 1970; let month = 1; let day = 1; let hour = 0; let minute = 0; let second = 0; let ms = 0;
    let pm: boolean | undefined; let h12: number | undefined; let offsetMin: number | undefined; let doy: number | undefined;
    this.fields.forEach((t, i) => {
      const v = m[i + 1]!;
      switch (t.field!) {
        case 'year': year = Number(v); break;
        case 'year2': {
          const base = now.getFullYear() - 50; // Joda pivot: [now-50, now+49]
          let y = Math.floor(base / 100) * 100 + Number(v);
          if (y < base) y += 100;
          year = y;
          break;
        }
        case 'month': month = Number(v); break;
        case 'monthText': {
          const l = v.toLowerCase();
          const idx = MONTHS.findIndex((n) => (t.count >= 4 ? n === l : n.slice(0, 3) === l) || n === l);
          if (idx < 0) throw new JodaPatternError(`Invalid format: "${text}" (month "${v}")`);
          month = idx + 1;
          break;
        }
        case 'day': day = Number(v); break;
        case 'dayOfYear': doy = Number(v); break;
        case 'hour24': hour = Number(v); break;
        case 'hour24k': hour = Number(v) % 24; break;
        case 'hour12': h12 = Number(v) % 12; break;
        case 'hour12K': h12 = Number(v); break;
        case 'minute': minute = Number(v); break;
        case 'second': second = Number(v); break;
        case 'fraction': ms = Math.floor(Number(`0.${v}`) * 1000 + 1e-6); break;
        case 'ampm': pm = v.toLowerCase() === 'pm'; break;
        case 'dayName': {
          const l = v.toLowerCase();
          if (!DAYS.some((n) => n === l || n.slice(0, 3) === l)) throw new JodaPatternError(`Invalid format: "${text}" (day "${v}")`);
          break;
        }
        case 'offset': {
          if (v.toUpperCase() === 'Z') { offsetMin = 0; break; }
          const s = v.replace(':', '');
          const sign = s[0] === '-' ? -1 : 1;
          offsetMin = sign * (Number(s.slice(1, 3)) * 60 + Number(s.slice(3, 5)));
          break;
        }
        case 'zone': offsetMin = 0; break;
      }
    });
    if (h12 !== undefined) hour = h12 + (pm ? 12 : 0);
    else if (pm !== undefined && pm && hour < 12) hour += 12;
    const ranges: Array<[number, number, number, string]> = [[month, 1, 12, 'monthOfYear'], [day, 1, 31, 'dayOfMonth'], [hour, 0, 23, 'hourOfDay'], [minute, 0, 59, 'minuteOfHour'], [second, 0, 59, 'secondOfMinute']];
    for (const [v, lo, hi, name] of ranges) if (v < lo || v > hi) throw new JodaPatternError(`Cannot parse "${text}": Value ${v} for ${name} must be in the range [${lo},${hi}]`);
    const d = offsetMin === undefined ? new Date(2000, 0, 1, 0, 0, 0, 0) : new Date(Date.UTC(2000, 0, 1));
    if (offsetMin === undefined) {
      d.setFullYear(year, month - 1, doy ?? day);
      d.setHours(hour, minute, second, ms);
      return d.getTime();
    }
    d.setUTCFullYear(year, month - 1, doy ?? day);
    d.setUTCHours(hour, minute, second, ms);
    return d.getTime() - offsetMin * 60000;
  }
}

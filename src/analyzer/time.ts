/**
 * Time helpers: event-time parsing of the CLF timestamp, duration parsing, and Spark's
 * timestamp-to-string rendering in a session time zone.
 */

function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48, b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function daysInMonth(year: number, month0: number): number {
  if (month0 === 1) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month0 === 3 || month0 === 5 || month0 === 8 || month0 === 10 ? 30 : 31;
}

/** English month abbreviation (any case) -> 0..11, or -1. */
function monthAt(s: string, i: number): number {
  const k = ((s.charCodeAt(i) | 32) << 16) | ((s.charCodeAt(i + 1) | 32) << 8) | (s.charCodeAt(i + 2) | 32);
  switch (k) {
    case 0x6a616e: return 0; // jan
    case 0x666562: return 1; // feb
    case 0x6d6172: return 2; // mar
    case 0x617072: return 3; // apr
    case 0x6d6179: return 4; // may
    case 0x6a756e: return 5; // jun
    case 0x6a756c: return 6; // jul
    case 0x617567: return 7; // aug
    case 0x736570: return 8; // sep
    case 0x6f6374: return 9; // oct
    case 0x6e6f76: return 10; // nov
    case 0x646563: return 11; // dec
    default: return -1;
  }
}

/** Days from 1970-01-01 to a proleptic Gregorian date (month0 0..11). */
function daysFromCivil(y: number, month0: number, d: number): number {
  const m = month0 + 1;
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Spark's `to_timestamp(ts, 'dd/MMM/yyyy:HH:mm:ss Z')` for the 26 characters at s[i] (the text
 * the seed's timestamp regex extracts, e.g. `01/Jul/1995:00:00:01 -0400`), as epoch
 * milliseconds; null when Spark gives null (unknown month, impossible date or time, offset
 * beyond +-18:00). Month names are parsed case-insensitively (Spark's formatter is built with
 * parseCaseInsensitive) in English; dates are proleptic Gregorian and resolved strictly
 * (31/Apr is null). Assumes spark.sql.legacy.timeParserPolicy=CORRECTED (Spark 3's default
 * EXCEPTION policy raises an error instead of null for some dates the legacy parser accepted).
 * Reads the characters in place: no substring, no Date object.
 */
export function clfEpochAt(s: string, i: number): number | null {
  const day = d2(s, i);
  const month = monthAt(s, i + 3);
  const y1 = d2(s, i + 7), y2 = d2(s, i + 9);
  const hh = d2(s, i + 12), mm = d2(s, i + 15), ss = d2(s, i + 18);
  const oh = d2(s, i + 22), om = d2(s, i + 24);
  if (month < 0 || day < 1 || y1 < 0 || y2 < 0 || hh < 0 || mm < 0 || ss < 0 || oh < 0 || om < 0) return null;
  if (s.charCodeAt(i + 2) !== 47 || s.charCodeAt(i + 6) !== 47 || s.charCodeAt(i + 11) !== 58 || s.charCodeAt(i + 14) !== 58
    || s.charCodeAt(i + 17) !== 58 || s.charCodeAt(i + 20) !== 32) return null;
  const year = y1 * 100 + y2;
  if (day > daysInMonth(year, month) || hh > 23 || mm > 59 || ss > 59 || om > 59) return null;
  const sign = s.charCodeAt(i + 21);
  if (sign !== 43 && sign !== 45) return null;
  const offMin = oh * 60 + om;
  if (offMin > 18 * 60) return null;
  const secs = ((daysFromCivil(year, month, day) * 24 + hh) * 60 + mm) * 60 + ss - (sign === 45 ? -offMin : offMin) * 60;
  return secs * 1000;
}

/** clfEpochAt for a timestamp string; null for null or a string that is not 26 characters. */
export function parseClfTimestamp(ts: string | null): number | null {
  if (ts === null || ts.length !== 26) return null;
  return clfEpochAt(ts, 0);
}

const UNIT_MS: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
};

/**
 * Parses a duration such as `60s`, `60 seconds`, `1 minute`, `1m30s`, `500ms`, or a bare
 * number of milliseconds (`60000`). Returns null when the text is not a duration.
 */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === '') return null;
  if (/^\d+$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while (pos < t.length && (m = re.exec(t)) !== null) {
    const unit = UNIT_MS[m[2]!];
    if (unit === undefined) return null;
    total += Number(m[1]) * unit;
    pos = re.lastIndex;
  }
  if (pos !== t.length) return null;
  return Math.round(total);
}

/**
 * Renders epoch milliseconds as Spark casts a timestamp to string in a session time zone:
 * `yyyy-MM-dd HH:mm:ss` plus `.SSS` with trailing zeros removed when the fraction is not zero.
 * Zones: `UTC`, a fixed offset like `+02:00`, an IANA name (`Europe/Paris`), or `local`
 * (the process's zone, i.e. the TZ environment variable, as Spark's default session zone is
 * the JVM's default zone).
 */
export class TimestampFormatter {
  private readonly mode: 'utc' | 'local' | 'offset' | 'intl';
  private readonly offsetMs: number = 0;
  private readonly intl: Intl.DateTimeFormat | null = null;
  private readonly cache = new Map<number, string>();

  constructor(readonly zone: string) {
    const z = zone.trim();
    if (z === '' || z.toLowerCase() === 'local') this.mode = 'local';
    else if (z.toUpperCase() === 'UTC' || z === 'Z' || z.toUpperCase() === 'GMT') this.mode = 'utc';
    else {
      const m = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(z);
      if (m) {
        this.mode = 'offset';
        this.offsetMs = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60_000;
      } else {
        this.mode = 'intl';
        // Throws RangeError for an unknown zone: validated by isValidTimeZone first.
        this.intl = new Intl.DateTimeFormat('en-US', {
          timeZone: z, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
          hour: '2-digit', minute: '2-digit', second: '2-digit',
        });
      }
    }
  }

  static isValidTimeZone(zone: string): boolean {
    try {
      new TimestampFormatter(zone);
      return true;
    } catch {
      return false;
    }
  }

  format(ms: number): string {
    const hit = this.cache.get(ms);
    if (hit !== undefined) return hit;
    const s = this.compute(ms);
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(ms, s);
    return s;
  }

  private compute(ms: number): string {
    let y: number, mo: number, d: number, h: number, mi: number, s: number;
    if (this.mode === 'intl') {
      const parts = this.intl!.formatToParts(new Date(ms));
      const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? '0');
      y = get('year'); mo = get('month'); d = get('day'); h = get('hour'); mi = get('minute'); s = get('second');
    } else {
      const dt = new Date(this.mode === 'offset' ? ms + this.offsetMs : ms);
      if (this.mode === 'local') {
        y = dt.getFullYear(); mo = dt.getMonth() + 1; d = dt.getDate(); h = dt.getHours(); mi = dt.getMinutes(); s = dt.getSeconds();
      } else {
        y = dt.getUTCFullYear(); mo = dt.getUTCMonth() + 1; d = dt.getUTCDate(); h = dt.getUTCHours(); mi = dt.getUTCMinutes(); s = dt.getUTCSeconds();
      }
    }
    const frac = ((ms % 1000) + 1000) % 1000;
    let out = `${String(y).padStart(4, '0')}-${p2(mo)}-${p2(d)} ${p2(h)}:${p2(mi)}:${p2(s)}`;
    if (frac !== 0) out += '.' + String(frac).padStart(3, '0').replace(/0+$/, '');
    return out;
  }
}

function p2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

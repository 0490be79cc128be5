/**
 * Flume's BucketPath escapes (`%{header}`, `%[localhost]`, `%Y`, ...) with Flume's timestamp
 * rounding (TimestampRoundDownUtil) and Java time-zone semantics, implemented without a
 * strftime library (the `strftime` package differs from Java's SimpleDateFormat on %e %k %l %n
 * %t %c and ignores named zones). Named zones go through Intl.DateTimeFormat.
 *
 * Differences from Flume, on purpose: header values are sanitised so that no header can move a
 * file outside the configured path (`/` and `\` become `_`, `..` becomes `__`, control
 * characters become `_`).
 */
import { hostname, networkInterfaces } from 'node:os';

export const TOKEN_RE = /%(\w|%)|%\{([\w.-]+)\}|%\[(\w+)\]/g;

export type RoundUnit = 'second' | 'minute' | 'hour';

export interface EscapeOptions {
  /** Java time-zone ID; undefined = the process default zone (JVM default). */
  timeZone?: string | undefined;
  round?: boolean;
  roundValue?: number;
  roundUnit?: RoundUnit;
  useLocalTimeStamp?: boolean;
  /** Clock for useLocalTimeStamp. */
  now?: () => number;
  /** Replace path-unsafe characters in header values (true for paths and file prefixes). */
  sanitizeHeaders?: boolean;
}

/** Thrown for an event whose timestamp cannot be resolved (Flume's NPE / RuntimeException). */
export class EscapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EscapeError';
  }
}

export const MISSING_TS_MSG = 'Expected timestamp in the Flume event headers, but it was null';
export const BAD_TS_MSG =
  "Flume wasn't able to parse timestamp header in the event to resolve time based bucketing. " +
  "Please check that you're correctly populating timestamp header (for example using TimestampInterceptor source interceptor).";

// ------------------------------------------------------------------------------------------
// Time zones.

interface Zone {
  /** Offset in ms to add to UTC to get local wall time, for the instant `ts`. */
  offset(ts: number): number;
}

const zoneCache = new Map<string, Zone>();
const FIXED_RE = /^(?:GMT|UTC)?([+-])(\d{1,2})(?::?(\d{2}))?$/;

function fixedZone(ms: number): Zone {
  return { offset: () => ms };
}

/** Java TimeZone.getTimeZone semantics: unknown IDs silently become GMT. */
export function zoneFor(id: string | undefined): Zone {
  const key = id ?? '';
  let z = zoneCache.get(key);
  if (z) return z;
  if (id !== undefined) {
    const m = FIXED_RE.exec(id.trim());
    if (m && (id.startsWith('GMT') || id.startsWith('UTC') || /^[+-]/.test(id))) {
      const h = Number(m[2]);
      const mi = Number(m[3] ?? '0');
      z = h <= 23 && mi <= 59 ? fixedZone((m[1] === '-' ? -1 : 1) * (h * 3600000 + mi * 60000)) : fixedZone(0);
    }
  }
  if (!z) z = intlZone(id);
  zoneCache.set(key, z);
  return z;
}

/** Whether Java would know this zone ID (else it becomes GMT). */
export function isKnownZone(id: string): boolean {
  if (FIXED_RE.test(id) && /^(GMT|UTC|[+-])/.test(id)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: id });
    return true;
  } catch {
    return false;
  }
}

function intlZone(id: string | undefined): Zone {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: id, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
    });
  } catch {
    return fixedZone(0);
  }
  // Offsets only change at transitions; cache per minute bucket (cheap and exact enough).
  let lastKey = NaN;
  let lastOff = 0;
  return {
    offset(ts: number): number {
      const key = Math.floor(ts / 60000);
      if (key === lastKey) return lastOff;
      const base = key * 60000;
      let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, bc = false;
      for (const p of fmt.formatToParts(new Date(base))) {
        switch (p.type) {
          case 'year': y = Number(p.value); break;
          case 'month': mo = Number(p.value); break;
          case 'day': d = Number(p.value); break;
          case 'hour': h = Number(p.value); break;
          case 'minute': mi = Number(p.value); break;
          case 'second': s = Number(p.value); break;
          case 'era': bc = p.value === 'BC' || p.value === 'B'; break;
          default: break;
        }
      }
      const wall = Date.UTC(bc ? 1 - y : y, mo - 1, d, h, mi, s);
      lastKey = key;
      lastOff = wall - base;
      return lastOff;
    },
  };
}

// ------------------------------------------------------------------------------------------
// Calendar fields (proleptic Gregorian, like SimpleDateFormat for modern dates).

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

interface Fields {
  y: number; mo: number; d: number; h: number; mi: number; s: number; dow: number; doy: number; offMs: number;
}

function fieldsOf(ts: number, zone: Zone): Fields {
  const off = zone.offset(ts);
  const w = new Date(ts + off);
  const y = w.getUTCFullYear();
  const doy = Math.floor((Date.UTC(y, w.getUTCMonth(), w.getUTCDate()) - Date.UTC(y, 0, 1)) / 86400000) + 1;
  return {
    y, mo: w.getUTCMonth() + 1, d: w.getUTCDate(), h: w.getUTCHours(), mi: w.getUTCMinutes(), s: w.getUTCSeconds(),
    dow: w.getUTCDay(), doy, offMs: off,
  };
}

const p2 = (n: number): string => (n < 10 ? '0' + n : String(n));
const p3 = (n: number): string => String(n).padStart(3, '0');

function rfc822(offMs: number): string {
  const sign = offMs < 0 ? '-' : '+';
  const m = Math.floor(Math.abs(offMs) / 60000);
  return sign + p2(Math.floor(m / 60)) + p2(m % 60);
}

/** Java SimpleDateFormat `yyyy` / `yy` for the year field. */
function yyyy(y: number): string { return String(y).padStart(4, '0'); }
function yy(y: number): string { return p2(y % 100); }
function hh12(h: number): number { const x = h % 12; return x === 0 ? 12 : x; }

/** The output of one `%<c>` time token (Flume's BucketPath.replaceShorthand). */
function timeToken(c: string, f: Fields, rawTs: string, rounded: number): string {
  switch (c) {
    case 't': return rawTs;
    case 's': return String(Math.trunc(rounded / 1000));
    case 'a': return DAYS[f.dow]!.slice(0, 3);
    case 'A': return DAYS[f.dow]!;
    case 'b': return MONTHS[f.mo - 1]!.slice(0, 3);
    case 'B': return MONTHS[f.mo - 1]!;
    case 'c': return `${DAYS[f.dow]!.slice(0, 3)} ${MONTHS[f.mo - 1]!.slice(0, 3)} ${f.d} ${p2(f.h)}:${p2(f.mi)}:${p2(f.s)} ${yyyy(f.y)}`;
    case 'd': return p2(f.d);
    case 'e': return String(f.d);
    case 'D': return `${p2(f.mo)}/${p2(f.d)}/${yy(f.y)}`;
    case 'H': return p2(f.h);
    case 'I': return p2(hh12(f.h));
    case 'j': return p3(f.doy);
    case 'k': return String(f.h);
    case 'l': return String(hh12(f.h));
    case 'm': return p2(f.mo);
    case 'n': return String(f.mo);
    case 'M': return p2(f.mi);
    case 'p': return f.h < 12 ? 'AM' : 'PM';
    case 'S': return p2(f.s);
    case 'y': return yy(f.y);
    case 'Y': return yyyy(f.y);
    case 'z': return rfc822(f.offMs);
    case '%': return '%';
    default: return '';
  }
}

// ------------------------------------------------------------------------------------------
// Rounding (TimestampRoundDownUtil): in the zone, the unit's field becomes v - v % roundValue,
// smaller fields 0. Not epoch-aligned.

export function roundDown(ts: number, unit: RoundUnit, value: number, zone: Zone): number {
  if (ts <= 0) throw new EscapeError('Timestamp must be positive');
  const off = zone.offset(ts);
  const wall = ts + off;
  let r: number;
  if (unit === 'second') {
    const minStart = Math.floor(wall / 60000) * 60000;
    const s = Math.floor((wall - minStart) / 1000);
    r = minStart + (s - (s % value)) * 1000;
  } else if (unit === 'minute') {
    const hourStart = Math.floor(wall / 3600000) * 3600000;
    const m = Math.floor((wall - hourStart) / 60000);
    r = hourStart + (m - (m % value)) * 60000;
  } else {
    const dayStart = Math.floor(wall / 86400000) * 86400000;
    const h = Math.floor((wall - dayStart) / 3600000);
    r = dayStart + (h - (h % value)) * 3600000;
  }
  // Back to UTC with the offset in force at the rounded wall time (Calendar's lenient resolve).
  const guess = r - off;
  const off2 = zone.offset(guess);
  return r - off2;
}

// ------------------------------------------------------------------------------------------
// Static escapes.

export function localhostName(): string { return hostname(); }
export function localIp(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function staticEscape(name: string): string {
  switch (name.toLowerCase()) {
    case 'localhost': return localhostName();
    case 'ip': return localIp();
    case 'fqdn': return localhostName();
    default:
      throw new EscapeError(`The static escape string '${name}' was provided but does not match any of (localhost,IP,FQDN)`);
  }
}

/** Makes a header value safe as (part of) one path component. */
export function sanitizeHeaderValue(v: string): string {
  // eslint-disable-next-line no-control-regex
  let s = v.replace(/[/\\\u0000-\u001f\u007f]/g, '_').replace(/\.\./g, '__');
  if (s === '.') s = '_';
  return s;
}

// ------------------------------------------------------------------------------------------

/** Whether the string has any escape that needs the event timestamp. */
export function needsTimestamp(s: string): boolean {
  for (const m of s.matchAll(TOKEN_RE)) if (m[1] !== undefined) return true;
  return false;
}

/** Whether the string has any escape at all. */
export function hasEscapes(s: string): boolean {
  TOKEN_RE.lastIndex = 0;
  const r = TOKEN_RE.test(s);
  TOKEN_RE.lastIndex = 0;
  return r;
}

/** Problems with static escapes (checked at configuration time). */
export function staticEscapeProblems(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(TOKEN_RE)) {
    const st = m[3];
    if (st !== undefined && !['localhost', 'ip', 'fqdn'].includes(st.toLowerCase())) {
      out.push(`The static escape string '${st}' was provided but does not match any of (localhost,IP,FQDN)`);
    }
  }
  return out;
}

/**
 * A compiled escape template. `escape(headers)` returns the expanded string; throws EscapeError
 * for a missing/non-numeric timestamp when a time escape is present (Flume's behaviour).
 */
export class EscapeTemplate {
  private readonly parts: Array<{ lit: string } | { time: string } | { header: string } | { stat: string }> = [];
  readonly needsTime: boolean;
  readonly constant: boolean;
  private readonly constValue: string | undefined;
  private readonly zone: Zone;
  private lastTs = NaN;
  private lastFields: Fields | undefined;
  private lastRounded = 0;

  constructor(readonly template: string, private readonly opts: EscapeOptions = {}) {
    let last = 0;
    let needsTime = false;
    let constant = true;
    for (const m of template.matchAll(TOKEN_RE)) {
      const i = m.index;
      if (i > last) this.parts.push({ lit: template.slice(last, i) });
      if (m[1] !== undefined) { this.parts.push({ time: m[1] }); needsTime = true; constant = false; }
      else if (m[2] !== undefined) { this.parts.push({ header: m[2] }); constant = false; }
      else this.parts.push({ lit: staticEscape(m[3]!) });
      last = i + m[0].length;
    }
    if (last < template.length) this.parts.push({ lit: template.slice(last) });
    this.needsTime = needsTime;
    this.constant = constant;
    this.constValue = constant ? this.parts.map((p) => ('lit' in p ? p.lit : '')).join('') : undefined;
    this.zone = zoneFor(opts.timeZone);
  }

  private fields(ts: number): { f: Fields; rounded: number } {
    if (ts === this.lastTs && this.lastFields) return { f: this.lastFields, rounded: this.lastRounded };
    const o = this.opts;
    const rounded = o.round ? roundDown(ts, o.roundUnit ?? 'second', o.roundValue ?? 1, this.zone) : ts;
    const f = fieldsOf(rounded, this.zone);
    this.lastTs = ts;
    this.lastFields = f;
    this.lastRounded = rounded;
    return { f, rounded };
  }

  escape(headers: Readonly<Record<string, string>>): string {
    if (this.constValue !== undefined) return this.constValue;
    let rawTs = '';
    let f: Fields | undefined;
    let rounded = 0;
    if (this.needsTime) {
      let ts: number;
      if (this.opts.useLocalTimeStamp) {
        ts = (this.opts.now ?? Date.now)();
        rawTs = String(ts);
      } else {
        const h = headers.timestamp;
        if (h === undefined) throw new EscapeError(MISSING_TS_MSG);
        // Long.valueOf: optional sign, digits, no whitespace.
        if (!/^[+-]?\d+$/.test(h)) throw new EscapeError(BAD_TS_MSG);
        ts = Number(h);
        rawTs = h;
      }
      const r = this.fields(ts);
      f = r.f;
      rounded = r.rounded;
    }
    let out = '';
    for (const p of this.parts) {
      if ('lit' in p) out += p.lit;
      else if ('time' in p) out += timeToken(p.time, f!, rawTs, rounded);
      else if ('header' in p) {
        const v = headers[p.header];
        if (v !== undefined) out += this.opts.sanitizeHeaders ? sanitizeHeaderValue(v) : v;
      }
    }
    return out;
  }
}

/** One-shot helper (tests, docs). */
export function escapeString(template: string, headers: Readonly<Record<string, string>>, opts: EscapeOptions = {}): string {
  return new EscapeTemplate(template, opts).escape(headers);
}

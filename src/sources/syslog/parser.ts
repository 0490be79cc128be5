/**
 * Flume's syslog parsing (org.apache.flume.source.SyslogUtils, 1.11), shared by `syslogtcp` and
 * `syslogudp`. A message `<PRI>…` becomes an event with headers `Facility` and `Severity`
 * (PRI / 8 and PRI % 8), and, when the message matches the RFC 5424 or RFC 3164 layout,
 * `priority`, `version` (5424), `timestamp` (epoch millis) and `host`. The body is the message
 * text after the header fields (keepFields = none, the default); keepFields = all/true keeps the
 * whole message; a list of `priority version timestamp hostname` puts those fields back in front.
 * A message without a valid `<PRI>` gets `flume.syslog.status = Invalid` (Facility/Severity 0,
 * body = the bytes as received); one cut at eventSize gets `flume.syslog.status = Incomplete`.
 *
 * Timestamps are parsed the way Flume's SimpleDateFormats do it, quirks included: in RFC 5424
 * stamps with a fraction the offset is ignored (local time), fractions are read as a number of
 * milliseconds from at most 3 digits (".5" = 5 ms); RFC 3164 stamps get the current year, moved
 * one year back/forward when that puts them more than a month in the future / 11 months in the
 * past.
 */
import type { Event } from '../../core/event.js';
import { markHeadersCopied } from '../../core/java-hashmap-order.js';

export const EVENT_STATUS = 'flume.syslog.status';

// Java '.' excludes \n \r \u0085 \u2028 \u2029; Java \s is ASCII whitespace.
const S = '[ \\t\\n\\x0B\\f\\r]';
const DOT = '[^\\n\\r\\u0085\\u2028\\u2029]';
const RFC5424 = new RegExp(
  `^(?:<(\\d{1,3})>)(?:(\\d?)${S}?)(?:(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,6})?(?:[+-]\\d{2}:\\d{2}|Z)?)|-)${S}(?:([A-Za-z0-9_][A-Za-z0-9_.@-]*)|-)${S}(${DOT}*)$`,
);
const RFC3164 = new RegExp(
  `^(?:<(\\d{1,3})>)(?:(\\d)?${S}?)([A-Z][a-z][a-z]${S}{1,2}\\d{1,2}${S}\\d{2}:\\d{2}:\\d{2})${S}([A-Za-z0-9_][A-Za-z0-9_.@-]*)${S}(${DOT}*)$`,
);
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

export type KeepFields = 'all' | Set<'priority' | 'version' | 'timestamp' | 'hostname'>;

/** SyslogUtils.chooseFieldsToKeep. */
export function parseKeepFields(v: string): KeepFields {
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === 'all') return 'all';
  const set = new Set<'priority' | 'version' | 'timestamp' | 'hostname'>();
  if (s === 'false' || s === 'none') return set;
  for (const f of ['priority', 'version', 'timestamp', 'hostname'] as const) if (s.includes(f)) set.add(f);
  return set;
}

/** RFC 5424 stamp → millis like Flume's list of SimpleDateFormats, or undefined. */
export function parse5424Stamp(stamp: string): number | undefined {
  let v = stamp.replace(/Z/g, '+0000').replace(/([+-])(\d{2}):(\d{2})/g, '$1$2$3').replace(/(T\d{2}:\d{2}:\d{2}\.\d{3})(\d*)/, '$1');
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(.*)$/.exec(v);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  v = m[7]!;
  const frac = /^\.(\d+)/.exec(v);
  if (frac) {
    // yyyy-MM-dd'T'HH:mm:ss.S parses first and ignores what follows (the offset): local time.
    const ms = Number(frac[1]);
    const dt = new Date(2000, 0, 1);
    dt.setFullYear(y, mo - 1, d);
    dt.setHours(h, mi, s, ms);
    return dt.getTime();
  }
  const off = /^([+-])(\d{2})(\d{2})/.exec(v);
  if (off) {
    const sign = off[1] === '-' ? -1 : 1;
    const offMin = sign * (Number(off[2]) * 60 + Number(off[3]));
    const dt = new Date(Date.UTC(2000, 0, 1));
    dt.setUTCFullYear(y, mo - 1, d);
    dt.setUTCHours(h, mi, s, 0);
    return dt.getTime() - offMin * 60000;
  }
  const dt = new Date(2000, 0, 1);
  dt.setFullYear(y, mo - 1, d);
  dt.setHours(h, mi, s, 0);
  return dt.getTime();
}

/** RFC 3164 stamp (`Mmm dd HH:mm:ss`) → millis in local time with Flume's year guessing. */
export function parse3164Stamp(stamp: string, now: number): number | undefined {
  const m = /^([A-Z][a-z][a-z])\s+(\d{1,2})\s(\d{2}):(\d{2}):(\d{2})$/.exec(stamp);
  if (!m) return undefined;
  const mon = MONTHS.indexOf(m[1]!.toLowerCase());
  if (mon < 0) return undefined;
  const year = new Date(now).getUTCFullYear();
  const at = (yy: number, monthDelta = 0): number => {
    const d = new Date(2000, 0, 1);
    d.setFullYear(yy, mon + monthDelta, Number(m[2]));
    d.setHours(Number(m[3]), Number(m[4]), Number(m[5]), 0);
    return d.getTime();
  };
  let t = at(year);
  if (t > now && at(year, -1) > now) t = at(year - 1);
  else if (t < now && at(year, 11) < now) t = at(year + 1);
  return t;
}

export interface SyslogOptions {
  keepFields: KeepFields;
  /** Maximum bytes of one message (TCP eventSize); longer ones are cut (Incomplete). */
  maxSize: number;
  now?: () => number;
  /**
   * Flume keeps the last parsed `priority` and `version` per parser (per TCP connection; one for
   * the whole UDP source) and puts them on later messages that do not match either layout,
   * invalid ones included. Pass a state object to reproduce that.
   */
  state?: { priority?: string; version?: string };
}

/** Builds the event from one complete message (bytes without the delimiter). */
export function buildSyslogEvent(raw: Buffer, opts: SyslogOptions, incomplete = false): Event {
  const headers: Record<string, string> = {};
  const st = opts.state ?? {};
  const pri = /^<(\d{1,3})>/.exec(raw.toString('latin1', 0, Math.min(raw.length, 5)));
  if (!pri) {
    headers.Facility = '0';
    headers.Severity = '0';
    if (st.priority) headers.priority = st.priority;
    if (st.version) headers.version = st.version;
    headers[EVENT_STATUS] = 'Invalid';
    return { headers: markHeadersCopied(headers), body: raw };
  }
  const p = Number(pri[1]);
  headers.Facility = String(Math.floor(p / 8));
  headers.Severity = String(p % 8);
  const text = raw.toString('utf8');
  let body: string | undefined;
  const m5 = RFC5424.exec(text);
  const m = m5 ?? RFC3164.exec(text);
  if (m) { st.priority = m[1]; st.version = m[2]; }
  if (st.priority) headers.priority = st.priority;
  if (st.version) headers.version = st.version;
  if (m) {
    const [, priority, version, stamp, host, msg] = m;
    if (stamp !== undefined) {
      const ts = m5 ? parse5424Stamp(stamp) : parse3164Stamp(stamp.replace(/ {2}/g, ' '), (opts.now ?? Date.now)());
      if (ts !== undefined) headers.timestamp = String(ts);
    }
    if (host) headers.host = host;
    let b = msg ?? '';
    const k = opts.keepFields;
    if (k !== 'all') {
      if (k.has('hostname')) b = `${host ?? 'null'} ${b}`;
      if (k.has('timestamp')) b = `${stamp ?? 'null'} ${b}`;
      if (k.has('version') && version) b = `${version} ${b}`;
      if (k.has('priority')) b = `<${priority}>${b}`;
    }
    body = b;
  }
  if (incomplete) headers[EVENT_STATUS] = 'Incomplete';
  // Flume fills a new HashMap and hands it to EventBuilder.withBody(body, headers), which copies it.
  markHeadersCopied(headers);
  if (opts.keepFields !== 'all' && body !== undefined && body.length > 0) return { headers, body: Buffer.from(body, 'utf8') };
  return { headers, body: raw };
}

/**
 * Splits a TCP byte stream into messages like SyslogUtils.extractEvent: `\n` ends a message,
 * `\n` between messages is skipped, a message reaching maxSize bytes is cut (Incomplete).
 */
export class SyslogStreamSplitter {
  private buf: Buffer[] = [];
  private len = 0;
  constructor(private readonly maxSize: number) {}
  push(chunk: Buffer, out: Array<{ raw: Buffer; incomplete: boolean }>): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 10) {
        if (this.len === 0 && i === start) { start = i + 1; continue; } // delimiter in START mode
        this.take(chunk.subarray(start, i), out, false);
        start = i + 1;
      } else if (this.len + (i - start + 1) === this.maxSize) {
        this.take(chunk.subarray(start, i + 1), out, true);
        start = i + 1;
      }
    }
    if (start < chunk.length) { const t = Buffer.from(chunk.subarray(start)); this.buf.push(t); this.len += t.length; }
  }
  private take(piece: Buffer, out: Array<{ raw: Buffer; incomplete: boolean }>, incomplete: boolean): void {
    const raw = this.len === 0 ? Buffer.from(piece) : Buffer.concat([...this.buf, piece]);
    this.buf = [];
    this.len = 0;
    out.push({ raw, incomplete });
  }
}

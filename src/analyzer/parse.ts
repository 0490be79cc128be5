/**
 * Log-line field extraction with exactly the results of the seed job's Spark expressions:
 *
 *   ip        regexp_extract(line, '^(\S+)', 1)
 *   timestamp regexp_extract(line, '\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+\-]\d{4})\]', 1)
 *   method    regexp_extract(line, '"(\S+)', 1)
 *   endpoint  regexp_extract(line, '"(?:\S+) (\S+)', 1)
 *   protocol  regexp_extract(line, '"(?:\S+) (?:\S+) (\S+)"', 1)
 *   status    regexp_extract(line, ' (\d{3}) ', 1).cast(int)
 *   bytes     regexp_extract(line, ' (\d+|-)$', 1).cast(int)
 *
 * The regexes are replaced by hand-written scanners (no RegExp, no allocation besides the
 * returned substring). Semantics reproduced from java.util.regex (Spark's engine):
 * - `\S` is "not [ \t\n\x0B\f\r]", `\d` is [0-9], `\w` is [a-zA-Z_0-9] (ASCII-only, no
 *   UNICODE_CHARACTER_CLASS flag);
 * - `find()` returns the leftmost match, and for that start position the first alternative
 *   found by backtracking (greedy quantifiers); every candidate start position is tried;
 * - `^` is the start of input and `$` (no MULTILINE) is the end of input or the position
 *   before a final line terminator (\n, \r\n, \r, \u0085, \u2028, \u2029);
 * - regexp_extract gives "" when there is no match, and null when the input is null;
 * - cast(string as int) (non-ANSI) gives null for "" and "-", and for values out of the int range.
 * All delimiters are ASCII, so scanning UTF-16 code units gives the same substrings as Java's
 * code-point matching.
 */

import { clfEpochAt } from './time.js';

/** Field bits, so that only the fields a job needs are extracted. */
export const F_IP = 1;
export const F_TIMESTAMP = 2;
export const F_METHOD = 4;
export const F_ENDPOINT = 8;
export const F_PROTOCOL = 16;
export const F_STATUS = 32;
export const F_BYTES = 64;
export const F_ALL = 127;
/** Not a field: the event time of the timestamp (ParsedLine.eventTime), read in place. */
export const F_EVENT_TIME = 128;

export type FieldName = 'ip' | 'timestamp' | 'method' | 'endpoint' | 'protocol' | 'status' | 'bytes';
export const FIELD_NAMES: readonly FieldName[] = ['ip', 'timestamp', 'method', 'endpoint', 'protocol', 'status', 'bytes'];
export const FIELD_BITS: Readonly<Record<FieldName, number>> = {
  ip: F_IP, timestamp: F_TIMESTAMP, method: F_METHOD, endpoint: F_ENDPOINT, protocol: F_PROTOCOL, status: F_STATUS, bytes: F_BYTES,
};
/** Integer-typed fields (Spark IntegerType after the cast); the others are strings. */
export const INT_FIELDS: ReadonlySet<FieldName> = new Set<FieldName>(['status', 'bytes']);

/** One parsed line. Reused across lines by the engine (no per-line allocation). */
export interface ParsedLine {
  ip: string | null;
  timestamp: string | null;
  method: string | null;
  endpoint: string | null;
  protocol: string | null;
  status: number | null;
  bytes: number | null;
  /** Epoch ms of the timestamp (with F_EVENT_TIME), null when absent or not a valid time. */
  eventTime: number | null;
}

export function emptyParsedLine(): ParsedLine {
  return { ip: null, timestamp: null, method: null, endpoint: null, protocol: null, status: null, bytes: null, eventTime: null };
}

const SPACE = 32;

/** Java's `\s` without UNICODE_CHARACTER_CLASS: [ \t\n\x0B\f\r]. */
function isWs(c: number): boolean {
  return c === SPACE || (c >= 9 && c <= 13);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
/** End (exclusive) of the run of non-whitespace characters starting at i. */
function runEnd(s: string, i: number, n: number): number {
  while (i < n && !isWs(s.charCodeAt(i))) i++;
  return i;
}

/**
 * indexOf with a memo of the last answer: a line is a region of a large chunk, and a search
 * for a character the rest of the line lacks runs on into the next lines; remembering where it
 * stopped keeps the total work linear in the chunk size (the next line starts from that answer).
 */
class NextIndex {
  private text = '';
  private from = 0;
  private pos = -1;
  constructor(private readonly ch: string) {}
  find(s: string, from: number): number {
    if (this.text === s && from >= this.from && (this.pos === -1 || this.pos >= from)) return this.pos;
    const p = s.indexOf(this.ch, from);
    this.text = s;
    this.from = from;
    this.pos = p;
    return p;
  }
}
const QUOTES = new NextIndex('"');
const BRACKETS = new NextIndex('[');

/** `^(\S+)` on s[from, to). */
export function extractIp(s: string, from = 0, to = s.length): string {
  if (from >= to || isWs(s.charCodeAt(from))) return '';
  return s.slice(from, runEnd(s, from + 1, to));
}

/** `\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+\-]\d{4})\]`: a fixed-length (26) group. */
export function extractTimestamp(s: string, from = 0, to = s.length): string {
  const b = timestampStart(s, from, to);
  return b < 0 ? '' : s.slice(b, b + 26);
}

/** Index of the timestamp group's first character, or -1. */
function timestampStart(s: string, from: number, to: number): number {
  for (let b = BRACKETS.find(s, from); b !== -1 && b + 27 < to; b = BRACKETS.find(s, b + 1)) {
    if (timestampAt(s, b + 1) && s.charCodeAt(b + 27) === 93 /* ] */) return b + 1;
  }
  return -1;
}

/** Does `\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+\-]\d{4}` match at i (the caller checked length)? */
function timestampAt(s: string, i: number): boolean {
  return isDigit(s.charCodeAt(i)) && isDigit(s.charCodeAt(i + 1)) && s.charCodeAt(i + 2) === 47
    && isWord(s.charCodeAt(i + 3)) && isWord(s.charCodeAt(i + 4)) && isWord(s.charCodeAt(i + 5)) && s.charCodeAt(i + 6) === 47
    && isDigit(s.charCodeAt(i + 7)) && isDigit(s.charCodeAt(i + 8)) && isDigit(s.charCodeAt(i + 9)) && isDigit(s.charCodeAt(i + 10))
    && s.charCodeAt(i + 11) === 58 && isDigit(s.charCodeAt(i + 12)) && isDigit(s.charCodeAt(i + 13)) && s.charCodeAt(i + 14) === 58
    && isDigit(s.charCodeAt(i + 15)) && isDigit(s.charCodeAt(i + 16)) && s.charCodeAt(i + 17) === 58
    && isDigit(s.charCodeAt(i + 18)) && isDigit(s.charCodeAt(i + 19)) && s.charCodeAt(i + 20) === SPACE
    && (s.charCodeAt(i + 21) === 43 || s.charCodeAt(i + 21) === 45)
    && isDigit(s.charCodeAt(i + 22)) && isDigit(s.charCodeAt(i + 23)) && isDigit(s.charCodeAt(i + 24)) && isDigit(s.charCodeAt(i + 25));
}

/** `"(\S+)` */
export function extractMethod(s: string, from = 0, to = s.length): string {
  for (let q = QUOTES.find(s, from); q !== -1 && q < to; q = QUOTES.find(s, q + 1)) {
    if (q + 1 < to && !isWs(s.charCodeAt(q + 1))) return s.slice(q + 1, runEnd(s, q + 2, to));
  }
  return '';
}

/** `"(?:\S+) (\S+)` */
export function extractEndpoint(s: string, from = 0, to = s.length): string {
  for (let q = QUOTES.find(s, from); q !== -1 && q < to; q = QUOTES.find(s, q + 1)) {
    if (q + 1 >= to || isWs(s.charCodeAt(q + 1))) continue;
    // A shorter first run is followed by a non-space, so only the maximal run can be followed by ' '.
    const e1 = runEnd(s, q + 2, to);
    if (e1 + 1 < to && s.charCodeAt(e1) === SPACE && !isWs(s.charCodeAt(e1 + 1))) {
      return s.slice(e1 + 1, runEnd(s, e1 + 2, to));
    }
  }
  return '';
}

/** `"(?:\S+) (?:\S+) (\S+)"` */
export function extractProtocol(s: string, from = 0, to = s.length): string {
  for (let q = QUOTES.find(s, from); q !== -1 && q < to; q = QUOTES.find(s, q + 1)) {
    if (q + 1 >= to || isWs(s.charCodeAt(q + 1))) continue;
    const e1 = runEnd(s, q + 2, to);
    if (!(e1 + 1 < to && s.charCodeAt(e1) === SPACE && !isWs(s.charCodeAt(e1 + 1)))) continue;
    const e2 = runEnd(s, e1 + 2, to);
    if (!(e2 + 1 < to && s.charCodeAt(e2) === SPACE && !isWs(s.charCodeAt(e2 + 1)))) continue;
    const e3 = runEnd(s, e2 + 2, to);
    // (\S+)" : greedy, so the group ends at the last quote inside the third run, leaving >= 1 char.
    const p = s.lastIndexOf('"', e3 - 1);
    if (p >= e2 + 2) return s.slice(e2 + 1, p);
  }
  return '';
}

/** ` (\d{3}) ` cast to int: the leftmost match, or null. */
export function extractStatus(s: string, from = 0, to = s.length): number | null {
  for (let i = s.indexOf(' ', from); i !== -1 && i + 4 < to; i = s.indexOf(' ', i + 1)) {
    const a = s.charCodeAt(i + 1), b = s.charCodeAt(i + 2), c = s.charCodeAt(i + 3);
    if (isDigit(a) && isDigit(b) && isDigit(c) && s.charCodeAt(i + 4) === SPACE) {
      return (a - 48) * 100 + (b - 48) * 10 + (c - 48);
    }
  }
  return null;
}

/** Where `$` (no MULTILINE) can sit before the last char of a match: end of input or before a final terminator. */
function dollarEnd(s: string, from: number, to: number): number {
  const n = to;
  if (n === from) return n;
  const last = s.charCodeAt(n - 1);
  if (last === 10) return n - from >= 2 && s.charCodeAt(n - 2) === 13 ? n - 2 : n - 1;
  if (last === 13 || last === 0x85 || last === 0x2028 || last === 0x2029) return n - 1;
  return n;
}

/** Result of ` (\d+|-)$`: the captured text ("" when no match). */
export function extractBytesText(s: string, from = 0, to = s.length): string {
  const e = dollarEnd(s, from, to);
  if (e - from >= 2 && s.charCodeAt(e - 1) === 45 /* - */ && s.charCodeAt(e - 2) === SPACE) return '-';
  let j = e - 1;
  while (j >= from && isDigit(s.charCodeAt(j))) j--;
  if (j < e - 1 && j >= from && s.charCodeAt(j) === SPACE) return s.slice(j + 1, e);
  return '';
}

/** ` (\d+|-)$` cast to int. */
export function extractBytes(s: string, from = 0, to = s.length): number | null {
  const e = dollarEnd(s, from, to);
  let j = e - 1;
  while (j >= from && isDigit(s.charCodeAt(j))) j--;
  if (j < e - 1 && j >= from && s.charCodeAt(j) === SPACE) return digitsToInt(s, j + 1, e);
  return null; // '-' or no match: both null after the cast
}

const INT_MAX = 2147483647;
/** cast(<ASCII digits> as int): leading zeros allowed, null when above Int.MaxValue. */
export function digitsToInt(s: string, from: number, to: number): number | null {
  while (from < to - 1 && s.charCodeAt(from) === 48) from++;
  if (to - from > 10) return null;
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return v > INT_MAX ? null : v;
}

/**
 * Fills `out` with the fields selected by `mask` (the others are left untouched).
 * A null line (a Kafka record with a null value) gives null for every field, as in Spark.
 */
export function parseLine(line: string | null, out: ParsedLine, mask: number = F_ALL): void {
  if (line === null) {
    out.ip = out.timestamp = out.method = out.endpoint = out.protocol = null;
    out.status = out.bytes = out.eventTime = null;
    return;
  }
  parseRegion(line, 0, line.length, out, mask);
}

/**
 * parseLine for the line s[from, to) of a larger string (a decoded input chunk): no substring
 * is made for the line itself, and the chunk is a flat string, which V8 reads faster.
 */
export function parseRegion(s: string, from: number, to: number, out: ParsedLine, mask: number): void {
  if (mask & F_IP) out.ip = extractIp(s, from, to);
  if (mask & (F_TIMESTAMP | F_EVENT_TIME)) {
    const b = timestampStart(s, from, to);
    out.timestamp = b < 0 ? '' : s.slice(b, b + 26);
    if (mask & F_EVENT_TIME) out.eventTime = b < 0 ? null : eventTime(s, b);
  }
  if ((mask & (F_METHOD | F_ENDPOINT)) === (F_METHOD | F_ENDPOINT)) methodAndEndpoint(s, from, to, out);
  else {
    if (mask & F_METHOD) out.method = extractMethod(s, from, to);
    if (mask & F_ENDPOINT) out.endpoint = extractEndpoint(s, from, to);
  }
  if (mask & F_PROTOCOL) out.protocol = extractProtocol(s, from, to);
  if (mask & F_STATUS) out.status = extractStatus(s, from, to);
  if (mask & F_BYTES) out.bytes = extractBytes(s, from, to);
}

/**
 * clfEpochAt with a memo of the last minute: consecutive log lines mostly share the minute and
 * the zone, which two native startsWith calls confirm; then only the seconds are read.
 */
let memoMinute = '\u0000';
let memoZone = '\u0000';
let memoBase = 0;
function eventTime(s: string, i: number): number | null {
  if (s.startsWith(memoMinute, i) && s.startsWith(memoZone, i + 20)) {
    const a = s.charCodeAt(i + 18) - 48, b = s.charCodeAt(i + 19) - 48;
    if (a >= 0 && a <= 5 && b >= 0 && b <= 9) return memoBase + (a * 10 + b) * 1000;
    return null;
  }
  const v = clfEpochAt(s, i);
  if (v !== null) {
    // Flat copies (not views into the chunk), so that the memo does not keep a chunk alive.
    memoMinute = (s.slice(i, i + 18) + ' ').slice(0, -1);
    memoZone = s.slice(i + 20, i + 26);
    memoBase = v - ((s.charCodeAt(i + 18) - 48) * 10 + (s.charCodeAt(i + 19) - 48)) * 1000;
  }
  return v;
}

/**
 * Method and endpoint in one scan when the first quote starts both matches (the usual case):
 * `"(\S+)` and `"(?:\S+) (\S+)` then share the quote and the first run. Otherwise each
 * extractor searches on its own.
 */
function methodAndEndpoint(s: string, from: number, to: number, out: ParsedLine): void {
  const q = QUOTES.find(s, from);
  if (q !== -1 && q + 1 < to && !isWs(s.charCodeAt(q + 1))) {
    const e1 = runEnd(s, q + 2, to);
    out.method = s.slice(q + 1, e1);
    if (e1 + 1 < to && s.charCodeAt(e1) === SPACE && !isWs(s.charCodeAt(e1 + 1))) {
      out.endpoint = s.slice(e1 + 1, runEnd(s, e1 + 2, to));
      return;
    }
    out.endpoint = extractEndpoint(s, from, to);
    return;
  }
  out.method = extractMethod(s, from, to);
  out.endpoint = extractEndpoint(s, from, to);
}

/** Fields checked by the malformed-line rule (see isMalformed). */
export const MALFORMED_MASK = F_IP | F_TIMESTAMP | F_METHOD | F_ENDPOINT | F_STATUS;

/**
 * A line is malformed when one of ip, timestamp, method or endpoint is empty or status is null
 * (the seed's regexes did not find them). A missing protocol or a '-' byte count is normal in
 * real logs and does not make a line malformed. `out` must hold MALFORMED_MASK fields.
 */
export function isMalformed(p: ParsedLine): boolean {
  return !p.ip || !p.timestamp || !p.method || !p.endpoint || p.status === null;
}

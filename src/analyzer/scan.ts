/**
 * Byte-level field scanner: the seed job's Spark expressions evaluated on the UTF-8 bytes of a
 * log line, without decoding it.
 *
 *   ip        regexp_extract(line, '^(\S+)', 1)
 *   timestamp regexp_extract(line, '\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+\-]\d{4})\]', 1)
 *   method    regexp_extract(line, '"(\S+)', 1)
 *   endpoint  regexp_extract(line, '"(?:\S+) (\S+)', 1)
 *   protocol  regexp_extract(line, '"(?:\S+) (?:\S+) (\S+)"', 1)
 *   status    regexp_extract(line, ' (\d{3}) ', 1).cast(int)
 *   bytes     regexp_extract(line, ' (\d+|-)$', 1).cast(int)
 *
 * Semantics reproduced from java.util.regex (Spark's engine) on the decoded string:
 * - `\S` is "not [ \t\n\x0B\f\r]", `\d` is [0-9], `\w` is [a-zA-Z_0-9] (ASCII-only classes);
 * - `find()` returns the leftmost match, and for that start the first alternative found by
 *   backtracking (greedy quantifiers); every candidate start position is tried;
 * - `^` is the start of input; `$` (no MULTILINE) is the end of input or the position before a
 *   final line terminator (\n, \r\n, \r, U+0085, U+2028, U+2029);
 * - regexp_extract gives "" when there is no match; cast(string as int) gives null for "", "-"
 *   and values above Int.MaxValue.
 * Why bytes give the same answers: every delimiter the patterns test is ASCII; every byte of a
 * multi-byte UTF-8 sequence (and of an invalid sequence, which decodes to U+FFFD) is >= 0x80, so
 * it is "not whitespace", "not a digit" and "not a word character" exactly like the character it
 * decodes to; and a span cut at ASCII bytes decodes to the same text as the same span of the
 * decoded line (decoding never joins bytes across an ASCII byte).
 *
 * Results are spans [start, end) into the buffer (start -1: no match, the field is ""), plus the
 * numbers; nothing is allocated per line.
 */
import { clfEpochAt } from './time.js';

const SPACE = 32;
const QUOTE = 34;

function isWs(c: number): boolean {
  return c === SPACE || (c >= 9 && c <= 13);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
/** End (exclusive) of the run of non-whitespace bytes starting at i. */
function runEnd(b: Uint8Array, i: number, to: number): number {
  while (i < to && !isWs(b[i]!)) i++;
  return i;
}
/**
 * The hash of byte spans used by the dictionaries (dict.ts): FNV-1a steps over the bytes, then
 * the length mixed in. runEndHash computes it while it looks for the end of a run.
 */
export const HASH_SEED = 0x811c9dc5 | 0;
export function hashFinish(h: number, len: number): number {
  h = Math.imul(h ^ len, 0x01000193);
  return (h ^ (h >>> 15)) | 0;
}
export function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = HASH_SEED;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return hashFinish(h, to - from);
}
/** Hash of the last run found by runEndHash. */
let runHash = 0;
/** runEnd that also hashes the run b[start, end) into runHash (the first byte, at start, is not whitespace). */
function runEndHash(b: Uint8Array, start: number, to: number): number {
  let h = Math.imul(HASH_SEED ^ b[start]!, 0x01000193);
  let i = start + 1;
  for (; i < to; i++) {
    const c = b[i]!;
    if (c === SPACE || (c >= 9 && c <= 13)) break;
    h = Math.imul(h ^ c, 0x01000193);
  }
  runHash = hashFinish(h, i - start);
  return i;
}
function indexOfByte(b: Uint8Array, c: number, i: number, to: number): number {
  for (; i < to; i++) if (b[i] === c) return i;
  return -1;
}

/** Field bits, so that only the fields a job needs are extracted. */
export const F_IP = 1;
export const F_TIMESTAMP = 2;
export const F_METHOD = 4;
export const F_ENDPOINT = 8;
export const F_PROTOCOL = 16;
export const F_STATUS = 32;
export const F_BYTES = 64;
export const F_ALL = 127;
/** Not a field: the event time of the timestamp (LineScan.eventTime). */
export const F_EVENT_TIME = 128;

const INT_MAX = 2147483647;

/**
 * The fields of one line as spans and numbers; reused from line to line.
 *
 * ip, timestamp, method, endpoint and status are always scanned (the engine needs them for the
 * malformed-line rule), and each search skips the spans already known to hold no byte it looks
 * for: the 28 bytes `[...]` of the timestamp hold no quote, and no space that can start
 * ` \d{3} `; the ip, method and endpoint runs hold no space. protocol, bytes and the event time
 * are scanned when the mask asks for them.
 */
export class LineScan {
  ipStart = -1; ipEnd = -1;
  /** Start of the 26-byte timestamp group, or -1. */
  tsStart = -1;
  methodStart = -1; methodEnd = -1;
  endpointStart = -1; endpointEnd = -1;
  protocolStart = -1; protocolEnd = -1;
  /** Hashes (hashBytes) of the ip, method and endpoint spans (when found). */
  ipHash = 0; methodHash = 0; endpointHash = 0;
  /** -1 = null. */
  status = -1;
  /** -1 = null (no match, '-', or out of the int range). */
  bytes = -1;
  /** Start of the bytes group ('-' included), or -1: for the text of the group. */
  bytesStart = -1; bytesEnd = -1;
  /** Epoch ms of the timestamp, NaN when absent or not a valid time. */
  eventTime = NaN;

  // Memo of the last minute seen (consecutive lines mostly share it): the 17 bytes
  // `dd/MMM/yyyy:HH:mm` and the 5-byte zone; a match leaves only the seconds to read.
  private readonly memo = new Uint8Array(22);
  private memoValid = false;
  private memoBase = 0;

  /** Scans b[from, to). Fields outside the mask (protocol, bytes, event time) keep stale values. */
  scan(b: Uint8Array, from: number, to: number, mask: number): void {
    let ipEnd = from;
    if (from < to && !isWs(b[from]!)) {
      this.ipStart = from;
      ipEnd = this.ipEnd = runEndHash(b, from, to);
      this.ipHash = runHash;
    } else this.ipStart = this.ipEnd = -1;
    const ts = timestampStart(b, from, to);
    this.tsStart = ts;
    if (mask & F_EVENT_TIME) this.eventTime = ts < 0 ? NaN : this.epochAt(b, ts);
    this.request(b, from, to, ts, (mask & F_PROTOCOL) !== 0);
    this.status = this.statusAfterSpans(b, from, to, ipEnd, ts);
    if (mask & F_BYTES) this.bytesField(b, from, to);
  }

  /** The next quote at or after i, skipping the timestamp's `[...]` (no quote there). */
  private static nextQuote(b: Uint8Array, i: number, to: number, ts: number): number {
    if (ts >= 0 && i < ts + 27) {
      if (i < ts - 1) {
        const q = indexOfByte(b, QUOTE, i, ts - 1);
        if (q !== -1) return q;
      }
      i = ts + 27;
    }
    return indexOfByte(b, QUOTE, i, to);
  }

  /** method, endpoint and protocol: the first quote usually starts all three matches. */
  private request(b: Uint8Array, from: number, to: number, ts: number, wantProtocol: boolean): void {
    this.methodStart = this.endpointStart = this.protocolStart = -1;
    let needM = true;
    let needE = true;
    let needP = wantProtocol;
    for (let q = LineScan.nextQuote(b, from, to, ts); q !== -1 && (needM || needE || needP); q = LineScan.nextQuote(b, q + 1, to, ts)) {
      if (q + 1 >= to || isWs(b[q + 1]!)) continue;
      const e1 = runEndHash(b, q + 1, to);
      if (needM) {
        this.methodStart = q + 1;
        this.methodEnd = e1;
        this.methodHash = runHash;
        needM = false;
      }
      // A shorter first run is followed by a non-space, so only the maximal run can be followed by ' '.
      if (!(e1 + 1 < to && b[e1] === SPACE && !isWs(b[e1 + 1]!))) continue;
      const e2 = runEndHash(b, e1 + 1, to);
      if (needE) {
        this.endpointStart = e1 + 1;
        this.endpointEnd = e2;
        this.endpointHash = runHash;
        needE = false;
      }
      if (!needP) continue;
      if (!(e2 + 1 < to && b[e2] === SPACE && !isWs(b[e2 + 1]!))) continue;
      const e3 = runEnd(b, e2 + 2, to);
      // (\S+)" : greedy, so the group ends at the last quote inside the third run, leaving >= 1 byte.
      let p = e3 - 1;
      while (p >= e2 + 2 && b[p] !== QUOTE) p--;
      if (p >= e2 + 2) {
        this.protocolStart = e2 + 1;
        this.protocolEnd = p;
        needP = false;
      }
    }
  }

  /**
   * ` (\d{3}) ` (leftmost), searching only the bytes outside the spans known to hold no match
   * start: the ip run [from, ipEnd), the timestamp's `[...]`, the method and endpoint runs.
   */
  private statusAfterSpans(b: Uint8Array, from: number, to: number, ipEnd: number, ts: number): number {
    let pos = ipEnd;
    let r: number;
    // Skip regions in the order they usually appear; one that starts before pos was searched or
    // skipped up to pos already, so only its part after pos is skipped.
    if (ts >= 0) {
      if (ts - 1 > pos && (r = statusIn(b, pos, ts - 1, to)) !== -1) return r;
      if (ts + 27 > pos) pos = ts + 27;
    }
    if (this.methodStart >= 0) {
      if (this.methodStart - 1 > pos && (r = statusIn(b, pos, this.methodStart - 1, to)) !== -1) return r;
      if (this.methodEnd > pos) pos = this.methodEnd;
    }
    if (this.endpointStart >= 0) {
      if (this.endpointStart > pos && (r = statusIn(b, pos, this.endpointStart, to)) !== -1) return r;
      if (this.endpointEnd > pos) pos = this.endpointEnd;
    }
    return statusIn(b, pos > from ? pos : from, to, to);
  }

  private bytesField(b: Uint8Array, from: number, to: number): void {
    const e = dollarEnd(b, from, to);
    this.bytes = -1;
    this.bytesStart = this.bytesEnd = -1;
    if (e - from >= 2 && b[e - 1] === 45 /* - */ && b[e - 2] === SPACE) {
      this.bytesStart = e - 1;
      this.bytesEnd = e;
      return;
    }
    let j = e - 1;
    while (j >= from && isDigit(b[j]!)) j--;
    if (j < e - 1 && j >= from && b[j] === SPACE) {
      this.bytesStart = j + 1;
      this.bytesEnd = e;
      this.bytes = digitsToInt(b, j + 1, e);
    }
  }

  /** clfEpochAt for the 26 bytes at t, through the minute memo. */
  private epochAt(b: Uint8Array, t: number): number {
    const m = this.memo;
    // Bytes 2, 6, 11, 14, 17 and 20 are separators the pattern fixed; 18-19 are the seconds.
    if (this.memoValid
      && b[t + 15] === m[15] && b[t + 16] === m[16] && b[t + 12] === m[12] && b[t + 13] === m[13]
      && b[t] === m[0] && b[t + 1] === m[1] && b[t + 3] === m[3] && b[t + 4] === m[4] && b[t + 5] === m[5]
      && b[t + 7] === m[7] && b[t + 8] === m[8] && b[t + 9] === m[9] && b[t + 10] === m[10]
      && b[t + 21] === m[17] && b[t + 22] === m[18] && b[t + 23] === m[19] && b[t + 24] === m[20] && b[t + 25] === m[21]) {
      const x = b[t + 18]! - 48, y = b[t + 19]! - 48;
      return x <= 5 && y <= 9 ? this.memoBase + (x * 10 + y) * 1000 : NaN;
    }
    // The 26 bytes are ASCII (the timestamp pattern matched), so latin1 is exact.
    const v = clfEpochAt(String.fromCharCode(...b.subarray(t, t + 26)), 0);
    if (v === null) return NaN;
    for (let k = 0; k < 17; k++) m[k] = b[t + k]!;
    for (let k = 0; k < 5; k++) m[17 + k] = b[t + 21 + k]!;
    this.memoValid = true;
    this.memoBase = v - ((b[t + 18]! - 48) * 10 + (b[t + 19]! - 48)) * 1000;
    return v;
  }
}

/** ` (\d{3}) ` starting at a space in [i, limit) (the match may run past limit, up to `to`), or -1. */
function statusIn(b: Uint8Array, i: number, limit: number, to: number): number {
  if (limit > to - 4) limit = to - 4;
  for (; i < limit; i++) {
    if (b[i] !== SPACE) continue;
    const x = b[i + 1]!, y = b[i + 2]!, z = b[i + 3]!;
    if (isDigit(x) && isDigit(y) && isDigit(z) && b[i + 4] === SPACE) return (x - 48) * 100 + (y - 48) * 10 + (z - 48);
  }
  return -1;
}

/** Index of the timestamp group's first byte, or -1. */
function timestampStart(b: Uint8Array, from: number, to: number): number {
  for (let i = indexOfByte(b, 91 /* [ */, from, to); i !== -1 && i + 27 < to; i = indexOfByte(b, 91, i + 1, to)) {
    if (timestampAt(b, i + 1) && b[i + 27] === 93 /* ] */) return i + 1;
  }
  return -1;
}

/** Does `\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+\-]\d{4}` match at i (the caller checked length)? */
function timestampAt(b: Uint8Array, i: number): boolean {
  return isDigit(b[i]!) && isDigit(b[i + 1]!) && b[i + 2] === 47
    && isWord(b[i + 3]!) && isWord(b[i + 4]!) && isWord(b[i + 5]!) && b[i + 6] === 47
    && isDigit(b[i + 7]!) && isDigit(b[i + 8]!) && isDigit(b[i + 9]!) && isDigit(b[i + 10]!)
    && b[i + 11] === 58 && isDigit(b[i + 12]!) && isDigit(b[i + 13]!) && b[i + 14] === 58
    && isDigit(b[i + 15]!) && isDigit(b[i + 16]!) && b[i + 17] === 58
    && isDigit(b[i + 18]!) && isDigit(b[i + 19]!) && b[i + 20] === SPACE
    && (b[i + 21] === 43 || b[i + 21] === 45)
    && isDigit(b[i + 22]!) && isDigit(b[i + 23]!) && isDigit(b[i + 24]!) && isDigit(b[i + 25]!);
}

/** Where `$` (no MULTILINE) can sit before the last char of a match: end of input or before a final terminator. */
function dollarEnd(b: Uint8Array, from: number, to: number): number {
  const n = to - from;
  if (n === 0) return to;
  const last = b[to - 1]!;
  if (last === 10) return n >= 2 && b[to - 2] === 13 ? to - 2 : to - 1;
  if (last === 13) return to - 1;
  if (n >= 2 && last === 0x85 && b[to - 2] === 0xc2) return to - 2; // U+0085
  if (n >= 3 && (last === 0xa8 || last === 0xa9) && b[to - 2] === 0x80 && b[to - 3] === 0xe2) return to - 3; // U+2028, U+2029
  return to;
}

/** cast(<ASCII digits> as int): leading zeros allowed, -1 (null) when above Int.MaxValue. */
function digitsToInt(b: Uint8Array, from: number, to: number): number {
  while (from < to - 1 && b[from] === 48) from++;
  if (to - from > 10) return -1;
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + (b[i]! - 48);
  return v > INT_MAX ? -1 : v;
}

/**
 * Field names, the parsed-line record, and the string API of the field extraction.
 *
 * The extraction itself is scan.ts (on UTF-8 bytes, the engine's hot path); the functions here
 * run it on a JS string and return the fields as Spark's regexp_extract would: "" when the
 * pattern does not match, null for a null line, and null for casts of "" or "-" to int.
 */
import { F_ALL, F_BYTES, F_ENDPOINT, F_EVENT_TIME, F_IP, F_METHOD, F_PROTOCOL, F_STATUS, F_TIMESTAMP, LineScan } from './scan.js';

export { F_ALL, F_BYTES, F_ENDPOINT, F_EVENT_TIME, F_IP, F_METHOD, F_PROTOCOL, F_STATUS, F_TIMESTAMP } from './scan.js';

export type FieldName = 'ip' | 'timestamp' | 'method' | 'endpoint' | 'protocol' | 'status' | 'bytes';
export const FIELD_NAMES: readonly FieldName[] = ['ip', 'timestamp', 'method', 'endpoint', 'protocol', 'status', 'bytes'];
export const FIELD_BITS: Readonly<Record<FieldName, number>> = {
  ip: F_IP, timestamp: F_TIMESTAMP, method: F_METHOD, endpoint: F_ENDPOINT, protocol: F_PROTOCOL, status: F_STATUS, bytes: F_BYTES,
};
/** Integer-typed fields (Spark IntegerType after the cast); the others are strings. */
export const INT_FIELDS: ReadonlySet<FieldName> = new Set<FieldName>(['status', 'bytes']);

/** One parsed line (what filters read). */
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

/** Fields checked by the malformed-line rule (see isMalformed). */
export const MALFORMED_MASK = F_IP | F_TIMESTAMP | F_METHOD | F_ENDPOINT | F_STATUS;

/**
 * A line is malformed when one of ip, timestamp, method or endpoint is empty or status is null
 * (the seed's regexes did not find them). A missing protocol or a '-' byte count is normal in
 * real logs and does not make a line malformed. `p` must hold MALFORMED_MASK fields.
 */
export function isMalformed(p: ParsedLine): boolean {
  return !p.ip || !p.timestamp || !p.method || !p.endpoint || p.status === null;
}

/** isMalformed on a scan (the engine's form). */
export function scanIsMalformed(s: LineScan): boolean {
  return s.ipStart < 0 || s.tsStart < 0 || s.methodStart < 0 || s.endpointStart < 0 || s.status < 0;
}

const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });
function text(b: Uint8Array, start: number, end: number): string {
  return start < 0 ? '' : UTF8.decode(b.subarray(start, end));
}

const scanner = new LineScan();

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

/** parseLine for the line s[from, to) of a larger string. */
export function parseRegion(s: string, from: number, to: number, out: ParsedLine, mask: number): void {
  const { b, r } = one(s, from, to, mask);
  if (mask & F_IP) out.ip = text(b, r.ipStart, r.ipEnd);
  if (mask & (F_TIMESTAMP | F_EVENT_TIME)) out.timestamp = text(b, r.tsStart, r.tsStart + 26);
  if (mask & F_EVENT_TIME) out.eventTime = Number.isNaN(r.eventTime) ? null : r.eventTime;
  if (mask & F_METHOD) out.method = text(b, r.methodStart, r.methodEnd);
  if (mask & F_ENDPOINT) out.endpoint = text(b, r.endpointStart, r.endpointEnd);
  if (mask & F_PROTOCOL) out.protocol = text(b, r.protocolStart, r.protocolEnd);
  if (mask & F_STATUS) out.status = r.status < 0 ? null : r.status;
  if (mask & F_BYTES) out.bytes = r.bytes < 0 ? null : r.bytes;
}

function one(s: string, from: number, to: number, mask: number): { b: Buffer; r: LineScan } {
  const b = Buffer.from(s.slice(from, to), 'utf8');
  scanner.scan(b, 0, b.length, mask);
  return { b, r: scanner };
}

/** `^(\S+)` */
export function extractIp(s: string, from = 0, to = s.length): string {
  const { b, r } = one(s, from, to, F_IP);
  return text(b, r.ipStart, r.ipEnd);
}
/** `\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+\-]\d{4})\]` */
export function extractTimestamp(s: string, from = 0, to = s.length): string {
  const { b, r } = one(s, from, to, F_TIMESTAMP);
  return text(b, r.tsStart, r.tsStart + 26);
}
/** `"(\S+)` */
export function extractMethod(s: string, from = 0, to = s.length): string {
  const { b, r } = one(s, from, to, F_METHOD);
  return text(b, r.methodStart, r.methodEnd);
}
/** `"(?:\S+) (\S+)` */
export function extractEndpoint(s: string, from = 0, to = s.length): string {
  const { b, r } = one(s, from, to, F_ENDPOINT);
  return text(b, r.endpointStart, r.endpointEnd);
}
/** `"(?:\S+) (?:\S+) (\S+)"` */
export function extractProtocol(s: string, from = 0, to = s.length): string {
  const { b, r } = one(s, from, to, F_PROTOCOL);
  return text(b, r.protocolStart, r.protocolEnd);
}
/** ` (\d{3}) ` cast to int: the leftmost match, or null. */
export function extractStatus(s: string, from = 0, to = s.length): number | null {
  const { r } = one(s, from, to, F_STATUS);
  return r.status < 0 ? null : r.status;
}
/** Result of ` (\d+|-)$`: the captured text ("" when no match). */
export function extractBytesText(s: string, from = 0, to = s.length): string {
  const { b, r } = one(s, from, to, F_BYTES);
  return text(b, r.bytesStart, r.bytesEnd);
}
/** ` (\d+|-)$` cast to int. */
export function extractBytes(s: string, from = 0, to = s.length): number | null {
  const { r } = one(s, from, to, F_BYTES);
  return r.bytes < 0 ? null : r.bytes;
}

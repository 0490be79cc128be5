/**
 * On-disk record format of the file channel (documented in docs/file-channel.md).
 *
 * A log segment is `log-<n>` in a data directory: an 8-byte magic `TSFCLOG1`, then records:
 *
 *   offset size  field
 *   0      4     len    (u32 LE) bytes after the crc field: 7 + payload length
 *   4      4     crc    (u32 LE) CRC-32 of the `len` bytes that follow
 *   8      1     type   1 = PUT, 2 = TAKE, 3 = COMMIT
 *   9      6     txid   (u48 LE) transaction id
 *   15     ...   payload
 *
 * PUT payload: u16 header count, per header u32 key length + key bytes + u32 value length +
 * value bytes (UTF-8), then u32 body length + body. TAKE payload: u32 count, then count ×
 * (u32 segment, u32 offset) pointers to PUT records. COMMIT payload: u32 puts, u32 takes.
 * A transaction's records are contiguous and written with one write; only a transaction whose
 * COMMIT record is intact counts.
 */
import { crc32 } from 'node:zlib';
import type { Event } from '../../core/event.js';

export const LOG_MAGIC = Buffer.from('TSFCLOG1', 'latin1');
export const HEADER_BYTES = 15;
export const PUT = 1;
export const TAKE = 2;
export const COMMIT = 3;

/** Encoded size of a PUT record for `e` (header keys/values measured in UTF-8). */
export function putRecordSize(e: Event): number {
  let n = HEADER_BYTES + 2 + 4 + e.body.length;
  for (const k in e.headers) n += 8 + Buffer.byteLength(k, 'utf8') + Buffer.byteLength(e.headers[k]!, 'utf8');
  return n;
}

function finish(buf: Buffer, at: number, type: number, txid: number, end: number): void {
  buf.writeUInt32LE(end - at - 8, at);
  buf[at + 8] = type;
  buf.writeUIntLE(txid, at + 9, 6);
  buf.writeUInt32LE(crc32(buf.subarray(at + 8, end)), at + 4);
}

/** Writes a PUT record at `at`; returns the offset after it. */
export function writePut(buf: Buffer, at: number, txid: number, e: Event): number {
  let o = at + HEADER_BYTES;
  const keys = Object.keys(e.headers);
  buf.writeUInt16LE(keys.length, o);
  o += 2;
  for (const k of keys) {
    const kl = buf.write(k, o + 4, 'utf8');
    buf.writeUInt32LE(kl, o);
    o += 4 + kl;
    const vl = buf.write(e.headers[k]!, o + 4, 'utf8');
    buf.writeUInt32LE(vl, o);
    o += 4 + vl;
  }
  buf.writeUInt32LE(e.body.length, o);
  o += 4;
  o += e.body.copy(buf, o);
  finish(buf, at, PUT, txid, o);
  return o;
}

export function takeRecordSize(n: number): number { return HEADER_BYTES + 4 + 8 * n; }

export function writeTake(buf: Buffer, at: number, txid: number, ptrs: ReadonlyArray<{ seg: number; off: number }>): number {
  let o = at + HEADER_BYTES;
  buf.writeUInt32LE(ptrs.length, o);
  o += 4;
  for (const p of ptrs) {
    buf.writeUInt32LE(p.seg, o);
    buf.writeUInt32LE(p.off, o + 4);
    o += 8;
  }
  finish(buf, at, TAKE, txid, o);
  return o;
}

export const COMMIT_RECORD_SIZE = HEADER_BYTES + 8;

export function writeCommit(buf: Buffer, at: number, txid: number, puts: number, takes: number): number {
  const o = at + HEADER_BYTES;
  buf.writeUInt32LE(puts, o);
  buf.writeUInt32LE(takes, o + 4);
  finish(buf, at, COMMIT, txid, o + 8);
  return o + 8;
}

export interface RecordView {
  type: number;
  txid: number;
  /** Offset of the record in `buf`. */
  start: number;
  /** Offset after the record. */
  end: number;
}

/**
 * Parses the record at `at` in `buf`. Returns 'short' when `buf` ends before the record does,
 * 'bad' when the length is impossible or the CRC does not match (a torn or corrupt record),
 * 'end' at zero bytes (preallocated space after the last record).
 */
export function readRecord(buf: Buffer, at: number, maxLen: number): RecordView | 'short' | 'bad' | 'end' {
  if (buf.length - at < 8) return 'short';
  const len = buf.readUInt32LE(at);
  // Zeros where a record would start: the preallocated, never written part of a segment.
  if (len === 0 && buf.readUInt32LE(at + 4) === 0) return 'end';
  if (len < 7 || len > maxLen) return 'bad';
  const end = at + 8 + len;
  if (end > buf.length) return 'short';
  const crc = buf.readUInt32LE(at + 4);
  if (crc32(buf.subarray(at + 8, end)) !== crc) return 'bad';
  const type = buf[at + 8]!;
  if (type !== PUT && type !== TAKE && type !== COMMIT) return 'bad';
  return { type, txid: buf.readUIntLE(at + 9, 6), start: at, end };
}

/** Decodes the event of a verified PUT record spanning buf[start, end). */
export function decodePut(buf: Buffer, start: number, end: number): Event {
  let o = start + HEADER_BYTES;
  const n = buf.readUInt16LE(o);
  o += 2;
  const headers: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const kl = buf.readUInt32LE(o);
    const k = buf.toString('utf8', o + 4, o + 4 + kl);
    o += 4 + kl;
    const vl = buf.readUInt32LE(o);
    headers[k] = buf.toString('utf8', o + 4, o + 4 + vl);
    o += 4 + vl;
  }
  const bl = buf.readUInt32LE(o);
  o += 4;
  if (o + bl !== end) throw new Error('PUT record length mismatch');
  return { headers, body: Buffer.from(buf.subarray(o, o + bl)) };
}

/** Pointers of a verified TAKE record. */
export function decodeTake(buf: Buffer, start: number): Array<{ seg: number; off: number }> {
  let o = start + HEADER_BYTES;
  const n = buf.readUInt32LE(o);
  o += 4;
  const out = new Array<{ seg: number; off: number }>(n);
  for (let i = 0; i < n; i++, o += 8) out[i] = { seg: buf.readUInt32LE(o), off: buf.readUInt32LE(o + 4) };
  return out;
}

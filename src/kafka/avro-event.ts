/**
 * Flume's `AvroFlumeEvent` in Avro binary datum form (no container header, no fingerprint), as
 * the Kafka sink writes with `useFlumeEventFormat=true` and the Kafka source / Kafka channel read:
 *
 *   record AvroFlumeEvent { map<string> headers; bytes body; }
 *
 * map:    blocks of zigzag-varint(count) + count × (string key, string value), ended by a 0 block;
 *         a negative count is followed by the block's byte size (legal Avro, accepted on decode).
 * string: zigzag-varint(byteLength) + UTF-8 bytes;  bytes: zigzag-varint(length) + bytes.
 *
 * Example: headers {} + body "hi" → 00 04 68 69.
 */
import type { Event } from '../core/event.js';

/** Thrown for bytes that are not a valid AvroFlumeEvent. */
export class AvroDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AvroDecodeError';
  }
}

/** Bytes of zigzag varint for a non-negative int that fits 2^53 (lengths and counts). */
function varintSize(n: number): number {
  // zigzag of a non-negative n is 2n
  let z = n * 2;
  let s = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    s++;
  }
  return s;
}

function writeVarint(buf: Buffer, off: number, n: number): number {
  let z = n * 2;
  while (z >= 0x80) {
    buf[off++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[off++] = z;
  return off;
}

/**
 * Encodes one event. `keys` is the header order to write (any order decodes the same); the
 * default is the object's key order. Flume's Kafka sink writes java.util.HashMap order (see
 * src/sinks/kafka.ts).
 */
export function encodeAvroFlumeEvent(headers: Readonly<Record<string, string>>, body: Buffer, keys: readonly string[] = Object.keys(headers)): Buffer {
  let size = 1 + varintSize(body.length) + body.length;
  const lens: number[] = new Array<number>(keys.length * 2);
  if (keys.length > 0) {
    size += varintSize(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const kl = Buffer.byteLength(k, 'utf8');
      const vl = Buffer.byteLength(headers[k] ?? '', 'utf8');
      lens[2 * i] = kl;
      lens[2 * i + 1] = vl;
      size += varintSize(kl) + kl + varintSize(vl) + vl;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  if (keys.length > 0) {
    o = writeVarint(out, o, keys.length);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      o = writeVarint(out, o, lens[2 * i]!);
      o += out.write(k, o, 'utf8');
      o = writeVarint(out, o, lens[2 * i + 1]!);
      o += out.write(headers[k] ?? '', o, 'utf8');
    }
  }
  out[o++] = 0;
  o = writeVarint(out, o, body.length);
  body.copy(out, o);
  return out;
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  long(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new AvroDecodeError('truncated AvroFlumeEvent (varint runs past the end)');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        // zigzag decode without 32-bit overflow
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      mul *= 128;
    }
    throw new AvroDecodeError('invalid varint in AvroFlumeEvent (more than 10 bytes)');
  }
  length(what: string): number {
    const n = this.long();
    if (n < 0) throw new AvroDecodeError(`negative ${what} length ${n} in AvroFlumeEvent`);
    if (this.pos + n > this.buf.length) {
      throw new AvroDecodeError(`truncated AvroFlumeEvent: ${what} of ${n} bytes at offset ${this.pos}, only ${this.buf.length - this.pos} left`);
    }
    return n;
  }
  string(): string {
    const n = this.length('string');
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  bytes(): Buffer {
    const n = this.length('bytes');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/**
 * Decodes one AvroFlumeEvent. The body is a view into `buf` (no copy). Bytes after the record are
 * ignored, as Flume's Avro reader leaves them unread.
 */
export function decodeAvroFlumeEvent(buf: Buffer): Event {
  const r = new Reader(buf);
  const headers: Record<string, string> = {};
  for (;;) {
    let count = r.long();
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      r.long(); // block size in bytes, not needed
    }
    for (let i = 0; i < count; i++) {
      const k = r.string();
      headers[k] = r.string();
    }
  }
  return { headers, body: r.bytes() };
}

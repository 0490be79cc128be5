/**
 * A one-buffer encoder for kafkajs 2.2.4's Produce request (v3; kafkajs's v4..v7 call v3's
 * factory, and kafkajs speaks v7 to Kafka 4.x), byte-identical to kafkajs's own.
 *
 * Why: kafkajs builds each record as its own Encoder (a `{...message}` copy, a header object per
 * header, a `Buffer.from([...])` per varint, growing buffers copied at every level: record →
 * batch → partition → topic → request). That was most of the Kafka sink's busy CPU. This encoder
 * measures everything first (pass 1), allocates ONE buffer, writes it once (pass 2) and computes
 * the batch CRC32C with a slicing-by-8 table.
 *
 * Scope: the plain case the Kafka sink sends - compression None, no per-message `timestamp`, keys
 * and values that are Buffer / string / null / undefined, headers whose values are Buffer or string
 * (or arrays of them), integer fields in range. Anything else (gzip, timestamps, other value types,
 * out-of-range numbers) goes to kafkajs's original encoder unchanged, so odd inputs behave (and
 * fail) exactly as before. test/kafka/produce-encoder.test.ts compares the bytes with kafkajs's.
 *
 * Wire format (Kafka protocol guide, "Produce" v3+ and "Message Format" / RecordBatch v2):
 *   request   = transactional_id:nullable_string acks:int16 timeout:int32 [topic]
 *   topic     = name:string [partition]
 *   partition = index:int32 record_set_size:int32 record_set
 *   record_set (one batch) = baseOffset:int64(0) batchLength:int32 partitionLeaderEpoch:int32(0)
 *       magic:int8(2) crc:uint32(CRC-32C of everything after it) attributes:int16
 *       lastOffsetDelta:int32 baseTimestamp:int64 maxTimestamp:int64 producerId:int64
 *       producerEpoch:int16 baseSequence:int32 recordCount:int32 records
 *   record    = length:varint attributes:int8(0) timestampDelta:varlong offsetDelta:varint
 *       keyLength:varint key valueLength:varint value headerCount:varint
 *       [keyLength:varint key valueLength:varint value]   (varints zigzag; null = length -1)
 * kafkajs specifics kept: baseTimestamp = maxTimestamp = Date.now() read once per partition (no
 * record has a timestamp, so every timestampDelta is 0); attributes = transactional ? 16 : 0;
 * producerId defaults to -1 and producerEpoch / baseSequence to 0; varints use 32-bit zigzag.
 */
import { createRequire } from 'node:module';

/** A message as kafkajs hands it to the Produce request (its `Message`, fields unchecked). */
interface ProduceMessage {
  key?: unknown;
  value?: unknown;
  headers?: unknown;
  timestamp?: unknown;
}

interface ProducePartitionData {
  partition: unknown;
  firstSequence?: unknown;
  messages: unknown;
}

interface ProduceTopicData {
  topic: unknown;
  partitions: unknown;
}

/** The arguments kafkajs's produce v3..v7 factories receive. */
export interface ProduceRequestArgs {
  acks: unknown;
  timeout: unknown;
  transactionalId?: unknown;
  producerId?: unknown;
  producerEpoch?: unknown;
  compression?: unknown;
  topicData: unknown;
}

/** kafkajs's Encoder, as far as its callers use it: `buf` holds the bytes up to `offset`. */
export interface KafkaJsEncoder {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}

/** What kafkajs's request factories return. */
export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse: () => boolean;
  encode: () => Promise<KafkaJsEncoder>;
}

export type ProduceRequestFactory = (args: ProduceRequestArgs) => ProduceRequest;

const V3_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';
const ENCODER_MODULE = 'kafkajs/src/protocol/encoder.js';
/** Marks our wrapper (and carries kafkajs's original) so installing twice is a no-op. */
const ORIGINAL = Symbol.for('tsagent.kafkajs.produceV3.original');

// ---------------------------------------------------------------------------------------------
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8: eight 256-entry tables in
// one array; table k maps a byte to its CRC contribution k bytes further on.

const CRC_TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** CRC-32C of `b[start, end)` as an unsigned 32-bit number. */
export function crc32c(b: Uint8Array, start = 0, end = b.length): number {
  const t = CRC_TABLES;
  let crc = -1;
  let i = start;
  for (const stop = end - 8; i <= stop; i += 8) {
    const a = crc ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    crc = t[1792 + (a & 0xff)]! ^ t[1536 + ((a >>> 8) & 0xff)]! ^ t[1280 + ((a >>> 16) & 0xff)]! ^ t[1024 + (a >>> 24)]!
      ^ t[768 + b[i + 4]!]! ^ t[512 + b[i + 5]!]! ^ t[256 + b[i + 6]!]! ^ t[b[i + 7]!]!;
  }
  for (; i < end; i++) crc = t[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Varints exactly as kafkajs writes them: 32-bit zigzag, then 7 bits a byte, low bits first.

function varintSize(v: number): number {
  let z = (v << 1) ^ (v >> 31);
  let n = 1;
  while ((z & 0xffffff80) !== 0) { n++; z >>>= 7; }
  return n;
}

function writeVarint(out: Buffer, pos: number, v: number): number {
  let z = (v << 1) ^ (v >> 31);
  while ((z & 0xffffff80) !== 0) { out[pos++] = (z & 0x7f) | 0x80; z >>>= 7; }
  out[pos++] = z & 0x7f;
  return pos;
}

// ---------------------------------------------------------------------------------------------
// Pass 1 stores, in order, the byte length of every string it measures and every record's body
// length; pass 2 reads them back in the same order. Encoding is synchronous, so one shared tape
// is enough.

let tape = new Int32Array(4096);
let tapeLen = 0;
/** Pass 2's read position in the tape. */
let tapeAt = 0;
function tapePush(v: number): void {
  if (tapeLen === tape.length) {
    const t = new Int32Array(tape.length * 2);
    t.set(tape);
    tape = t;
  }
  tape[tapeLen++] = v;
}

const INT16_MIN = -0x8000, INT16_MAX = 0x7fff, INT32_MIN = -0x80000000, INT32_MAX = 0x7fffffff;
const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** Size of a key/value/header value field (length varint + bytes), or -1 if we do not handle it. */
function bytesFieldSize(v: unknown): number {
  if (v === null || v === undefined) return 1; // varint(-1)
  if (Buffer.isBuffer(v)) return varintSize(v.length) + v.length;
  if (typeof v === 'string') {
    const n = Buffer.byteLength(v, 'utf8');
    tapePush(n);
    return varintSize(n) + n;
  }
  return -1;
}

function writeBytesField(out: Buffer, pos: number, v: unknown): number {
  if (v === null || v === undefined) {
    out[pos] = 1; // zigzag(-1)
    return pos + 1;
  }
  if (typeof v === 'string') {
    const n = tape[tapeAt++]!;
    pos = writeVarint(out, pos, n);
    if (n > 0) out.write(v, pos, n, 'utf8');
    return pos + n;
  }
  const b = v as Buffer;
  pos = writeVarint(out, pos, b.length);
  out.set(b, pos);
  return pos + b.length;
}

/** Size of a record's header list, or -1 if we do not handle it. */
function headersSize(h: unknown): number {
  if (h === undefined) return 1; // varint(0): kafkajs defaults headers to {}
  if (typeof h !== 'object' || h === null) return -1;
  const rec = h as Record<string, unknown>;
  let count = 0;
  let size = 0;
  for (const k of Object.keys(rec)) {
    const v = rec[k];
    const kn = Buffer.byteLength(k, 'utf8');
    const keySize = varintSize(kn) + kn;
    if (Array.isArray(v)) {
      for (const e of v as unknown[]) {
        if (e === null || e === undefined) return -1; // kafkajs throws on these: let it
        tapePush(kn);
        const vs = bytesFieldSize(e);
        if (vs < 0) return -1;
        size += keySize + vs;
        count++;
      }
    } else {
      if (v === null || v === undefined) return -1;
      tapePush(kn);
      const vs = bytesFieldSize(v);
      if (vs < 0) return -1;
      size += keySize + vs;
      count++;
    }
  }
  return varintSize(count) + size;
}

function writeHeader(out: Buffer, pos: number, k: string, v: unknown): number {
  const kn = tape[tapeAt++]!;
  pos = writeVarint(out, pos, kn);
  if (kn > 0) out.write(k, pos, kn, 'utf8');
  return writeBytesField(out, pos + kn, v);
}

function headerCount(rec: Record<string, unknown>, keys: string[]): number {
  let c = 0;
  for (const k of keys) {
    const v = rec[k];
    c += Array.isArray(v) ? v.length : 1;
  }
  return c;
}

/** int64 as kafkajs's Long would write it, or false for values we do not handle. */
function toInt64(v: unknown): bigint | false {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : false;
  if (typeof v === 'string') return /^-?\d{1,20}$/.test(v) ? BigInt.asIntN(64, BigInt(v)) : false;
  if (typeof v === 'bigint') return BigInt.asIntN(64, v);
  if (typeof v === 'object' && v !== null && typeof (v as { value?: unknown }).value === 'bigint') {
    return BigInt.asIntN(64, (v as { value: bigint }).value);
  }
  return false;
}

function writeInt64Number(out: Buffer, pos: number, n: number): void {
  const hi = Math.floor(n / 4294967296);
  out.writeInt32BE(hi, pos);
  out.writeUInt32BE(n - hi * 4294967296, pos + 4);
}

/**
 * The whole Produce v3 request body in one Buffer, byte-identical to kafkajs's encoder, or
 * `undefined` when the request is outside this encoder's scope (see the module comment).
 */
export function encodeProduceRequest(args: ProduceRequestArgs): Buffer | undefined {
  const { acks, timeout, topicData } = args;
  // kafkajs's defaults apply to undefined only (a null compression is not None to it).
  const compression = args.compression === undefined ? 0 : args.compression;
  const transactionalId = args.transactionalId === undefined ? null : args.transactionalId;
  const producerEpoch = args.producerEpoch === undefined ? 0 : args.producerEpoch;
  if (compression !== 0) return undefined;
  if (transactionalId !== null && typeof transactionalId !== 'string') return undefined;
  if (!isInt(acks, INT16_MIN, INT16_MAX) || !isInt(timeout, INT32_MIN, INT32_MAX)) return undefined;
  if (!isInt(producerEpoch, INT16_MIN, INT16_MAX)) return undefined;
  const producerId = args.producerId === undefined ? -1n : toInt64(args.producerId);
  if (producerId === false) return undefined;
  if (!Array.isArray(topicData)) return undefined;
  const topics = topicData as ProduceTopicData[];

  // Pass 1: validate and measure.
  tapeLen = 0;
  const tidLen = transactionalId === null ? 0 : Buffer.byteLength(transactionalId, 'utf8');
  let total = 2 + tidLen + 2 + 4 + 4;
  for (const t of topics) {
    if (typeof t !== 'object' || t === null) return undefined;
    const { topic, partitions } = t;
    if (typeof topic !== 'string' || !Array.isArray(partitions)) return undefined;
    const topicLen = Buffer.byteLength(topic, 'utf8');
    tapePush(topicLen);
    total += 2 + topicLen + 4;
    for (const p of partitions as ProducePartitionData[]) {
      if (typeof p !== 'object' || p === null) return undefined;
      const { partition, messages } = p;
      const firstSequence = p.firstSequence === undefined ? 0 : p.firstSequence;
      if (!isInt(partition, INT32_MIN, INT32_MAX) || !isInt(firstSequence, INT32_MIN, INT32_MAX)) return undefined;
      if (!Array.isArray(messages)) return undefined;
      const msgs = messages as ProduceMessage[];
      total += 4 + 4 + 61;
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i];
        if (typeof m !== 'object' || m === null) return undefined;
        if (m.timestamp !== null && m.timestamp !== undefined) return undefined;
        const at = tapeLen;
        tapePush(0); // the body length, filled in below
        const ks = bytesFieldSize(m.key);
        if (ks < 0) return undefined;
        const vs = bytesFieldSize(m.value);
        if (vs < 0) return undefined;
        const hs = headersSize(m.headers);
        if (hs < 0) return undefined;
        const body = 2 + varintSize(i) + ks + vs + hs; // attributes + timestampDelta 0 + offsetDelta
        tape[at] = body;
        total += varintSize(body) + body;
      }
    }
    if (total > INT32_MAX) return undefined;
  }

  // Pass 2: write.
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  if (transactionalId === null) {
    out.writeInt16BE(-1, 0);
    pos = 2;
  } else {
    out.writeInt16BE(tidLen, 0);
    pos = 2 + out.write(transactionalId, 2, tidLen, 'utf8');
  }
  out.writeInt16BE(acks, pos);
  out.writeInt32BE(timeout, pos + 2);
  out.writeInt32BE(topics.length, pos + 6);
  pos += 10;
  const attributes = transactionalId ? 16 : 0;
  tapeAt = 0;
  for (const t of topics) {
    const topic = t.topic as string;
    const partitions = t.partitions as ProducePartitionData[];
    const topicLen = tape[tapeAt++]!;
    out.writeInt16BE(topicLen, pos);
    pos += 2;
    if (topicLen > 0) pos += out.write(topic, pos, topicLen, 'utf8');
    out.writeInt32BE(partitions.length, pos);
    pos += 4;
    for (const p of partitions) {
      const msgs = p.messages as ProduceMessage[];
      const now = Date.now();
      const pStart = pos;
      // partition(4) size(4) | baseOffset(8) batchLength(4) leaderEpoch(4) magic(1) crc(4) |
      // attributes(2) lastOffsetDelta(4) baseTs(8) maxTs(8) producerId(8) epoch(2) baseSeq(4) count(4)
      out.writeInt32BE(p.partition as number, pos);
      const crcFrom = pos + 29;
      pos = crcFrom;
      out.writeInt16BE(attributes, pos);
      out.writeInt32BE(msgs.length - 1, pos + 2);
      if (Number.isSafeInteger(now)) {
        writeInt64Number(out, pos + 6, now);
        writeInt64Number(out, pos + 14, now);
      } else { // kafkajs's Long: BigInt(now), which throws for a fractional clock
        const n = BigInt.asIntN(64, BigInt(now));
        out.writeBigInt64BE(n, pos + 6);
        out.writeBigInt64BE(n, pos + 14);
      }
      out.writeBigInt64BE(producerId, pos + 22);
      out.writeInt16BE(producerEpoch, pos + 30);
      out.writeInt32BE((p.firstSequence ?? 0) as number, pos + 32);
      out.writeInt32BE(msgs.length, pos + 36);
      pos += 40;
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i]!;
        pos = writeVarint(out, pos, tape[tapeAt++]!);
        out[pos] = 0; // attributes
        out[pos + 1] = 0; // timestampDelta 0
        pos = writeVarint(out, pos + 2, i);
        pos = writeBytesField(out, pos, m.key);
        pos = writeBytesField(out, pos, m.value);
        const h = m.headers as Record<string, unknown> | undefined;
        if (h === undefined) {
          out[pos++] = 0;
        } else {
          const keys = Object.keys(h);
          pos = writeVarint(out, pos, headerCount(h, keys));
          for (const k of keys) {
            const v = h[k];
            if (Array.isArray(v)) for (const e of v as unknown[]) pos = writeHeader(out, pos, k, e);
            else pos = writeHeader(out, pos, k, v);
          }
        }
      }
      const batchSize = pos - pStart - 8; // kafkajs's recordBatch.size()
      out.writeInt32BE(batchSize, pStart + 4);
      out.writeInt32BE(0, pStart + 8); // baseOffset
      out.writeInt32BE(0, pStart + 12);
      out.writeInt32BE(batchSize - 12, pStart + 16); // batchLength
      out.writeInt32BE(0, pStart + 20); // partitionLeaderEpoch
      out[pStart + 24] = 2; // magic
      out.writeUInt32BE(crc32c(out, crcFrom, pos), pStart + 25);
    }
  }
  if (pos !== total) throw new Error(`produce encoder: wrote ${pos} bytes, measured ${total}`);
  return out;
}

type EncoderClass = new (initialSize?: number) => KafkaJsEncoder;

/** Wraps kafkajs's produce v3 factory: same request object, the one-buffer encode() when it can. */
export function wrapProduceRequestFactory(original: ProduceRequestFactory, Encoder: EncoderClass): ProduceRequestFactory {
  const wrapped: ProduceRequestFactory = (args) => {
    const request = original(args);
    const slow = request.encode;
    return {
      ...request,
      encode: async () => {
        const buf = encodeProduceRequest(args);
        if (buf === undefined) return slow();
        const enc = Object.create(Encoder.prototype as object) as KafkaJsEncoder;
        enc.buf = buf;
        enc.offset = buf.length;
        return enc;
      },
    };
  };
  Object.defineProperty(wrapped, ORIGINAL, { value: original });
  return wrapped;
}

/** kafkajs's own produce v3 factory, also after installProduceEncoder() replaced it. */
export function kafkajsProduceRequestFactory(): ProduceRequestFactory {
  const req = createRequire(import.meta.url);
  const f = req(V3_MODULE) as ProduceRequestFactory & { [ORIGINAL]?: ProduceRequestFactory };
  return f[ORIGINAL] ?? f;
}

/**
 * Replaces kafkajs's produce v3 request module in the CommonJS cache by the wrapper. Must run
 * before kafkajs first loads produce v4 (which captures v3 at load; kafkajs loads the versions
 * lazily, at the first produce). Returns false when kafkajs is not where expected or v4 was
 * already loaded (then kafkajs's encoder stays in use).
 */
export function installProduceEncoder(): boolean {
  const req = createRequire(import.meta.url);
  let file: string;
  let v4: string;
  try {
    file = req.resolve(V3_MODULE);
    v4 = req.resolve(V3_MODULE.replace('/v3/', '/v4/'));
  } catch {
    return false;
  }
  const original = req(file) as ProduceRequestFactory & { [ORIGINAL]?: ProduceRequestFactory };
  if (original[ORIGINAL]) return true;
  if (req.cache[v4]) return false;
  const m = req.cache[file];
  if (!m) return false;
  m.exports = wrapProduceRequestFactory(original, req(ENCODER_MODULE) as EncoderClass);
  return true;
}

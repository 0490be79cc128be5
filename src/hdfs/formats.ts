/**
 * File formats of Flume's HDFS sink, each producing one Buffer per batch (one WebHDFS request):
 *
 * - DataStream + serializer `text` (body + `\n` when appendNewline) or `header_and_text`.
 * - CompressedStream + gzip: each batch is one complete gzip member; Hadoop's GzipCodec (and
 *   gzip/zcat) read concatenated members as one stream.
 * - SequenceFile (version 6, uncompressed): key LongWritable (`timestamp` header or now), value
 *   BytesWritable (writeFormat Writable) or Text (writeFormat Text), a sync marker at the start
 *   and then at least every SYNC_INTERVAL bytes, as Hadoop's SequenceFile.Writer does.
 *
 * Every format can also find the longest prefix of a file that ends on a record boundary
 * (`validPrefix`): used to repair a file whose last write was interrupted (torn record).
 */
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzipSync, gzip as gzipCb } from 'node:zlib';
import { headersToJavaString, type Event } from '../core/event.js';
import { javaHeaderOrder } from '../core/java-hashmap-order.js';
import { joinBodies } from '../sinks/batch.js';

const gzip = promisify(gzipCb);

export type FileType = 'SequenceFile' | 'DataStream' | 'CompressedStream';
export type WriteFormat = 'Writable' | 'Text';
export type SerializerName = 'text' | 'header_and_text' | 'avro_event';

/** Per open file state a format keeps between batches. */
export interface FileState {
  /** Bytes in the file (durable) before this batch. */
  length: number;
  /** SequenceFile: the file's sync marker and the position of the last one written. */
  sync?: Buffer;
  lastSync?: number;
}

export interface FileFormat {
  /** Extension used when hdfs.fileSuffix is empty (codec default extension, e.g. `.gz`). */
  readonly codecExtension: string;
  /** Encodes a batch for a file; `first` = the file is new (headers are included). */
  encode(events: readonly Event[], st: FileState, first: boolean, now: number): Promise<Buffer>;
  /** Length of the longest prefix of `data` that ends on a complete record. */
  validPrefix(data: Buffer): number;
}

// ------------------------------------------------------------------------------------------

function serializeText(events: readonly Event[], kind: SerializerName, newline: boolean): Buffer {
  if (kind === 'text') return joinBodies(events, newline);
  const parts: Buffer[] = [];
  for (const e of events) {
    parts.push(Buffer.from(`${headersToJavaString(e.headers)} `), e.body);
    if (newline) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

export class DataStreamFormat implements FileFormat {
  readonly codecExtension = '';
  constructor(private readonly serializer: SerializerName, private readonly newline: boolean) {}
  encode(events: readonly Event[]): Promise<Buffer> {
    return Promise.resolve(serializeText(events, this.serializer, this.newline));
  }
  validPrefix(data: Buffer): number {
    if (!this.newline) return data.length;
    return data.lastIndexOf(10) + 1;
  }
}

export class GzipStreamFormat implements FileFormat {
  readonly codecExtension = '.gz';
  constructor(private readonly serializer: SerializerName, private readonly newline: boolean, private readonly inner?: FileFormat) {}
  async encode(events: readonly Event[], st: FileState, first: boolean, now: number): Promise<Buffer> {
    return gzip(this.inner ? await this.inner.encode(events, st, first, now) : serializeText(events, this.serializer, this.newline));
  }
  validPrefix(data: Buffer): number {
    // Members start with 1f 8b 08; try the candidate boundaries from the end.
    const cands: number[] = [data.length];
    for (let i = data.length - 1; i >= 0; i--) {
      i = data.lastIndexOf(0x1f, i);
      if (i < 0) break;
      if (data[i + 1] === 0x8b && data[i + 2] === 0x08) cands.push(i);
    }
    for (const c of cands) {
      if (c === 0) return 0;
      try {
        gunzipSync(data.subarray(0, c));
        return c;
      } catch { /* not a boundary */ }
    }
    return 0;
  }
}

// ------------------------------------------------------------------------------------------
// Hadoop Writable encodings.

/** WritableUtils.writeVLong. */
export function writeVLong(n: number): Buffer {
  if (n >= -112 && n <= 127) return Buffer.from([n & 0xff]);
  let len = -112;
  let v = BigInt(n);
  if (v < 0n) { v = ~v; len = -120; }
  let tmp = v;
  while (tmp !== 0n) { tmp >>= 8n; len--; }
  const bytes = len < -120 ? -(len + 120) : -(len + 112);
  const out = Buffer.alloc(1 + bytes);
  out[0] = len & 0xff;
  for (let i = 0; i < bytes; i++) out[1 + i] = Number((v >> BigInt(8 * (bytes - 1 - i))) & 0xffn);
  return out;
}

/** WritableUtils.readVLong → [value, bytesUsed], or undefined when truncated. */
export function readVLong(b: Buffer, off: number): [number, number] | undefined {
  if (off >= b.length) return undefined;
  const first = (b[off]! << 24) >> 24;
  if (first >= -112) return [first, 1];
  const neg = first < -120;
  const size = neg ? -119 - first : -111 - first;
  if (off + size > b.length) return undefined;
  let v = 0n;
  for (let i = 1; i < size; i++) v = (v << 8n) | BigInt(b[off + i]!);
  return [Number(neg ? ~v : v), size];
}

function textWritable(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([writeVLong(b.length), b]);
}

const SYNC_ESCAPE = -1;
const SYNC_HASH_SIZE = 16;
/** Hadoop 3's SequenceFile.SYNC_INTERVAL: 5 KiB × SYNC_SIZE (20). */
export const SEQ_SYNC_INTERVAL = 5 * 1024 * (4 + SYNC_HASH_SIZE);

export class SequenceFileFormat implements FileFormat {
  readonly codecExtension = '';
  private readonly valueClass: string;
  constructor(private readonly writeFormat: WriteFormat) {
    this.valueClass = writeFormat === 'Text' ? 'org.apache.hadoop.io.Text' : 'org.apache.hadoop.io.BytesWritable';
  }

  header(sync: Buffer): Buffer {
    const meta = Buffer.alloc(4); // metadata: 0 entries
    return Buffer.concat([
      Buffer.from([0x53, 0x45, 0x51, 6]), // "SEQ" version 6
      textWritable('org.apache.hadoop.io.LongWritable'),
      textWritable(this.valueClass),
      Buffer.from([0, 0]), // not compressed, not block-compressed
      meta,
      sync,
    ]);
  }

  encode(events: readonly Event[], st: FileState, first: boolean, now: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let pos = st.length;
    if (first || !st.sync) {
      st.sync = randomBytes(SYNC_HASH_SIZE);
      const h = this.header(st.sync);
      parts.push(h);
      pos += h.length;
      st.lastSync = pos;
    }
    const sync = st.sync;
    for (const e of events) {
      if (pos >= (st.lastSync ?? 0) + SEQ_SYNC_INTERVAL) {
        const s = Buffer.alloc(4 + SYNC_HASH_SIZE);
        s.writeInt32BE(SYNC_ESCAPE, 0);
        sync.copy(s, 4);
        parts.push(s);
        pos += s.length;
        st.lastSync = pos;
      }
      const tsh = e.headers.timestamp;
      let ts = now;
      if (tsh !== undefined && /^[+-]?\d+$/.test(tsh)) ts = Number(tsh);
      const valLen = this.writeFormat === 'Text' ? writeVLong(e.body.length) : undefined;
      const valueBytes = (valLen ? valLen.length : 4) + e.body.length;
      const head = Buffer.alloc(16 + (valLen ? valLen.length : 4));
      head.writeInt32BE(8 + valueBytes, 0); // record length = key + value
      head.writeInt32BE(8, 4); // key length
      head.writeBigInt64BE(BigInt(ts), 8);
      if (valLen) valLen.copy(head, 16);
      else head.writeInt32BE(e.body.length, 16);
      parts.push(head, e.body);
      pos += head.length + e.body.length;
    }
    return Promise.resolve(Buffer.concat(parts));
  }

  validPrefix(data: Buffer): number {
    // Header: SEQ v, key class, value class, compress, blockCompress, [codec], metadata, sync.
    if (data.length < 4 || data.toString('latin1', 0, 3) !== 'SEQ') return 0;
    let o = 4;
    for (let i = 0; i < 2; i++) {
      const v = readVLong(data, o);
      if (!v) return 0;
      o += v[1] + v[0];
    }
    if (o + 2 > data.length) return 0;
    const compressed = data[o] !== 0;
    o += 2;
    if (compressed) {
      const v = readVLong(data, o);
      if (!v) return 0;
      o += v[1] + v[0];
    }
    if (o + 4 > data.length) return 0;
    const n = data.readInt32BE(o);
    o += 4;
    for (let i = 0; i < 2 * n; i++) {
      const v = readVLong(data, o);
      if (!v) return 0;
      o += v[1] + v[0];
    }
    o += SYNC_HASH_SIZE;
    if (o > data.length) return 0;
    let good = o;
    while (o + 4 <= data.length) {
      const len = data.readInt32BE(o);
      if (len === SYNC_ESCAPE) {
        if (o + 4 + SYNC_HASH_SIZE > data.length) break;
        o += 4 + SYNC_HASH_SIZE;
      } else {
        if (len < 0 || o + 8 + len > data.length) break;
        o += 8 + len;
      }
      good = o;
    }
    return good;
  }
}


// ------------------------------------------------------------------------------------------
// Avro object container file of Flume's `avro_event` serializer: schema `Event` with
// `headers: map<string>` and `body: bytes`; header written with the first batch, then one data
// block per batch (DataFileWriter.flush() at every sink flush, as Flume).

export const AVRO_EVENT_SCHEMA = '{"type":"record","name":"Event","fields":[{"name":"headers","type":{"type":"map","values":"string"}},{"name":"body","type":"bytes"}]}';

function zigzag(n: number): Buffer {
  let v = (BigInt(n) << 1n) ^ (BigInt(n) >> 63n);
  const out: number[] = [];
  while (v > 0x7fn) { out.push(Number((v & 0x7fn) | 0x80n)); v >>= 7n; }
  out.push(Number(v));
  return Buffer.from(out);
}

function readZigzag(b: Buffer, off: number): [number, number] | undefined {
  let v = 0n;
  let shift = 0n;
  for (let i = off; i < b.length && i < off + 10; i++) {
    const x = b[i]!;
    v |= BigInt(x & 0x7f) << shift;
    if ((x & 0x80) === 0) return [Number((v >> 1n) ^ -(v & 1n)), i - off + 1];
    shift += 7n;
  }
  return undefined;
}

function avroBytes(b: Buffer): Buffer[] { return [zigzag(b.length), b]; }

export class AvroEventFormat implements FileFormat {
  readonly codecExtension = '';
  constructor(private readonly syncInterval = 2048000) {}

  header(sync: Buffer): Buffer {
    const meta: Buffer[] = [zigzag(2)];
    for (const [k, v] of [['avro.schema', AVRO_EVENT_SCHEMA], ['avro.codec', 'null']] as const) {
      meta.push(...avroBytes(Buffer.from(k)), ...avroBytes(Buffer.from(v)));
    }
    meta.push(zigzag(0));
    return Buffer.concat([Buffer.from([0x4f, 0x62, 0x6a, 1]), ...meta, sync]);
  }

  encode(events: readonly Event[], st: FileState, first: boolean, _now?: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    if (first || !st.sync) {
      st.sync = randomBytes(16);
      parts.push(this.header(st.sync));
    }
    let block: Buffer[] = [];
    let blockBytes = 0;
    let count = 0;
    const flush = (): void => {
      if (count === 0) return;
      parts.push(zigzag(count), zigzag(blockBytes), ...block, st.sync!);
      block = [];
      blockBytes = 0;
      count = 0;
    };
    for (const e of events) {
      const rec: Buffer[] = [];
      // Flume's serializer writes the event's header HashMap as it iterates.
      const keys = javaHeaderOrder(e.headers);
      if (keys.length > 0) {
        rec.push(zigzag(keys.length));
        for (const k of keys) rec.push(...avroBytes(Buffer.from(k)), ...avroBytes(Buffer.from(e.headers[k]!)));
      }
      rec.push(zigzag(0), ...avroBytes(e.body));
      for (const r of rec) { block.push(r); blockBytes += r.length; }
      count++;
      if (blockBytes >= this.syncInterval) flush();
    }
    flush();
    return Promise.resolve(Buffer.concat(parts));
  }

  validPrefix(data: Buffer): number {
    if (data.length < 4 || data.readUInt32BE(0) !== 0x4f626a01) return 0;
    let o = 4;
    // metadata map<bytes>
    for (;;) {
      const c = readZigzag(data, o);
      if (!c) return 0;
      o += c[1];
      if (c[0] === 0) break;
      let n = c[0];
      if (n < 0) { const sz = readZigzag(data, o); if (!sz) return 0; o += sz[1]; n = -n; }
      for (let i = 0; i < 2 * n; i++) {
        const l = readZigzag(data, o);
        if (!l) return 0;
        o += l[1] + l[0];
      }
    }
    if (o + 16 > data.length) return 0;
    const sync = data.subarray(o, o + 16);
    o += 16;
    let good = o;
    while (o < data.length) {
      const c = readZigzag(data, o);
      if (!c) break;
      const sz = readZigzag(data, o + c[1]);
      if (!sz) break;
      const end = o + c[1] + sz[1] + sz[0] + 16;
      if (sz[0] < 0 || end > data.length || !data.subarray(end - 16, end).equals(sync)) break;
      o = end;
      good = o;
    }
    return good;
  }
}

// ------------------------------------------------------------------------------------------

export interface FormatOptions {
  fileType: FileType;
  writeFormat: WriteFormat;
  codec: 'gzip' | undefined;
  serializer: SerializerName;
  appendNewline: boolean;
  /** avro_event: serializer.syncIntervalBytes. */
  syncIntervalBytes?: number;
}

export function createFormat(o: FormatOptions): FileFormat {
  switch (o.fileType) {
    case 'DataStream':
      return o.serializer === 'avro_event' ? new AvroEventFormat(o.syncIntervalBytes) : new DataStreamFormat(o.serializer, o.appendNewline);
    case 'CompressedStream':
      return new GzipStreamFormat(o.serializer, o.appendNewline, o.serializer === 'avro_event' ? new AvroEventFormat(o.syncIntervalBytes) : undefined);
    case 'SequenceFile': return new SequenceFileFormat(o.writeFormat);
  }
}

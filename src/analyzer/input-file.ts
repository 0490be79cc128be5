/**
 * File / stdin input: streams a plain or gzip file (or stdin) and hands out lines.
 * Lines are split like Spark's text source (Hadoop LineReader): on \n, \r\n and \r; a final
 * line without terminator is a line; no empty line after a final terminator. Lines are handed
 * out as bytes; the engine decodes the values it keeps as UTF-8 with U+FFFD for invalid
 * sequences (what Spark's regexp_extract sees). Gzip is detected by the magic bytes, so `-` may
 * also be gzip.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';

export interface LineSink {
  /** Called for every line, synchronously: the line is the UTF-8 bytes buf[from, to) (no terminator). */
  line(buf: Buffer, from: number, to: number): void;
  /** Called after each chunk; awaiting it gives backpressure. */
  chunkDone(): Promise<void> | void;
}

async function* gunzipIfNeeded(src: Readable): AsyncGenerator<Buffer> {
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  const rest = async function* (): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  };
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const gz = createGunzip();
    const input = Readable.from(rest());
    input.pipe(gz);
    for await (const c of gz) yield c as Buffer;
  } else {
    yield* rest();
  }
}

/**
 * Splits bytes into lines on \n, \r\n and \r, across chunk boundaries (a \r at the end of one
 * chunk and a \n at the start of the next are one line end). Lines stay bytes: the engine reads
 * UTF-8 in place, and a multi-byte sequence split across chunks is whole again in its line.
 */
export class LineSplitter {
  private carry: Buffer | null = null;
  private pendingCR = false;
  /** `emit(buf, from, to)`: the line is buf[from, to); buf is usually the whole chunk (no copy). */
  constructor(private readonly emit: (buf: Buffer, from: number, to: number) => void) {}

  push(buf: Buffer): void {
    const emit = this.emit;
    const len = buf.length;
    let i = 0;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (len > 0 && buf[0] === 10) i = 1;
    }
    let start = i;
    let cr = buf.indexOf(13, i); // recomputed only when passed: no rescans per line
    for (;;) {
      const nl = buf.indexOf(10, i);
      if (cr !== -1 && cr < i) cr = buf.indexOf(13, i);
      let end: number;
      let next: number;
      if (cr !== -1 && (nl === -1 || cr < nl)) {
        end = cr;
        if (cr + 1 < len) next = buf[cr + 1] === 10 ? cr + 2 : cr + 1;
        else {
          next = len;
          this.pendingCR = true;
        }
      } else if (nl !== -1) {
        end = nl;
        next = nl + 1;
      } else break;
      if (this.carry !== null) {
        const joined = Buffer.concat([this.carry, buf.subarray(start, end)]);
        this.carry = null;
        emit(joined, 0, joined.length);
      } else emit(buf, start, end);
      i = start = next;
      if (i >= len) break;
    }
    if (start < len) {
      // Copied: the caller may reuse the chunk's memory.
      const rest = Buffer.from(buf.subarray(start));
      this.carry = this.carry === null ? rest : Buffer.concat([this.carry, rest]);
    }
  }

  /** Emits the last line when the input did not end with a line end. */
  end(): void {
    if (this.carry !== null) {
      const c = this.carry;
      this.carry = null;
      this.emit(c, 0, c.length);
    }
  }
}

/** Streams the raw bytes of `path` ('-' = stdin), gunzipped when they start with the gzip magic. */
export async function* readChunks(path: string, stdin?: Readable): AsyncGenerator<Buffer> {
  const src: Readable = path === '-' ? (stdin ?? process.stdin) : createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    yield* gunzipIfNeeded(src);
  } finally {
    if (path !== '-') src.destroy();
  }
}

/**
 * Reads `path` ('-' = stdin) and calls sink.line for each line after the first `skipLines`.
 * Returns the number of lines read (including skipped ones).
 */
export async function readLines(path: string, sink: LineSink, opts: { skipLines?: number; signal?: AbortSignal; stdin?: Readable } = {}): Promise<number> {
  let skip = opts.skipLines ?? 0;
  let n = 0;
  const splitter = new LineSplitter((buf, from, to) => {
    n++;
    if (skip > 0) skip--;
    else sink.line(buf, from, to);
  });
  for await (const chunk of readChunks(path, opts.stdin)) {
    if (opts.signal?.aborted) break;
    splitter.push(chunk);
    await sink.chunkDone();
  }
  splitter.end();
  await sink.chunkDone();
  return n;
}

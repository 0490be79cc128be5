/**
 * File / stdin input: streams a plain or gzip file (or stdin) and hands out lines.
 * Lines are split like Spark's text source (Hadoop LineReader): on \n, \r\n and \r; a final
 * line without terminator is a line; no empty line after a final terminator. Bytes are decoded
 * as UTF-8 with U+FFFD for invalid sequences (what Spark's regexp_extract sees). Gzip is
 * detected by the magic bytes, so `-` may also be gzip.
 */
import { createReadStream } from 'node:fs';
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';

export interface LineSink {
  /** Called for every line, synchronously: the line is text[from, to) (no terminator). */
  line(text: string, from: number, to: number): void;
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
 * Splits decoded text into lines on \n, \r\n and \r, across chunk boundaries (a \r at the end
 * of one chunk and a \n at the start of the next are one line end).
 */
export class LineSplitter {
  private carry = '';
  private pendingCR = false;
  /** `emit(text, from, to)`: the line is text[from, to); text is usually the whole chunk (no copy). */
  constructor(private readonly emit: (text: string, from: number, to: number) => void) {}

  push(text: string): void {
    const emit = this.emit;
    let i = 0;
    const len = text.length;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (len > 0 && text.charCodeAt(0) === 10) i = 1;
    }
    let start = i;
    let cr = text.indexOf('\r', i); // recomputed only when passed: no rescans per line
    for (;;) {
      const nl = text.indexOf('\n', i);
      if (cr !== -1 && cr < i) cr = text.indexOf('\r', i);
      let end: number;
      let next: number;
      if (cr !== -1 && (nl === -1 || cr < nl)) {
        end = cr;
        if (cr + 1 < len) next = text.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        else {
          next = len;
          this.pendingCR = true;
        }
      } else if (nl !== -1) {
        end = nl;
        next = nl + 1;
      } else break;
      if (this.carry !== '') {
        const joined = this.carry + text.slice(start, end);
        this.carry = '';
        emit(joined, 0, joined.length);
      } else emit(text, start, end);
      i = start = next;
      if (i >= len) break;
    }
    if (start < len) this.carry += text.slice(start);
  }

  /** Emits the last line when the input did not end with a line end. */
  end(): void {
    if (this.carry !== '') {
      const c = this.carry;
      this.carry = '';
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
  const decoder = new StringDecoder('utf8');
  let skip = opts.skipLines ?? 0;
  let n = 0;
  const splitter = new LineSplitter((text, from, to) => {
    n++;
    if (skip > 0) skip--;
    else sink.line(text, from, to);
  });
  let pendingUtf8 = false;
  for await (const chunk of readChunks(path, opts.stdin)) {
    if (opts.signal?.aborted) break;
    // Pure ASCII (the usual log chunk) decodes as latin1: a plain copy, same characters.
    // Otherwise UTF-8 through the decoder, which also joins sequences split across chunks.
    if (!pendingUtf8 && isAscii(chunk)) splitter.push(chunk.toString('latin1'));
    else {
      splitter.push(decoder.write(chunk));
      // The decoder holds bytes only when the chunk ended inside a multi-byte sequence; an
      // ASCII last byte ends any sequence, so the fast path is safe again after it.
      pendingUtf8 = chunk.length > 0 && chunk[chunk.length - 1]! >= 0x80;
    }
    await sink.chunkDone();
  }
  const tail = decoder.end();
  if (tail) splitter.push(tail);
  splitter.end();
  await sink.chunkDone();
  return n;
}

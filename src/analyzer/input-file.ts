/**
 * File / stdin input: streams a plain or gzip file (or stdin) and hands out lines.
 * Lines are split like Spark's text source (Hadoop LineReader): on \n, \r\n and \r; a final
 * line without terminator is a line; no empty line after a final terminator. Bytes are decoded
 * as UTF-8 with U+FFFD for invalid sequences (what Spark's regexp_extract sees). Gzip is
 * detected by the magic bytes, so `-` may also be gzip.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';

export interface LineSink {
  /** Called for every line, synchronously. */
  line(s: string): void;
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
 * Reads `path` ('-' = stdin) and calls sink.line for each line after the first `skipLines`.
 * Returns the number of lines read (including skipped ones).
 */
export async function readLines(path: string, sink: LineSink, opts: { skipLines?: number; signal?: AbortSignal; stdin?: Readable } = {}): Promise<number> {
  const src: Readable = path === '-' ? (opts.stdin ?? process.stdin) : createReadStream(path, { highWaterMark: 1 << 20 });
  const decoder = new StringDecoder('utf8');
  let skip = opts.skipLines ?? 0;
  let n = 0;
  let carry = '';
  let pendingCR = false;
  const emit = (s: string): void => {
    n++;
    if (skip > 0) skip--;
    else sink.line(s);
  };
  const onText = (text: string): void => {
    let i = 0;
    const len = text.length;
    if (pendingCR) {
      pendingCR = false;
      if (len > 0 && text.charCodeAt(0) === 10) i = 1; // \r\n split across chunks
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
          pendingCR = true;
        }
      } else if (nl !== -1) {
        end = nl;
        next = nl + 1;
      } else break;
      if (carry !== '') {
        emit(carry + text.slice(start, end));
        carry = '';
      } else emit(text.slice(start, end));
      i = start = next;
      if (i >= len) break;
    }
    if (start < len) carry += text.slice(start);
  };
  try {
    for await (const chunk of gunzipIfNeeded(src)) {
      if (opts.signal?.aborted) break;
      onText(decoder.write(chunk));
      await sink.chunkDone();
    }
    const tail = decoder.end();
    if (tail) onText(tail);
    if (carry !== '') {
      emit(carry);
      carry = '';
    }
    await sink.chunkDone();
  } finally {
    if (path !== '-') src.destroy();
  }
  return n;
}

/**
 * Turning a byte stream into the lines stream_logs.py sends, without holding the stream in memory.
 *
 * stream_logs.py (the seed) does `data.decode('utf-8', errors='replace').splitlines()`, skips lines
 * for which `line.strip()` is empty and sends `line.strip() + '\n'`. Here:
 * - decoding: Node's UTF-8 decoder replaces each maximal invalid subsequence with one U+FFFD, the
 *   same substitution as Python's errors='replace' (checked on truncated, overlong, surrogate and
 *   out-of-range sequences); StringDecoder keeps multi-byte characters split across chunks intact;
 * - splitting: the separators of Python's str.splitlines(): \n, \r\n, \r, \v, \f, \x1c, \x1d,
 *   \x1e, \x85, \u2028, \u2029;
 * - stripping: the characters for which Python's str.isspace() is true (this differs from JS trim():
 *   Python strips \x1c-\x1f and \x85 but not U+FEFF);
 * - blank lines (empty after stripping) are skipped.
 */
import { StringDecoder } from 'node:string_decoder';

/** Any splitlines() separator other than \n. */
const OTHER_BREAKS = /[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]/;
const ALL_BREAKS = /\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]/;
/** Python str.isspace() characters. */
const PY_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

function isPySpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

/** Python's str.strip() (no argument). */
export function pyStrip(s: string): string {
  if (s.length === 0) return s;
  if (!isPySpace(s.charCodeAt(0)) && !isPySpace(s.charCodeAt(s.length - 1))) return s;
  return s.replace(PY_STRIP, '');
}

export interface LineOptions {
  /** Skip this many (non-blank) lines first. */
  skip?: number;
  /** Stop after this many (non-blank) lines. */
  limit?: number;
}

/**
 * Lines as stream_logs.py would send them (decoded with replacement, split like splitlines(),
 * stripped, blank lines dropped), in batches of one input chunk each (never empty).
 */
export async function* pythonLines(chunks: AsyncIterable<Buffer | Uint8Array | string>, options: LineOptions = {}): AsyncGenerator<string[], void, undefined> {
  let toSkip = options.skip ?? 0;
  let left = options.limit ?? Infinity;
  if (left <= 0) return;
  const decoder = new StringDecoder('utf8');
  let carry = '';
  const emit = (parts: string[], upto: number): string[] => {
    const out: string[] = [];
    for (let i = 0; i < upto; i++) {
      const line = pyStrip(parts[i]!);
      if (line.length === 0) continue;
      if (toSkip > 0) {
        toSkip--;
        continue;
      }
      out.push(line);
      if (--left <= 0) break;
    }
    return out;
  };
  for await (const chunk of chunks) {
    const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    const parts = OTHER_BREAKS.test(text) ? text.split(ALL_BREAKS) : text.split('\n');
    // The last part has no separator yet (it may be completed by the next chunk).
    carry = parts[parts.length - 1]!;
    const out = emit(parts, parts.length - 1);
    if (out.length > 0) yield out;
    if (left <= 0) return;
  }
  const rest = carry + decoder.end();
  if (rest.length > 0) {
    const parts = rest.split(ALL_BREAKS);
    const out = emit(parts, parts.length);
    if (out.length > 0) yield out;
  }
}

/**
 * A `.properties` parser with exactly the semantics of `java.util.Properties.load(Reader)`
 * (JDK 9+ `LineReader` + `load0` + `loadConvert`), which is how Flume reads its config file.
 * It additionally remembers the 1-based line where every logical line starts, so errors can
 * point at `file:line`.
 *
 * Rules (all verified by test/config/properties-diff.test.ts against a real JDK):
 * - line terminators: `\n`, `\r`, `\r\n`;
 * - leading ` `, `\t`, `\f` of every line is dropped; blank lines are ignored;
 * - a line whose first non-blank char is `#` or `!` is a comment (only at the start of a
 *   logical line: inside a continuation it is ordinary text);
 * - a line ending in an odd number of `\` continues on the next line; the `\` is dropped and the
 *   next line's leading blanks too; a blank next line ends the logical line;
 * - the key ends at the first unescaped `=`, `:`, ` `, `\t` or `\f`; then blanks, at most one `=`
 *   or `:`, and blanks again are skipped; the rest (trailing whitespace included) is the value;
 * - escapes in keys and values: `\t \n \r \f`, `\uXXXX` (exactly 4 hex digits, otherwise Java
 *   throws "Malformed \uxxxx encoding." and aborts the load: we report a problem and skip that
 *   entry), any other escaped char is that char (`\b` is `b`, `\\` is `\`);
 * - duplicate keys: the last one wins (all entries are kept in `entries`, in file order);
 * - a UTF-8 byte-order mark is NOT stripped (InputStreamReader keeps it), so it becomes part of the
 *   first key, exactly as in Java; we keep that and add a warning.
 */
import { isUtf8 } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import type { ConfigProblem } from './problems.js';

export interface PropertyEntry {
  key: string;
  value: string;
  file: string;
  /** 1-based line where the logical line (its key) starts. */
  line: number;
  /** The value as written in the file, set by substitution / config filters when they changed it. */
  raw?: string;
}

export interface ParsedProperties {
  file: string;
  /** Every entry in file order, duplicates included. */
  entries: PropertyEntry[];
  /** Key -> entry; the last duplicate wins (like java.util.Properties). */
  map: Map<string, PropertyEntry>;
  problems: ConfigProblem[];
}

export type PropertiesEncoding = 'utf8' | 'latin1';

/** Problem codes produced by this module. */
export const PROPERTIES_PROBLEM_CODES = {
  MALFORMED_UNICODE_ESCAPE: 'MALFORMED_UNICODE_ESCAPE',
  BYTE_ORDER_MARK: 'BYTE_ORDER_MARK',
  DUPLICATE_KEY: 'DUPLICATE_KEY',
  CONFIG_FILE_UNREADABLE: 'CONFIG_FILE_UNREADABLE',
  INVALID_UTF8: 'INVALID_UTF8',
} as const;

const SP = 32;
const TAB = 9;
const FF = 12;
const LF = 10;
const CR = 13;
const BSL = 92;
const HASH = 35;
const BANG = 33;
const EQ = 61;
const COLON = 58;

class MalformedEscape extends Error {}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Java's loadConvert over s[start, end). */
function convert(s: string, start: number, end: number): string {
  let bs = s.indexOf('\\', start);
  if (bs < 0 || bs >= end) return s.slice(start, end);
  let out = s.slice(start, bs);
  let off = bs;
  while (off < end) {
    let c = s.charCodeAt(off++);
    if (c !== BSL) {
      // copy the run up to the next backslash in one slice
      bs = s.indexOf('\\', off);
      const stop = bs < 0 || bs >= end ? end : bs;
      out += s.slice(off - 1, stop);
      off = stop;
      continue;
    }
    // The line reader never leaves an unescaped backslash at the end of a key or value.
    c = s.charCodeAt(off++);
    if (c === 117 /* u */) {
      if (off > end - 4) throw new MalformedEscape();
      let v = 0;
      for (let i = 0; i < 4; i++) {
        const h = hexVal(s.charCodeAt(off++));
        if (h < 0) throw new MalformedEscape();
        v = (v << 4) + h;
      }
      out += String.fromCharCode(v);
    } else if (c === 116) out += '\t';
    else if (c === 114) out += '\r';
    else if (c === 110) out += '\n';
    else if (c === 102) out += '\f';
    else out += String.fromCharCode(c);
  }
  return out;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

/**
 * Parse properties text. Never throws: malformed `\u` escapes are reported in `problems`
 * (Java would throw IllegalArgumentException and Flume would load nothing) and the entry is
 * skipped; parsing continues so every problem is reported at once.
 */
export function parseProperties(text: string, file: string): ParsedProperties {
  const entries: PropertyEntry[] = [];
  const map = new Map<string, PropertyEntry>();
  const problems: ConfigProblem[] = [];
  const n = text.length;

  const emit = (s: string, line: number): void => {
    // java.util.Properties.load0: split key / value.
    const limit = s.length;
    let keyLen = 0;
    let valueStart = limit;
    let hasSep = false;
    let pb = false;
    while (keyLen < limit) {
      const c = s.charCodeAt(keyLen);
      if (!pb) {
        if (c === EQ || c === COLON) {
          valueStart = keyLen + 1;
          hasSep = true;
          break;
        }
        if (c === SP || c === TAB || c === FF) {
          valueStart = keyLen + 1;
          break;
        }
      }
      pb = c === BSL ? !pb : false;
      keyLen++;
    }
    while (valueStart < limit) {
      const c = s.charCodeAt(valueStart);
      if (c !== SP && c !== TAB && c !== FF) {
        if (!hasSep && (c === EQ || c === COLON)) hasSep = true;
        else break;
      }
      valueStart++;
    }
    let key: string;
    try {
      key = convert(s, 0, keyLen);
    } catch {
      problems.push({
        severity: 'error',
        code: PROPERTIES_PROBLEM_CODES.MALFORMED_UNICODE_ESCAPE,
        message: `malformed \\uxxxx escape in key ${quote(s.slice(0, keyLen))} (Java stops loading the file here: "Malformed \\uxxxx encoding.")`,
        fix: 'write exactly four hex digits after \\u (e.g. \\u00e9), or write \\\\u for a literal backslash-u',
        file,
        line,
        key: s.slice(0, keyLen),
      });
      return;
    }
    let value: string;
    try {
      value = convert(s, valueStart, limit);
    } catch {
      problems.push({
        severity: 'error',
        code: PROPERTIES_PROBLEM_CODES.MALFORMED_UNICODE_ESCAPE,
        message: `malformed \\uxxxx escape in the value of ${quote(key)} (Java stops loading the file here: "Malformed \\uxxxx encoding.")`,
        fix: 'write exactly four hex digits after \\u (e.g. \\u00e9), or write \\\\u for a literal backslash-u',
        file,
        line,
        key,
        value: s.slice(valueStart),
      });
      return;
    }
    const entry: PropertyEntry = { key, value, file, line };
    entries.push(entry);
    map.set(key, entry);
  };

  // Java's LineReader, one physical line at a time. A `\r\n` pair is always one terminator
  // (LineReader skips the `\n` in every state), so physical lines are well defined.
  let pos = 0;
  let line = 1;
  let parts: string[] = [];
  let cont = false; // inside a continued logical line that already has content
  let startLine = 1;
  while (pos < n) {
    let i = pos;
    let c = text.charCodeAt(i);
    while (c === SP || c === TAB || c === FF) c = text.charCodeAt(++i);
    let e = i;
    while (e < n) {
      c = text.charCodeAt(e);
      if (c === LF || c === CR) break;
      e++;
    }
    const terminated = e < n;
    const thisLine = line;
    if (terminated) {
      pos = text.charCodeAt(e) === CR && text.charCodeAt(e + 1) === LF ? e + 2 : e + 1;
      line++;
    } else {
      pos = n;
    }
    if (!cont) {
      if (i === e) continue; // blank line
      c = text.charCodeAt(i);
      if (c === HASH || c === BANG) continue; // comment (only at the start of a logical line)
      startLine = thisLine;
    } else if (i === e) {
      // a blank line ends a continued logical line
      emit(parts.length === 1 ? parts[0]! : parts.join(''), startLine);
      parts = [];
      cont = false;
      continue;
    }
    // odd number of trailing backslashes => continuation (the last backslash is dropped)
    let k = e;
    while (k > i && text.charCodeAt(k - 1) === BSL) k--;
    const odd = ((e - k) & 1) === 1;
    const seg = odd ? text.slice(i, e - 1) : text.slice(i, e);
    // Java peeks for EOF right after the first terminator char: a continuation whose terminator
    // is the last char of the file ends the logical line there (even an empty one: a lone `\`
    // followed by `\n` at EOF yields the entry "" = "").
    if (odd && terminated && e + 1 < n) {
      if (cont) parts.push(seg);
      else if (seg.length > 0) {
        parts = [seg];
        cont = true;
      }
      // else: a line holding just `\`: Java continues with an empty buffer, which is the same
      // as starting a fresh logical line (comments are recognised again).
      continue;
    }
    if (cont) {
      parts.push(seg);
      emit(parts.join(''), startLine);
      parts = [];
      cont = false;
    } else {
      emit(seg, startLine);
    }
  }
  if (cont) emit(parts.join(''), startLine);

  if (n > 0 && text.charCodeAt(0) === 0xfeff) {
    problems.push({
      severity: 'warning',
      code: PROPERTIES_PROBLEM_CODES.BYTE_ORDER_MARK,
      message:
        'the file starts with a byte-order mark (U+FEFF); java.util.Properties keeps it as part of the first key, so Flume does not recognise that key',
      fix: 'save the file without a BOM',
      file,
      line: 1,
      key: entries[0]?.key,
    });
  }
  return { file, entries, map, problems };
}

/**
 * Read and parse a properties file. UTF-8 by default (Flume 1.9 used the platform charset,
 * usually UTF-8; Flume 1.11 decodes ISO-8859-1: pass `encoding: 'latin1'` for that).
 * Never throws: an unreadable file yields no entries and one CONFIG_FILE_UNREADABLE error.
 */
export async function readPropertiesFile(
  path: string,
  opts?: { encoding?: PropertiesEncoding },
): Promise<ParsedProperties> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : e instanceof Error
              ? e.message
              : String(e);
    return {
      file: path,
      entries: [],
      map: new Map(),
      problems: [
        {
          severity: 'error',
          code: PROPERTIES_PROBLEM_CODES.CONFIG_FILE_UNREADABLE,
          message: `cannot read configuration file ${path}: ${why}`,
          fix: 'check the path given with -f/--conf-file',
          file: path,
        },
      ],
    };
  }
  if (opts?.encoding === 'latin1') {
    const parsed = parseProperties(buf.toString('latin1'), path);
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
      parsed.problems.push({
        severity: 'warning',
        code: PROPERTIES_PROBLEM_CODES.BYTE_ORDER_MARK,
        message:
          'the file starts with a UTF-8 byte-order mark; read as ISO-8859-1 (as Flume 1.11 does) it becomes "\u00ef\u00bb\u00bf" at the start of the first key, so Flume does not recognise that key',
        fix: 'save the file without a BOM',
        file: path,
        line: 1,
        key: parsed.entries[0]?.key,
      });
    }
    return parsed;
  }
  // Buffer#toString keeps a BOM, like Java's InputStreamReader(UTF_8).
  if (isUtf8(buf)) return parseProperties(buf.toString('utf8'), path);
  const parsed = parseProperties(decodeUtf8LikeJava(buf), path);
  // Terminators are ASCII, so each physical line can be checked on its own.
  let line = 1;
  for (let i = 0; i < buf.length; ) {
    const e = lineEnd(buf, i);
    if (!isUtf8(buf.subarray(i, e))) break;
    i = buf[e] === CR && buf[e + 1] === LF ? e + 2 : e + 1;
    line++;
  }
  parsed.problems.push({
    severity: 'warning',
    code: PROPERTIES_PROBLEM_CODES.INVALID_UTF8,
    message: 'the file is not valid UTF-8; invalid bytes were replaced by U+FFFD (as Java does)',
    fix: 'save the file as UTF-8 (Flume 1.11 reads ISO-8859-1; write non-ASCII text as \\uXXXX to be safe with both)',
    file: path,
    line,
  });
  return parsed;
}

function lineEnd(buf: Buffer, i: number): number {
  while (i < buf.length && buf[i] !== LF && buf[i] !== CR) i++;
  return i;
}

/**
 * UTF-8 decoding with the exact replacement behaviour of Java's UTF-8 decoder
 * (sun.nio.cs.UTF_8 with CodingErrorAction.REPLACE, as used by InputStreamReader). It differs from
 * the WHATWG decoder of Buffer#toString only on invalid input: e.g. an encoded surrogate
 * (ED A0 80) is one U+FFFD in Java and three in WHATWG. Only used when the file is not valid UTF-8.
 */
export function decodeUtf8LikeJava(buf: Uint8Array): string {
  const out: number[] = [];
  const n = buf.length;
  const cont = (b: number | undefined): boolean => b !== undefined && (b & 0xc0) === 0x80;
  let sp = 0;
  while (sp < n) {
    const b1 = buf[sp]!;
    if (b1 < 0x80) {
      out.push(b1);
      sp++;
    } else if (b1 >= 0xc2 && b1 <= 0xdf) {
      if (n - sp < 2) {
        out.push(0xfffd); // incomplete at end of input: the rest is one malformed sequence
        sp = n;
      } else if (!cont(buf[sp + 1])) {
        out.push(0xfffd);
        sp += 1;
      } else {
        out.push(((b1 & 0x1f) << 6) | (buf[sp + 1]! & 0x3f));
        sp += 2;
      }
    } else if (b1 >= 0xe0 && b1 <= 0xef) {
      const b2 = buf[sp + 1];
      const bad32 = b2 !== undefined && ((b1 === 0xe0 && (b2 & 0xe0) === 0x80) || !cont(b2));
      if (n - sp < 3) {
        out.push(0xfffd);
        sp = bad32 ? sp + 1 : n;
      } else if (bad32 || !cont(buf[sp + 2])) {
        out.push(0xfffd);
        sp += bad32 ? 1 : 2;
      } else {
        const c = ((b1 & 0x0f) << 12) | ((b2! & 0x3f) << 6) | (buf[sp + 2]! & 0x3f);
        out.push(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c); // encoded surrogate: one U+FFFD for 3 bytes
        sp += 3;
      }
    } else if (b1 >= 0xf0 && b1 <= 0xf7) {
      const b2 = buf[sp + 1];
      const bad1 = (b2: number): boolean =>
        b1 > 0xf4 || (b1 === 0xf0 && (b2 < 0x90 || b2 > 0xbf)) || (b1 === 0xf4 && (b2 & 0xf0) !== 0x80) || !cont(b2);
      if (n - sp < 4) {
        out.push(0xfffd);
        if (b1 > 0xf4 || (b2 !== undefined && bad1(b2))) sp += 1;
        else if (n - sp > 2 && !cont(buf[sp + 2])) sp += 2;
        else sp = n;
      } else {
        const b3 = buf[sp + 2]!;
        const b4 = buf[sp + 3]!;
        const uc = ((b1 & 0x07) << 18) | ((b2! & 0x3f) << 12) | ((b3 & 0x3f) << 6) | (b4 & 0x3f);
        if (!cont(b2) || !cont(b3) || !cont(b4) || uc < 0x10000 || uc > 0x10ffff) {
          out.push(0xfffd);
          sp += bad1(b2!) ? 1 : !cont(b3) ? 2 : 3;
        } else {
          out.push(0xd800 + ((uc - 0x10000) >> 10), 0xdc00 + ((uc - 0x10000) & 0x3ff));
          sp += 4;
        }
      }
    } else {
      out.push(0xfffd);
      sp++;
    }
  }
  let s = '';
  for (let i = 0; i < out.length; i += 8192) s += String.fromCharCode(...out.slice(i, i + 8192));
  return s;
}

/**
 * Merge several parsed files the way Flume 1.10+ loads `-f a -f b`: into one Properties object in
 * order, so a later file overrides earlier keys. Entries keep their own file and line.
 */
export function mergeProperties(files: readonly ParsedProperties[]): ParsedProperties {
  const entries: PropertyEntry[] = [];
  const map = new Map<string, PropertyEntry>();
  const problems: ConfigProblem[] = [];
  for (const f of files) {
    for (const e of f.entries) {
      entries.push(e);
      map.set(e.key, e);
    }
    problems.push(...f.problems);
  }
  return { file: files.map((f) => f.file).join(','), entries, map, problems };
}

/**
 * Warnings for keys defined more than once in the same file (Java silently keeps the last one).
 * Not produced by parseProperties itself, because java.util.Properties does not complain, and
 * not across files, because overriding an earlier `-f` file is intended. The problem points at
 * the overridden (ignored) line.
 */
export function duplicateKeyProblems(props: ParsedProperties): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const seen = new Map<string, PropertyEntry>();
  for (const e of props.entries) {
    const prev = seen.get(e.key);
    if (prev && prev.file === e.file) {
      out.push({
        severity: 'warning',
        code: PROPERTIES_PROBLEM_CODES.DUPLICATE_KEY,
        message: `${quote(e.key)} is set again at line ${e.line}; this value is ignored (the last one wins)`,
        fix: 'remove one of the two lines',
        file: prev.file,
        line: prev.line,
        key: e.key,
        value: prev.value,
      });
    }
    seen.set(e.key, e);
  }
  return out;
}

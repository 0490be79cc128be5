import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/analyzer/input-file.js';
import { fileRanges, lineStartAtOrAfter } from '../../src/analyzer/parallel.js';

const dir = mkdtempSync(join(tmpdir(), 'ranges-'));
let k = 0;
function file(content: string | Buffer): string {
  const p = join(dir, `f${k++}`);
  writeFileSync(p, content);
  return p;
}
function splitAll(chunks: Buffer[]): string[] {
  const out: string[] = [];
  const s = new LineSplitter((b, a, e) => out.push(b.toString('utf8', a, e)));
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

describe('lineStartAtOrAfter', () => {
  it.each([
    ['after LF', 'ab\ncd\n', 1, 3],
    ['at a line start', 'ab\ncd\n', 3, 3],
    ['CRLF: not between CR and LF', 'ab\r\ncd', 3, 4],
    ['lone CR ends a line', 'ab\rcd', 2, 3],
    ['lone CR: right after it', 'ab\rcd', 3, 3],
    ['no line end after pos: end of file', 'abcdef', 2, 6],
    ['position 0', 'abc', 0, 0],
    ['empty lines', '\n\n\n', 1, 1],
  ])('%s', (_n, content, pos, want) => {
    const p = file(content);
    const fd = openSync(p, 'r');
    try {
      expect(lineStartAtOrAfter(fd, Buffer.byteLength(content), pos)).toBe(want);
    } finally {
      closeSync(fd);
    }
  });
});

describe('fileRanges', () => {
  it('cuts at line starts, and the ranges split into exactly the lines of the whole file', () => {
    let seed = 3;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const ends = ['\n', '\r\n', '\r'];
    for (let t = 0; t < 200; t++) {
      let s = '';
      for (let i = rnd(30); i > 0; i--) s += 'x'.repeat(rnd(5)) + ends[rnd(3)];
      if (rnd(2)) s += 'tail';
      const p = file(s);
      const whole = splitAll([Buffer.from(s)]);
      for (const n of [2, 3, 5]) {
        const cuts = fileRanges(p, n)!;
        expect(cuts.length).toBe(n + 1);
        const buf = Buffer.from(s);
        const parts = cuts.slice(0, -1).flatMap((c, i) => splitAll([buf.subarray(c, cuts[i + 1])]));
        expect(parts, JSON.stringify(s)).toEqual(whole);
      }
    }
  });
  it('returns null for gzip input (read by the main thread instead)', () => {
    expect(fileRanges(file(gzipSync('a\nb\n')), 2)).toBeNull();
  });
});

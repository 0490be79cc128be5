import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeUtf8LikeJava,
  duplicateKeyProblems,
  mergeProperties,
  parseProperties,
  readPropertiesFile,
} from '../../src/config/properties.js';

const tmp = mkdtempSync(join(tmpdir(), 'props-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('line numbers (line where the logical line starts)', () => {
  const cases: [name: string, text: string, expected: [key: string, value: string, line: number][]][] = [
    ['simple', 'a=1\nb=2\n', [['a', '1', 1], ['b', '2', 2]]],
    ['blank lines and comments', '\n# c\n\n! d\na=1\n\n\nb=2', [['a', '1', 5], ['b', '2', 8]]],
    ['CRLF counts once', 'a=1\r\n\r\nb=2\r\n', [['a', '1', 1], ['b', '2', 3]]],
    ['CR only', 'a=1\r\rb=2\r', [['a', '1', 1], ['b', '2', 3]]],
    ['LF CR is two lines', 'a=1\n\rb=2', [['a', '1', 1], ['b', '2', 3]]],
    ['continuation starts at its first line', 'x=0\na=1\\\n  2\\\n  3\nb=4', [['x', '0', 1], ['a', '123', 2], ['b', '4', 5]]],
    ['lone backslash line is skipped', '\\\nk=v', [['k', 'v', 2]]],
    ['blank line ends a continuation', 'a=1\\\n\nb=2', [['a', '1', 1], ['b', '2', 3]]],
    ['leading whitespace', '   \n\t  a = 1', [['a', '1', 2]]],
    ['mixed endings', 'a=1\rb=2\r\nc=3\nd=4', [['a', '1', 1], ['b', '2', 2], ['c', '3', 3], ['d', '4', 4]]],
    ['duplicates keep their own lines', 'a=1\na=2', [['a', '1', 1], ['a', '2', 2]]],
    ['CRLF continuation', 'a=1\\\r\n 2\r\nb=3', [['a', '12', 1], ['b', '3', 3]]],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    const p = parseProperties(text, 'x.conf');
    expect(p.entries.map((e) => [e.key, e.value, e.line])).toEqual(expected);
    expect(p.entries.every((e) => e.file === 'x.conf')).toBe(true);
  });
});

describe('problems', () => {
  it('malformed \\u in a value: error with file:line, entry skipped, parsing continues', () => {
    const p = parseProperties('a=1\n\nb=\\u12G4\nc=3\n', 'f.conf');
    expect(p.problems).toHaveLength(1);
    expect(p.problems[0]).toMatchObject({ severity: 'error', code: 'MALFORMED_UNICODE_ESCAPE', file: 'f.conf', line: 3, key: 'b' });
    expect(p.problems[0]!.fix).toContain('four hex digits');
    expect([...p.map.keys()]).toEqual(['a', 'c']);
  });

  it('malformed \\u in a key', () => {
    const p = parseProperties('k\\u00=v\n', 'f.conf');
    expect(p.problems[0]).toMatchObject({ code: 'MALFORMED_UNICODE_ESCAPE', line: 1, key: 'k\\u00' });
    expect(p.map.size).toBe(0);
  });

  it('BOM is kept in the first key (like Java) and reported', () => {
    const p = parseProperties('\ufeffagent.sources = r1\n', 'f.conf');
    expect([...p.map.keys()]).toEqual(['\ufeffagent.sources']);
    expect(p.problems).toEqual([expect.objectContaining({ severity: 'warning', code: 'BYTE_ORDER_MARK', line: 1 })]);
  });

  it('BOM read as latin1 (Flume 1.11) is reported too', async () => {
    const f = join(tmp, 'bom.conf');
    writeFileSync(f, '\ufeffa.sources = r1\n', 'utf8');
    const p = await readPropertiesFile(f, { encoding: 'latin1' });
    expect([...p.map.keys()]).toEqual(['\u00ef\u00bb\u00bfa.sources']);
    expect(p.problems.map((q) => q.code)).toEqual(['BYTE_ORDER_MARK']);
  });

  it('unreadable file is a problem, not a throw', async () => {
    const p = await readPropertiesFile(join(tmp, 'missing.conf'));
    expect(p.entries).toEqual([]);
    expect(p.problems).toEqual([
      expect.objectContaining({ severity: 'error', code: 'CONFIG_FILE_UNREADABLE', message: expect.stringContaining('no such file') }),
    ]);
    const d = await readPropertiesFile(tmp);
    expect(d.problems[0]!.message).toContain('it is a directory');
  });

  it('invalid UTF-8 is decoded like Java and reported at the first bad line', async () => {
    const f = join(tmp, 'bad-utf8.conf');
    writeFileSync(f, Buffer.concat([Buffer.from('a=1\r\nb=ok\nc='), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\n')]));
    const p = await readPropertiesFile(f);
    expect(p.map.get('c')!.value).toBe('\ufffd');
    expect(p.problems).toEqual([expect.objectContaining({ code: 'INVALID_UTF8', line: 3 })]);
  });

  it('latin1 decoding (Flume 1.11 reads ISO-8859-1)', async () => {
    const f = join(tmp, 'utf8.conf');
    writeFileSync(f, 'k=é\n', 'utf8');
    expect((await readPropertiesFile(f)).map.get('k')!.value).toBe('é');
    expect((await readPropertiesFile(f, { encoding: 'latin1' })).map.get('k')!.value).toBe('Ã©');
  });

  it('duplicate keys within a file: warning at the overridden line', () => {
    const p = parseProperties('a=1\nb=2\na=3\n', 'f.conf');
    expect(p.map.get('a')!.value).toBe('3');
    expect(duplicateKeyProblems(p)).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'DUPLICATE_KEY', line: 1, key: 'a', value: '1' }),
    ]);
  });

  it('merge: later files override, no duplicate warning across files', () => {
    const a = parseProperties('x=1\ny=2\n', 'a.conf');
    const b = parseProperties('y=3\n', 'b.conf');
    const m = mergeProperties([a, b]);
    expect(m.map.get('y')).toEqual({ key: 'y', value: '3', file: 'b.conf', line: 1 });
    expect(m.map.get('x')!.file).toBe('a.conf');
    expect(duplicateKeyProblems(m)).toEqual([]);
  });
});

describe('decodeUtf8LikeJava', () => {
  const cases: [string, number[], string][] = [
    ['valid', [0x61, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80], 'aé😀'],
    ['encoded surrogate is one U+FFFD', [0xed, 0xa0, 0x80, 0x61], '\ufffda'],
    ['truncated at end is one U+FFFD', [0x61, 0xe2, 0x82], 'a\ufffd'],
    ['overlong 3-byte', [0xe0, 0x80, 0x80], '\ufffd\ufffd\ufffd'],
    ['4-byte above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], '\ufffd\ufffd\ufffd\ufffd'],
    ['lone continuation', [0x80, 0x61], '\ufffda'],
  ];
  it.each(cases)('%s', (_n, bytes, expected) => {
    expect(decodeUtf8LikeJava(Uint8Array.from(bytes))).toBe(expected);
  });
});

describe('performance', () => {
  it('parses a 100,000-line file in one pass', () => {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(`agent.sources.r${i}.prop${i % 7} = value ${i} with some text`);
    const text = lines.join('\n');
    const t0 = performance.now();
    const p = parseProperties(text, 'big.conf');
    const ms = performance.now() - t0;
    expect(p.entries).toHaveLength(100_000);
    expect(p.entries[99_999]).toMatchObject({ line: 100_000, value: 'value 99999 with some text' });
    // generous bound (shared 2-core machine); typically ~30 ms
    expect(ms).toBeLessThan(2000);
  });
});

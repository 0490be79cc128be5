import { describe, expect, it } from 'vitest';
import { CountTable, KEY_EMPTY } from '../../src/analyzer/counts.js';
import { ByteDict, TupleDict } from '../../src/analyzer/dict.js';

const bytes = (...b: number[]): Buffer => Buffer.from(b);

describe('ByteDict', () => {
  it('gives one id per distinct value and the decoded value back', () => {
    const d = new ByteDict();
    const buf = Buffer.from('GET POST GET /a é');
    const ids = [[0, 3], [4, 8], [9, 12], [13, 15], [16, 18]].map(([a, b]) => d.intern(buf, a!, b!));
    expect(ids).toEqual([0, 1, 0, 2, 3]);
    expect(d.values).toEqual(['GET', 'POST', '/a', 'é']);
    expect(d.internString('POST')).toBe(1);
    expect(d.intern(buf, 0, 0)).toBe(4);
    expect(d.values[4]).toBe('');
  });

  it('invalid UTF-8 sequences that decode to the same text share one id (Spark groups decoded strings)', () => {
    const d = new ByteDict();
    const a = d.intern(bytes(0x61, 0xff), 0, 2);
    const b = d.intern(bytes(0x61, 0xfe), 0, 2);
    const c = d.intern(bytes(0x61, 0xef, 0xbf, 0xbd), 0, 4); // a + U+FFFD, valid
    expect(a).toBe(b);
    expect(a).toBe(c);
    expect(d.values).toEqual(['a\uFFFD']);
    // ... and each byte form is found again without decoding.
    expect(d.intern(bytes(0x61, 0xfe), 0, 2)).toBe(a);
  });

  it('keeps a leading U+FEFF (no BOM stripping)', () => {
    const d = new ByteDict();
    d.intern(bytes(0xef, 0xbb, 0xbf, 0x68), 0, 4);
    expect(d.values).toEqual(['\uFEFFh']);
  });

  it('grows past its first table and arena, and compaction keeps only live ids', () => {
    const d = new ByteDict();
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const b = Buffer.from(`10.0.${i >> 8}.${i & 255}/${'x'.repeat(i % 40)}`);
      expect(d.intern(b, 0, b.length)).toBe(i);
    }
    expect(d.size).toBe(n);
    const live = new Uint8Array(n);
    for (let i = 0; i < n; i += 7) live[i] = 1;
    const remap = d.compact(live);
    expect(d.size).toBe(Math.ceil(n / 7));
    for (let i = 0; i < n; i++) {
      const v = `10.0.${i >> 8}.${i & 255}/${'x'.repeat(i % 40)}`;
      if (i % 7 === 0) {
        expect(remap[i]).toBe(i / 7);
        expect(d.values[remap[i]!]).toBe(v);
        const b = Buffer.from(v);
        expect(d.intern(b, 0, b.length)).toBe(i / 7);
      } else expect(remap[i]).toBe(-1);
    }
    // A dropped value comes back with a new id.
    const b = Buffer.from('10.0.0.1/x');
    expect(d.intern(b, 0, b.length)).toBe(d.size - 1);
  });
});

describe('TupleDict', () => {
  it('ids of value lists; null, numbers and strings stay distinct', () => {
    const t = new TupleDict();
    expect(t.intern(['a', 1])).toBe(0);
    expect(t.intern(['a', '1'])).toBe(1);
    expect(t.intern([null, 1])).toBe(2);
    expect(t.intern(['a', 1])).toBe(0);
    const remap = t.compact(new Uint8Array([0, 1, 1]));
    expect([...remap]).toEqual([-1, 0, 1]);
    expect(t.values).toEqual([['a', '1'], [null, 1]]);
  });
});

describe('CountTable', () => {
  it('counts integer keys (null = -1) through growth and remaps keys', () => {
    const c = new CountTable();
    const want = new Map<number, number>();
    for (let i = 0; i < 20_000; i++) {
      const k = (i * 7919) % 3001 - 1;
      c.add(k, 1, i & 3);
      want.set(k, (want.get(k) ?? 0) + 1);
    }
    expect(c.size).toBe(want.size);
    for (const [k, n] of want) expect(c.countAt(c.find(k))).toBe(n);
    expect(c.find(5000)).toBeLessThan(0);
    const remap = new Int32Array(3000).map((_, i) => 2999 - i);
    c.remapKeys(remap);
    for (const [k, n] of want) expect(c.countAt(c.find(k < 0 ? k : 2999 - k))).toBe(n);
    let held = 0;
    for (let s = 0; s < c.slots; s++) if (c.keyAt(s) !== KEY_EMPTY) held++;
    expect(held).toBe(want.size);
  });
});

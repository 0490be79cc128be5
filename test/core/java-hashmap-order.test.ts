/**
 * The expected orders come from a real JVM: test/fixtures/java-hashmap/HashMapOrder.java is run
 * once (`java HashMapOrder.java`, JDK 17) on every case below and prints each map's iteration order.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  javaCopyTableSize, javaHashMapCopyOrder, javaHashMapOrder, javaHeaderOrder, javaStringHashCode,
  javaTableSizeFor, markHeadersCopied, removeHeader,
} from '../../src/core/java-hashmap-order.js';

const JAVA_PROGRAM = fileURLToPath(new URL('../fixtures/java-hashmap/HashMapOrder.java', import.meta.url));

type Mode = 'new' | 'sized' | 'copy' | 'copy4' | 'linked' | 'putall';
interface Case { name: string; mode: Mode; arg: number; keys: string[]; removed?: string[] }

/** The TypeScript side of each mode (see HashMapOrder.java for the Java side). */
function tsOrder(c: Case): readonly string[] {
  const k = Math.min(c.arg, c.keys.length);
  switch (c.mode) {
    case 'new': {
      // Both entry points: the key list, and an unmarked header object (what most sources build).
      const h: Record<string, string> = {};
      for (const key of c.keys) h[key] = 'v';
      if (c.removed) {
        for (const key of c.removed) removeHeader(h, key);
        return javaHeaderOrder(h);
      }
      const viaHeaders = javaHeaderOrder(h);
      const viaKeys = javaHashMapOrder(c.keys);
      return JSON.stringify(viaHeaders) === JSON.stringify(viaKeys) ? viaKeys : [`headers ${JSON.stringify(viaHeaders)} != keys ${JSON.stringify(viaKeys)}`];
    }
    case 'sized': return javaHashMapOrder(c.keys, javaTableSizeFor(c.arg));
    default: {
      // Built like a source builds an event: the source map's keys, the mark, then later puts.
      const h: Record<string, string> = {};
      for (const key of c.keys.slice(0, k)) h[key] = 'v';
      markHeadersCopied(h, c.mode === 'copy4' ? 4 : c.mode === 'linked' ? 0 : 16);
      for (const key of c.keys.slice(k)) h[key] = 'v';
      for (const key of c.removed ?? []) removeHeader(h, key);
      return javaHeaderOrder(h);
    }
  }
}

const FLUME = ['timestamp', 'host', 'topic', 'partition', 'key', 'offset', 'file', 'basename'];
const POOL = [
  ...FLUME, 'Facility', 'Severity', 'priority', 'version', 'flume.syslog.status', 'byteoffset', 'uuid', 'id',
  'datacenter', 'service', 'tier', 'level', 'status', 'bytes', 'method', 'path', 'clientIP', 'user', 'env',
  'region', 'app', 'trace',
];
const combos = (depth: number): string[] => depth === 0 ? [''] : combos(depth - 1).flatMap((p) => [p + 'Aa', p + 'BB']);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}
function randomKeys(r: () => number, n: number): string[] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-éü中😀';
  const chars = [...alphabet];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = chars[Math.floor(r() * 52)]!; // a letter first: never an integer-like name
    const len = Math.floor(r() * 12);
    for (let j = 0; j < len; j++) s += chars[Math.floor(r() * chars.length)]!;
    out.push(s);
  }
  return out;
}

const CASES: Case[] = [];
const add = (name: string, mode: Mode, arg: number, keys: string[], removed?: string[]): void => {
  CASES.push(removed ? { name, mode, arg, keys, removed } : { name, mode, arg, keys });
};
for (let n = 0; n <= 30; n++) {
  const keys = POOL.slice(0, n);
  add(`${n} keys, new HashMap`, 'new', 0, keys);
  add(`${n} keys, copy of a HashMap`, 'copy', n, keys);
  add(`${n} keys, copy of a HashMap(4)`, 'copy4', n, keys);
  add(`${n} keys, copy of a LinkedHashMap`, 'linked', n, keys);
  add(`${n} keys, putAll into an empty HashMap`, 'putall', n, keys);
  add(`${n} keys, copy of the first ${n >> 1}, then puts`, 'copy', n >> 1, keys);
  add(`${n} keys, copy of the first 2 (HashMap(4)), then puts`, 'copy4', 2, keys);
}
for (const size of [0, 1, 2, 3, 4, 5, 7, 12, 13, 100]) add(`new HashMap(${size}), 20 keys`, 'sized', size, POOL.slice(0, 20));
add('Aa/BB collide', 'new', 0, ['BB', 'Aa']);
add('4 colliding keys among others', 'new', 0, ['x', ...combos(2), 'timestamp', 'y']);
add('8 colliding keys', 'new', 0, combos(3));
add('9 colliding keys: the bin doubles the table instead of becoming a tree', 'new', 0, combos(4).slice(0, 9));
add('10 colliding keys: two such doublings', 'new', 0, [...combos(4).slice(0, 10), 'host', 'topic']);
add('9 colliding keys after 3 others', 'copy', 3, ['host', 'file', 'topic', ...combos(4).slice(0, 9)]);
add('non-ASCII keys', 'new', 0, ['ключ', 'キー', '😀', 'naïve', 'nai\u0308ve', '\u0000', 'tab\tkey', '', 'ü', 'Ωmega', '中文']);
add('non-ASCII keys, copy', 'copy', 6, ['ключ', 'キー', '😀', 'naïve', 'nai\u0308ve', 'tab\tkey', 'ü', 'Ωmega']);
add('13 keys: one resize', 'new', 0, POOL.slice(0, 13));
add('25 keys: two resizes', 'new', 0, POOL.slice(0, 25));
add('repeated puts keep their place', 'new', 0, ['host', 'topic', 'host', 'key', 'topic', 'timestamp']);
add('Kafka source headers (HashMap(4) copied)', 'copy4', 5, ['timestamp', 'topic', 'partition', 'offset', 'key']);
add('Kafka source headers, then timestamp/host interceptors', 'copy4', 4, ['timestamp', 'topic', 'partition', 'offset', 'host']);
add('13 keys on a new HashMap, 9 removed: the table stays at 32', 'new', 0, POOL.slice(0, 13), POOL.slice(0, 9));
add('spooldir file + basename', 'new', 0, ['file', 'basename']);
add('syslog headers (copied), then host interceptor', 'copy', 6, ['Facility', 'Severity', 'priority', 'version', 'timestamp', 'host', 'hostname']);
add('http JSON headers copied, then remove_header', 'linked', 7, ['Authorization', 'traceparent', 'tracestate', 'baggage', 'x-internal-route', 'x-request', 'user'], ['Authorization', 'traceparent', 'tracestate', 'baggage', 'x-internal-route']);
add('copy of 13, 2 puts, 9 removals', 'copy', 13, POOL.slice(0, 15), POOL.slice(2, 11));
add('copy of 3, 12 puts, 2 removals', 'copy', 3, POOL.slice(0, 15), ['host', 'offset']);
add('http JSON headers (Gson LinkedTreeMap copied)', 'linked', 7, ['Authorization', 'traceparent', 'tracestate', 'baggage', 'x-internal-route', 'x-request', 'user']);
const r = rng(20261125);
for (let i = 0; i < 150; i++) {
  const n = Math.floor(r() * 41);
  const modes: Mode[] = ['new', 'copy', 'copy4', 'linked', 'putall'];
  const mode = modes[i % modes.length]!;
  const keys = randomKeys(r, n);
  const arg = Math.floor(r() * (n + 1));
  // Removals (after all puts, as remove_header does) on two cases in three.
  const removed = i % 3 === 0 ? undefined : [...new Set(keys.filter(() => r() < 0.25))];
  add(`random #${i}: ${n} keys, ${mode}${removed ? `, ${removed.length} removed` : ''}`, mode, arg, keys, removed);
}

const hex = (s: string): string => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i).toString(16).padStart(4, '0')).join('');

let javaOrders: string[][] = [];
beforeAll(() => {
  const input = CASES.map((c) => [c.mode, String(c.arg), ...c.keys.map(hex), ...(c.removed ?? []).map((k) => `r${hex(k)}`)].join('\t')).join('\n') + '\n';
  const res = spawnSync('java', [JAVA_PROGRAM], { input, encoding: 'utf8', timeout: 120_000 });
  if (res.status !== 0) throw new Error(`java ${JAVA_PROGRAM} failed (${String(res.status)}): ${res.stderr}${res.error ? String(res.error) : ''}`);
  const lines = res.stdout.split('\n');
  javaOrders = CASES.map((c, i) => {
    const row = lines[i] ?? '';
    return row === '' ? [] : row.split(' ').map((p) => c.keys[Number(p)]!);
  });
}, 120_000);

describe('HashMap iteration order, checked against a real JVM', () => {
  it('ran every case through Java', () => {
    expect(javaOrders).toHaveLength(CASES.length);
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = CASES[i]!;
    expect(tsOrder(c)).toEqual(javaOrders[i]);
    expect(tsOrder(c)).toEqual(javaOrders[i]); // again, from the memo (same key sets recur under other modes)
  });

  const fullCopies = CASES.flatMap((c, i) => (c.mode === 'copy' && c.arg >= c.keys.length && !c.removed ? [[c.name, i] as const] : []));
  it.each(fullCopies)('javaHashMapCopyOrder: %s', (_name, i) => {
    const c = CASES[i]!;
    expect(javaHashMapCopyOrder(javaHashMapOrder(c.keys))).toEqual(javaOrders[i]);
  });
});

describe('HashMap helpers', () => {
  it.each([
    ['', 0], ['a', 97], ['Aa', 2112], ['BB', 2112], ['timestamp', 55126294], ['polygenelubricants', -2147483648],
    ['😀', 1772899], ['ключ', 33309882],
  ])('String.hashCode(%j) = %d', (s, h) => {
    expect(javaStringHashCode(s)).toBe(h);
  });

  it.each([
    [0, 16], [1, 2], [2, 4], [3, 8], [5, 8], [6, 16], [11, 16], [12, 32], [23, 32], [24, 64],
  ])('new HashMap<>(map of %d) allocates %d buckets (JDK 8-18)', (n, table) => {
    expect(javaCopyTableSize(n)).toBe(table);
  });
});

/**
 * Differential test: our parser against java.util.Properties.load(Reader) (UTF-8) on every file of
 * test/fixtures/properties/*.properties. Java runs once for all files (Dump.java, single-file
 * source launch), printing sorted key/value pairs with \u escapes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPropertiesFile } from '../../src/config/properties.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'properties');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.properties'))
  .sort();

interface JavaProps {
  error: string | null;
  props: [string, string][];
}
interface JavaResult extends JavaProps {
  file: string;
  /** Properties.load(InputStream): ISO-8859-1, as Flume 1.11 reads its file. */
  latin1: JavaProps;
}

const java = new Map<string, JavaResult>();

// Seeded random files built from the characters that matter to the grammar, to find cases the
// hand-written corpus misses. Written to a temp dir and sent to the same JVM run.
const FUZZ_COUNT = 1000;
const FUZZ_ALPHABET = ['a', 'b', '=', ':', ' ', '\t', '\f', '\\', '\\', '\n', '\r', '\r\n', '#', '!', 'u', '0', '4', '1', 'é', 'n', 't', '\ufeff'];
function fuzzText(seed: number): string {
  let x = (Math.imul(seed, 2654435761) + 1) >>> 0;
  const rnd = (m: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 16) % m;
  };
  let s = '';
  const len = 5 + rnd(60);
  for (let i = 0; i < len; i++) s += FUZZ_ALPHABET[rnd(FUZZ_ALPHABET.length)];
  return s;
}
const fuzzDir = mkdtempSync(join(tmpdir(), 'props-fuzz-'));
const fuzzFiles: string[] = [];
for (let i = 0; i < FUZZ_COUNT; i++) {
  const f = join(fuzzDir, `fuzz-${i}.properties`);
  writeFileSync(f, fuzzText(i), 'utf8');
  fuzzFiles.push(f);
}

afterAll(() => rmSync(fuzzDir, { recursive: true, force: true }));

async function compare(path: string, result: JavaResult | undefined, encoding: 'utf8' | 'latin1' = 'utf8'): Promise<void> {
  expect(result, `Java printed nothing for ${path}`).toBeDefined();
  const expected: JavaProps | undefined = encoding === 'utf8' ? result : result!.latin1;
  const parsed = await readPropertiesFile(path, { encoding });
  const malformed = parsed.problems.filter((p) => p.code === 'MALFORMED_UNICODE_ESCAPE');
  if (expected!.error === null) {
    const ours = [...parsed.map.entries()].map(([k, e]) => [k, e.value] as [string, string]);
    ours.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    expect(malformed).toEqual([]);
    expect(ours).toEqual(expected!.props);
  } else {
    // Java aborts the load at the first malformed \u; we report it (with file:line) and go on.
    expect(expected!.error).toBe('Malformed \\uxxxx encoding.');
    expect(malformed.length).toBeGreaterThan(0);
    expect(malformed[0]!.file).toBe(path);
    expect(malformed[0]!.line).toBeGreaterThan(0);
    // What Java loaded before it threw = our entries that start before the first bad line.
    const before = new Map<string, string>();
    const badLine = malformed[0]!.line ?? 0;
    for (const e of parsed.entries) if (e.line < badLine) before.set(e.key, e.value);
    expect([...before.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))).toEqual(expected!.props);
  }
}

beforeAll(() => {
  const out = execFileSync('java', ['Dump.java', ...files, ...fuzzFiles], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as JavaResult;
    java.set(r.file, r);
  }
}, 60_000);

describe('properties parser vs java.util.Properties', () => {
  it('has a corpus of at least 35 files', () => {
    expect(files.length).toBeGreaterThanOrEqual(35);
  });

  it.each(files)('%s', async (file) => {
    await compare(join(dir, file), java.get(file));
  });

  it(`matches on ${FUZZ_COUNT} seeded random files`, async () => {
    for (const f of fuzzFiles) await compare(f, java.get(f));
  });

  it('matches Properties.load(InputStream) (ISO-8859-1, Flume 1.11) with encoding latin1', async () => {
    for (const f of files) await compare(join(dir, f), java.get(f), 'latin1');
    for (const f of fuzzFiles.slice(0, 200)) await compare(f, java.get(f), 'latin1');
  });
});

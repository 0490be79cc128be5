import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { profileClf, STRICT_CLF, type ClfProfile } from '../../src/tools/clf-profile.js';
import { generateChunks, JULY_1995_RATE, resolveGenerateOptions } from '../../src/tools/generate.js';
import { SAMPLE_LINES } from '../../src/tools/nasa-catalog.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SAMPLE = path.resolve(here, '../../../shared/data/nasa/NASA_access_log_Jul95.head-124979.txt.gz');

/**
 * The real sample's counts: computed from the .gz when it is present, else the figures published
 * in ../shared/data/nasa/README.md (same definitions).
 */
function realProfile(): Pick<ClfProfile, 'lines' | 'methods' | 'statuses' | 'quirks'> {
  if (existsSync(SAMPLE)) return profileClf(gunzipSync(readFileSync(SAMPLE)), false);
  return {
    lines: 124_979,
    methods: { GET: 124_875, HEAD: 103, POST: 1 },
    statuses: { 200: 112_525, 302: 4_938, 304: 6_904, 403: 5, 404: 607 },
    quirks: {
      dashBytes: 1256, okZeroBytes: 300, noProtocol: 250, moreThan3Parts: 87, spaceRun: 80,
      protocolNotHttp10: 24, extraText: 9, trailingSpace: 9, urlWithoutSlash: 2, nonAscii: 2,
      strictFailures: 87, unparsable: 0,
    },
  };
}

function sha(chunks: Iterable<Buffer>): string {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
}

function linesOf(opts: Parameters<typeof generateChunks>[0]): string[] {
  return Buffer.concat([...generateChunks(opts)]).toString('latin1').split('\n').slice(0, -1);
}

describe('generate: determinism', () => {
  it('gives byte-identical output for the same seed, whatever the chunk size', () => {
    const a = sha(generateChunks({ seed: 42, lines: 150_000 }));
    const b = sha(generateChunks({ seed: 42, lines: 150_000 }));
    const c = sha(generateChunks({ seed: 42, lines: 150_000, chunkBytes: 777 }));
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('gives different output for different seeds (number and string seeds)', () => {
    const hashes = [1, 2, 'nasa', 'nasb'].map((seed) => sha(generateChunks({ seed, lines: 1000 })));
    expect(new Set(hashes).size).toBe(4);
  });

  it('is a prefix-stable stream: N lines are the first N lines of a longer run', () => {
    const short = linesOf({ seed: 9, lines: 5000 });
    const long = linesOf({ seed: 9, lines: 20_000 });
    expect(long.slice(0, 5000)).toEqual(short);
  });
});

describe('generate: size limits', () => {
  it.each([0, 1, 12_345])('writes exactly %i lines, each LF-terminated', (n) => {
    const data = Buffer.concat([...generateChunks({ seed: 3, lines: n })]);
    expect(data.filter((b) => b === 10).length).toBe(n);
    if (n > 0) expect(data[data.length - 1]).toBe(10);
  });

  it.each([1000, 50_000, 3_000_000])('stops at whole lines within %i bytes', (bytes) => {
    const data = Buffer.concat([...generateChunks({ seed: 3, bytes })]);
    expect(data.length).toBeLessThanOrEqual(bytes);
    expect(data.length).toBeGreaterThan(bytes - 400);
    expect(data[data.length - 1]).toBe(10);
  });

  it.each([
    [{ rate: 0 }, /rate must be/],
    [{ lines: -1 }, /lines must be/],
    [{ lines: 1.5 }, /lines must be/],
    [{ start: 'yesterday-ish' }, /start must be a date/],
    [{ utcOffsetMinutes: 5000 }, /utcOffsetMinutes/],
  ])('rejects bad options %o', (opts, message) => {
    expect(() => resolveGenerateOptions(opts)).toThrow(message);
  });
});

describe('generate: shape of the lines', () => {
  const lines = linesOf({ seed: 5, lines: 60_000 });

  it('writes CLF with ordered timestamps in the configured zone, starting at the default start', () => {
    expect(lines[0]).toMatch(/^\S+ - - \[01\/Jul\/1995:00:00:01 -0400\] "GET \S+ HTTP\/1\.0" \d{3} (\d+|-)$/);
    const p = profileClf(Buffer.from(lines.join('\n') + '\n', 'latin1'));
    expect(p.outOfOrder).toBe(0);
    expect(p.quirks.unparsable).toBe(0);
    // Most lines match the strict regex (the rest are the deliberate quirks).
    expect(lines.filter((l) => STRICT_CLF.test(l)).length / lines.length).toBeGreaterThan(0.999);
  });

  it('runs at the requested mean rate of log time (default: the July 1995 mean)', () => {
    const secs = (l: string): number => {
      const m = /\[(\d\d)\/Jul\/1995:(\d\d):(\d\d):(\d\d)/.exec(l)!;
      return ((Number(m[1]) * 24 + Number(m[2])) * 60 + Number(m[3])) * 60 + Number(m[4]);
    };
    const span = secs(lines[lines.length - 1]!) - secs(lines[0]!);
    expect(lines.length / span).toBeGreaterThan(JULY_1995_RATE * 0.95);
    expect(lines.length / span).toBeLessThan(JULY_1995_RATE * 1.05);
    const fast = linesOf({ seed: 5, lines: 10_000, rate: 100, diurnal: false, start: '2024-02-29T23:59:00Z', utcOffsetMinutes: 0 });
    expect(fast[0]).toContain('[29/Feb/2024:23:59:00 +0000]');
    expect(fast[fast.length - 1]).toMatch(/\[01\/Mar\/2024:00:00:(39|40|41) \+0000\]/);
  });

  it('has a skewed host population with many hosts, IPv4 literals among them', () => {
    const p = profileClf(Buffer.from(lines.join('\n') + '\n', 'latin1'));
    expect(p.distinctHosts).toBeGreaterThan(3000);
    expect(p.ipHosts / p.distinctHosts).toBeGreaterThan(0.08);
    expect(p.ipHosts / p.distinctHosts).toBeLessThan(0.2);
    expect(p.topHostShare[1]).toBeGreaterThan(0.005);
    expect(p.topHostShare[100]).toBeGreaterThan(0.1);
    expect(p.topHostShare[100]).toBeLessThan(0.3);
  });

  it('writes clean CLF with no byte >= 0x80 when quirks are off', () => {
    const clean = Buffer.concat([...generateChunks({ seed: 5, lines: 300_000, quirks: false })]);
    const p = profileClf(clean, false);
    expect(p.quirks.strictFailures).toBe(0);
    expect(p.quirks.nonAscii).toBe(0);
    expect(p.quirks.noProtocol).toBe(0);
  });
});

describe('generate: shares match the real July 1995 sample', () => {
  // 20 x the sample's size: every kind the sample has occurs at least 20 times, so a 10 % band
  // is wider than the one-line rounding of the quotas.
  const N = 20 * SAMPLE_LINES;
  const real = realProfile();
  const gen = profileClf(generateChunks({ seed: 2024, lines: N }), false);
  const rows: Array<[string, number, number]> = [
    ...Object.entries(real.methods).map(([k, v]): [string, number, number] => [`method ${k}`, v, gen.methods[k] ?? 0]),
    ...Object.entries(real.statuses).map(([k, v]): [string, number, number] => [`status ${k}`, v, gen.statuses[k] ?? 0]),
    ...Object.entries(real.quirks)
      .filter(([, v]) => v > 0)
      .map(([k, v]): [string, number, number] => [`quirk ${k}`, v, gen.quirks[k as keyof typeof gen.quirks]]),
  ];

  it('generated the requested number of lines', () => {
    expect(gen.lines).toBe(N);
  });

  it.each(rows)('%s: share within 10 %% (relative) of the sample', (_name, realCount, genCount) => {
    const realShare = realCount / real.lines;
    const genShare = genCount / gen.lines;
    expect(Math.abs(genShare / realShare - 1)).toBeLessThanOrEqual(0.1);
  });

  it('has no method the sample lacks and only rare statuses beyond it', () => {
    expect(Object.keys(gen.methods).sort()).toEqual(Object.keys(real.methods).sort());
    const extra = Object.entries(gen.statuses).filter(([k]) => !(k in real.statuses));
    for (const [, count] of extra) expect(count / gen.lines).toBeLessThan(0.0001);
  });
});

/**
 * Small, fast, seedable pseudo-random number generator (sfc32, Chris Doty-Humphrey's "Small Fast
 * Counting" generator) for the data generator. Never Math.random: the same seed must give the same
 * bytes on every run and every machine, so everything here is 32-bit integer arithmetic.
 */

/** Hash a seed (number or string) to four 32-bit words with splitmix32, so nearby seeds diverge. */
function seedWords(seed: number | string): [number, number, number, number] {
  let h = 0x9e3779b9 | 0;
  if (typeof seed === 'number') {
    // Mix both halves of a (possibly non-32-bit) integer seed.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    h = Math.imul(h ^ lo, 0x85ebca6b);
    h = Math.imul(h ^ hi ^ (h >>> 13), 0xc2b2ae35);
  } else {
    for (let i = 0; i < seed.length; i++) {
      h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
    }
  }
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    h = (h + 0x9e3779b9) | 0;
    let z = h;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    z ^= z >>> 15;
    out.push(z | 0);
  }
  return [out[0]!, out[1]!, out[2]!, out[3]!];
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string) {
    [this.a, this.b, this.c, this.d] = seedWords(seed);
    // Discard the first outputs: sfc32 needs a few rounds to mix a fresh state.
    for (let i = 0; i < 15; i++) this.uint32();
  }

  /** Next unsigned 32-bit integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }
}

/** Index into a normalised cumulative distribution (last entry 1) for a uniform u in [0, 1). */
export function searchCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Normalised cumulative distribution of Zipf-Mandelbrot weights 1/(rank+q)^s, rank 0..n-1. */
export function zipfCdf(n: number, q: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    sum += 1 / Math.pow(r + q, s);
    cdf[r] = sum;
  }
  for (let r = 0; r < n; r++) cdf[r] = cdf[r]! / sum;
  cdf[n - 1] = 1;
  return cdf;
}

/** Cumulative-weight table for O(log n) weighted draws. */
export class WeightedTable<T> {
  readonly items: readonly T[];
  private readonly cdf: Float64Array;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    if (entries.length === 0) throw new Error('WeightedTable needs at least one entry');
    this.items = entries.map((e) => e[0]);
    this.cdf = new Float64Array(entries.length);
    let sum = 0;
    entries.forEach((e, i) => {
      sum += e[1];
      this.cdf[i] = sum;
    });
    for (let i = 0; i < this.cdf.length; i++) this.cdf[i] = this.cdf[i]! / sum;
    this.cdf[this.cdf.length - 1] = 1;
  }

  /** Index for a uniform u in [0, 1). */
  indexOf(u: number): number {
    return searchCdf(this.cdf, u);
  }

  draw(rng: Rng): T {
    return this.items[this.indexOf(rng.float())]!;
  }
}

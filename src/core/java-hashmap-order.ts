/**
 * Iteration order of a `java.util.HashMap<String,String>`, so headers print in the order Flume
 * prints them (`HashMap.toString()`: logger sink, header_and_text serializer).
 *
 * Model (OpenJDK 8–18, the JDK 17 that runs Flume 1.11 here):
 * - `String.hashCode()` over UTF-16 code units in 32-bit int arithmetic; spread `h ^ (h >>> 16)`;
 *   bucket = spread & (table size - 1). Iteration walks buckets 0..n-1, each bucket's list front to back.
 * - `new HashMap<>()`: table of 16 allocated at the first put, threshold 12. After a put that makes
 *   size > threshold the table doubles; the split keeps each bucket's relative order, so keys in one
 *   bucket stay in insertion order. Putting a key that is already present keeps its place.
 * - `new HashMap<>(n)`: table `tableSizeFor(n)`.
 * - `new HashMap<>(m)` (what Flume's `EventBuilder.withBody(body, headers)` does): table
 *   `tableSizeFor((int) ((float) size / 0.75f + 1.0f))` (JDK 19+ uses `ceil(size / 0.75)`), filled in
 *   the source map's iteration order. `putAll` into a still empty `new HashMap<>()` sizes it the same way.
 * - A bin that would reach 9 entries while the table is smaller than 64 doubles the table instead
 *   of becoming a tree (modelled exactly). At 64 and above Java turns the bin into a red-black tree,
 *   whose iteration order (root first, later keys after their tree parent) is NOT modelled: such a
 *   bin keeps insertion order here. It takes 9+ header names in one bucket of a table of 64+ entries,
 *   i.e. deliberately colliding names; ordinary header sets never get there.
 */

const DEFAULT_TABLE = 16;
const MAX_TABLE = 1 << 30;
const TREEIFY_BIN = 8; // a bin holding this many entries becomes a tree on the next append
const MIN_TREEIFY_TABLE = 64;

/** `String.hashCode()`: s[0]*31^(n-1) + … + s[n-1] over UTF-16 code units, int overflow. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** `HashMap.hash(key)`: the hash code with its high half folded into the low half. */
export function javaHashMapSpread(s: string): number {
  const h = javaStringHashCode(s);
  return h ^ (h >>> 16);
}

/** `HashMap.tableSizeFor(c)`: the smallest power of two >= c (1 for c <= 1, capped at 2^30). */
export function javaTableSizeFor(c: number): number {
  if (c <= 1) return 1;
  if (c >= MAX_TABLE) return MAX_TABLE;
  let n = 1;
  while (n < c) n *= 2;
  return n;
}

/**
 * Table size of `new HashMap<>(m)` for a source map of `size` entries (JDK 8–18 float arithmetic).
 * An empty source leaves the default lazy table of 16.
 */
export function javaCopyTableSize(size: number): number {
  if (size <= 0) return DEFAULT_TABLE;
  const ft = Math.fround(Math.fround(size / 0.75) + 1);
  return javaTableSizeFor(Math.trunc(ft));
}

/** Threshold for a table: `(int) (size * 0.75f)`. */
function thresholdOf(table: number): number {
  return Math.trunc(table * 0.75);
}

const SPREAD_CACHE = new Map<string, number>();
const SPREAD_CACHE_MAX = 4096;

/** `javaHashMapSpread` memoised for header names, which repeat from event to event. */
function cachedSpread(s: string): number {
  let h = SPREAD_CACHE.get(s);
  if (h === undefined) {
    h = javaHashMapSpread(s);
    if (SPREAD_CACHE.size >= SPREAD_CACHE_MAX) SPREAD_CACHE.clear();
    SPREAD_CACHE.set(s, h);
  }
  return h;
}

function sortByBucket(keys: string[], mask: number): string[] {
  const buckets = keys.map((k) => cachedSpread(k) & mask);
  const idx = keys.map((_, i) => i);
  idx.sort((a, b) => buckets[a]! - buckets[b]! || a - b);
  return idx.map((i) => keys[i]!);
}

/** A step-by-step model of one HashMap<String,?>'s key layout. */
export class JavaHashMapKeys {
  private table: string[][] | null = null;
  private spreads = new Map<string, number>();
  private threshold: number;

  /** `tableSize`: the table size the first put allocates (16 for `new HashMap<>()`). */
  constructor(private tableSize: number = DEFAULT_TABLE) {
    this.threshold = thresholdOf(tableSize);
  }

  get size(): number { return this.spreads.size; }
  /** Current table size (the size the first put will allocate while still empty). */
  get capacity(): number { return this.tableSize; }

  put(key: string): void {
    if (this.spreads.has(key)) return;
    if (this.table === null) this.table = Array.from({ length: this.tableSize }, () => []);
    const h = cachedSpread(key);
    this.spreads.set(key, h);
    const bin = this.table[h & (this.tableSize - 1)]!;
    bin.push(key);
    if (bin.length > TREEIFY_BIN && this.tableSize < MIN_TREEIFY_TABLE) this.resize();
    if (this.spreads.size > this.threshold) this.resize();
  }

  /** Keys in iteration order. */
  keys(): string[] {
    return this.table === null ? [] : this.table.flat();
  }

  private resize(): void {
    if (this.tableSize >= MAX_TABLE) return;
    const old = this.table!;
    const oldSize = this.tableSize;
    this.tableSize = oldSize * 2;
    this.threshold = thresholdOf(this.tableSize);
    const next: string[][] = Array.from({ length: this.tableSize }, () => []);
    for (let j = 0; j < oldSize; j++) {
      for (const k of old[j]!) next[(this.spreads.get(k)! & oldSize) === 0 ? j : j + oldSize]!.push(k);
    }
    this.table = next;
  }
}

/**
 * Iteration order of a HashMap after putting `keys` in this order into a new map whose first put
 * allocates a table of `initialTable` entries (16 = `new HashMap<>()`).
 */
export function javaHashMapOrder(keys: Iterable<string>, initialTable: number = DEFAULT_TABLE): string[] {
  const m = new JavaHashMapKeys(initialTable);
  for (const k of keys) m.put(k);
  return m.keys();
}

/** Iteration order of `new HashMap<>(source)` given the source map's iteration order. */
export function javaHashMapCopyOrder(sourceOrder: readonly string[]): string[] {
  return javaHashMapOrder(sourceOrder, javaCopyTableSize(new Set(sourceOrder).size));
}

/**
 * What is known of how an event's header object was built beyond its current keys: whether Flume
 * builds it with `EventBuilder.withBody(body, headers)` (a copy) rather than by filling the
 * event's own `new HashMap<>()`, and which keys were removed since.
 */
interface HeaderHistory {
  /** The keys the copied source map held, in the object's order at the time of the copy. */
  copiedKeys?: string[];
  /** Table size of the source map (16 = `new HashMap<>()`), or 0 for an insertion-ordered source. */
  sourceTable?: number;
  /** Keys removed from the map (a HashMap's table never shrinks, so they still count). */
  removed?: string[];
}

const HISTORY = new WeakMap<object, HeaderHistory>();

function historyOf(headers: object): HeaderHistory {
  let h = HISTORY.get(headers);
  if (h === undefined) HISTORY.set(headers, (h = {}));
  return h;
}

/**
 * Records that `headers` stands for Flume's `new HashMap<>(source)`: its current keys, in the
 * object's order, were put into `source` (a HashMap whose first put allocates `sourceTable`
 * entries, or 0 for an insertion-ordered map such as Gson's), which was then copied; keys added to
 * `headers` later are puts into the copy. Without a mark, headers stand for puts into the event's
 * own `new HashMap<>()`. Returns `headers`.
 */
export function markHeadersCopied<T extends Record<string, string>>(headers: T, sourceTable: number = DEFAULT_TABLE): T {
  const h = historyOf(headers);
  h.copiedKeys = Object.keys(headers);
  h.sourceTable = sourceTable;
  return headers;
}

/** Deletes a header the way `Map.remove` does in Flume: the key no longer prints, but the table keeps its size. */
export function removeHeader(headers: Record<string, string>, key: string): void {
  if (!Object.prototype.hasOwnProperty.call(headers, key)) return;
  delete headers[key];
  (historyOf(headers).removed ??= []).push(key);
}

/**
 * Header names in the order Flume's `HashMap` would iterate them. Approximations: removals (made
 * with `removeHeader`) are taken to follow all puts; a plain `delete` is not seen, so a map that
 * had grown before it is recomputed with a smaller table; integer-like names ("0", "42") are
 * enumerated first by JavaScript objects, so their insertion order is lost.
 */
export function javaHeaderOrder(headers: Record<string, string>): readonly string[] {
  const keys = Object.keys(headers);
  const h = HISTORY.get(headers);
  if (h === undefined) {
    if (keys.length < 2) return keys;
    // Up to 8 distinct keys in a new HashMap<>(): the table stays at 16 and no bin can overflow,
    // so the order is the insertion order stably sorted by bucket.
    if (keys.length <= 8) return sortByBucket(keys, DEFAULT_TABLE - 1);
  }
  // The same header sets come again and again: memoise on everything the order depends on.
  let sig = h === undefined ? 'n' : h.copiedKeys === undefined ? 'r' : `c${h.sourceTable ?? DEFAULT_TABLE}${signature(h.copiedKeys)}`;
  sig += `|${signature(keys)}`;
  if (h?.removed !== undefined) sig += `|${signature(h.removed)}`;
  let order = ORDER_CACHE.get(sig);
  if (order === undefined) {
    order = computeOrder(headers, keys, h);
    if (ORDER_CACHE.size >= ORDER_CACHE_MAX) ORDER_CACHE.clear();
    ORDER_CACHE.set(sig, order);
  }
  return order;
}

const ORDER_CACHE = new Map<string, readonly string[]>();
const ORDER_CACHE_MAX = 1024;

/** An unambiguous text for a key list (names may contain any character). */
function signature(keys: readonly string[]): string {
  let s = '';
  for (const k of keys) s += `${k.length}:${k}`;
  return s;
}

function computeOrder(headers: Record<string, string>, keys: string[], h: HeaderHistory | undefined): readonly string[] {
  let m: JavaHashMapKeys;
  if (h?.copiedKeys !== undefined) {
    const table = h.sourceTable ?? DEFAULT_TABLE;
    const source = table === 0 ? h.copiedKeys : javaHashMapOrder(h.copiedKeys, table);
    m = new JavaHashMapKeys(javaCopyTableSize(new Set(h.copiedKeys).size));
    for (const k of source) m.put(k);
  } else {
    m = new JavaHashMapKeys();
  }
  for (const k of keys) m.put(k); // keys already in the map keep their place
  for (const k of h?.removed ?? []) m.put(k); // counted for the table size, filtered out below
  const out = m.keys();
  return out.length === keys.length ? out : out.filter((k) => Object.prototype.hasOwnProperty.call(headers, k));
}

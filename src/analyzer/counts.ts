/**
 * The cells of one window of one query: integer key -> count, in an open-addressing hash table
 * over one Float64Array with the slots interleaved as [key, count, batch] (no object per cell,
 * and one probe touches one cache line). Keys are dictionary ids or integer field values (-1
 * stands for null), never KEY_EMPTY. `batch` is the last batch that changed the cell, for the
 * update output mode.
 */
export const KEY_EMPTY = -2147483648;

const STRIDE = 3;

export class CountTable {
  private d: Float64Array;
  /** Number of slots (capacity); slot s is valid for 0 <= s < slots. */
  slots: number;
  /** Number of keys held. */
  size = 0;
  private mask: number;

  constructor(capacity = 8) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.d = CountTable.empty(n);
    this.slots = n;
    this.mask = n - 1;
  }

  private static empty(n: number): Float64Array {
    const d = new Float64Array(n * STRIDE);
    for (let i = 0; i < d.length; i += STRIDE) d[i] = KEY_EMPTY;
    return d;
  }

  keyAt(s: number): number {
    return this.d[s * STRIDE]!;
  }
  countAt(s: number): number {
    return this.d[s * STRIDE + 1]!;
  }
  batchAt(s: number): number {
    return this.d[s * STRIDE + 2]!;
  }
  /** Adds count to the cell in slot s (from find) and stamps it with batch. */
  bump(s: number, count: number, batch: number): void {
    const i = s * STRIDE;
    this.d[i + 1] = this.d[i + 1]! + count;
    this.d[i + 2] = batch;
  }

  /** Slot of key, or the bitwise complement of the free slot where it would go. */
  find(key: number): number {
    const d = this.d;
    const mask = this.mask;
    const h = Math.imul(key, 0x9e3779b1);
    let s = (h ^ (h >>> 16)) & mask;
    for (;;) {
      const k = d[s * STRIDE]!;
      if (k === key) return s;
      if (k === KEY_EMPTY) return ~s;
      s = (s + 1) & mask;
    }
  }

  /** Inserts key at the free slot `~found` (from find) with count and batch. */
  insertAt(freeSlot: number, key: number, count: number, batch: number): void {
    const i = freeSlot * STRIDE;
    this.d[i] = key;
    this.d[i + 1] = count;
    this.d[i + 2] = batch;
    this.size++;
    if (this.size * 2 > this.mask) this.rehash((this.mask + 1) * 2, null);
  }

  /** Adds count to key (inserting it), without a cap. */
  add(key: number, count: number, batch: number): void {
    const s = this.find(key);
    if (s >= 0) this.bump(s, count, batch);
    else this.insertAt(~s, key, count, batch);
  }

  /** Replaces every key k >= 0 by remap[k] (after a dictionary compaction). */
  remapKeys(remap: Int32Array): void {
    this.rehash(this.slots, remap);
  }

  private rehash(n: number, remap: Int32Array | null): void {
    const old = this.d;
    this.d = CountTable.empty(n);
    this.slots = n;
    this.mask = n - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += STRIDE) {
      const k = old[i]!;
      if (k === KEY_EMPTY) continue;
      const nk = remap !== null && k >= 0 ? remap[k]! : k;
      const j = ~this.find(nk) * STRIDE;
      this.d[j] = nk;
      this.d[j + 1] = old[i + 1]!;
      this.d[j + 2] = old[i + 2]!;
      this.size++;
    }
  }
}

/**
 * The cells of one window of one query: integer key -> count, in an open-addressing hash table
 * over typed arrays (no object per cell). Keys are dictionary ids or integer field values
 * (-1 stands for null), never KEY_EMPTY. Each cell also records the last batch that changed it,
 * for the update output mode.
 */
export const KEY_EMPTY = -2147483648;

export class CountTable {
  keys: Int32Array;
  counts: Float64Array;
  batch: Int32Array;
  size = 0;
  private mask: number;

  constructor(capacity = 16) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.keys = new Int32Array(n).fill(KEY_EMPTY);
    this.counts = new Float64Array(n);
    this.batch = new Int32Array(n);
    this.mask = n - 1;
  }

  /** Slot of key, or the bitwise complement of the free slot where it would go. */
  find(key: number): number {
    const keys = this.keys;
    const mask = this.mask;
    const h = Math.imul(key, 0x9e3779b1);
    let s = (h ^ (h >>> 16)) & mask;
    for (;;) {
      const k = keys[s]!;
      if (k === key) return s;
      if (k === KEY_EMPTY) return ~s;
      s = (s + 1) & mask;
    }
  }

  /** Inserts key at the free slot `~found` (from find) with count and batch. */
  insertAt(freeSlot: number, key: number, count: number, batch: number): void {
    this.keys[freeSlot] = key;
    this.counts[freeSlot] = count;
    this.batch[freeSlot] = batch;
    this.size++;
    if (this.size * 2 > this.mask) this.resize((this.mask + 1) * 2);
  }

  /** Adds count to key (inserting it), without a cap. */
  add(key: number, count: number, batch: number): void {
    const s = this.find(key);
    if (s >= 0) {
      this.counts[s] = this.counts[s]! + count;
      this.batch[s] = batch;
    } else this.insertAt(~s, key, count, batch);
  }

  private resize(n: number): void {
    const { keys, counts, batch } = this;
    this.keys = new Int32Array(n).fill(KEY_EMPTY);
    this.counts = new Float64Array(n);
    this.batch = new Int32Array(n);
    this.mask = n - 1;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== KEY_EMPTY) {
        const s = ~this.find(keys[i]!);
        this.keys[s] = keys[i]!;
        this.counts[s] = counts[i]!;
        this.batch[s] = batch[i]!;
        this.size++;
      }
    }
  }

  /** Replaces every key k by remap[k] (keys >= 0 only; used after a dictionary compaction). */
  remapKeys(remap: Int32Array): void {
    const { keys, counts, batch } = this;
    this.keys = new Int32Array(keys.length).fill(KEY_EMPTY);
    this.counts = new Float64Array(keys.length);
    this.batch = new Int32Array(keys.length);
    this.size = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k === KEY_EMPTY) continue;
      const nk = k >= 0 ? remap[k]! : k;
      const s = ~this.find(nk);
      this.keys[s] = nk;
      this.counts[s] = counts[i]!;
      this.batch[s] = batch[i]!;
      this.size++;
    }
  }
}

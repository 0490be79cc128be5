/**
 * Dictionaries that turn group-by values into small integer ids, so that the window state is
 * keyed by integers (see engine.ts):
 *
 * - ByteDict: UTF-8 byte spans -> id, with its own open-addressing hash table over the bytes (the
 *   hash is computed over the span, the match is a byte compare; no string is made for a value
 *   already seen). Distinct byte sequences that decode to the same string (invalid UTF-8 becomes
 *   U+FFFD) share one id, so a value counts once, as in Spark, which groups decoded strings.
 * - TupleDict: a list of values (a multi-field group-by) -> id.
 *
 * Both can be compacted: ids no window refers to any more are dropped and the others renumbered,
 * which keeps memory flat on an endless stream with ever-new values (client IPs).
 */
import type { DimValue } from './query.js';
import { hashBytes } from './scan.js';

const EMPTY = -1;
// Spark keeps a leading U+FEFF as a character, so the decoder must not drop it.
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Bytes of an entry's header in the arena: length, id, hash (3 int32). */
const HEAD = 12;

export class ByteDict {
  /** id -> value. */
  values: string[] = [];
  private byString = new Map<string, number>();
  /**
   * Entries (one per distinct byte sequence), each at a 4-byte aligned offset of the arena:
   * int32 length, int32 id, int32 hash, then the bytes. A lookup reads one slot and then one
   * place in the arena, where the header and the bytes sit together.
   */
  private arena: Uint8Array = new Uint8Array(4096);
  private arena32: Int32Array = new Int32Array(this.arena.buffer);
  private arenaUsed = 0;
  /** Arena offset of each entry, in insertion order (for rehashing and compaction only). */
  private offs: Int32Array = new Int32Array(64);
  private entries = 0;
  /** Open addressing, 2 ints per slot: the entry's hash and its arena offset, or EMPTY. */
  private slots: Int32Array = new Int32Array(2 * 128).fill(EMPTY);
  private mask = 127;
  // The last value looked up (consecutive log lines often share a client or a method): a repeat
  // costs one byte compare and no probe.
  private lastHash = 0;
  private lastLen = -1;
  private lastOff = 0;
  private lastId = 0;

  get size(): number {
    return this.values.length;
  }

  /** Id of the bytes b[from, to). */
  intern(b: Uint8Array, from: number, to: number): number {
    return this.internHashed(b, from, to, hashBytes(b, from, to));
  }

  /** intern() when the caller has the span's hash (scan.ts hashes runs while it finds them). */
  internHashed(b: Uint8Array, from: number, to: number, h: number): number {
    const len = to - from;
    if (h === this.lastHash && len === this.lastLen && this.equal(b, from, len, this.lastOff + HEAD)) return this.lastId;
    const slots = this.slots;
    const mask = this.mask;
    let s = h & mask;
    for (;;) {
      const o = slots[2 * s + 1]!;
      if (o === EMPTY) break;
      if (slots[2 * s] === h) {
        const a32 = this.arena32;
        if (a32[o >> 2] === len && this.equal(b, from, len, o + HEAD)) {
          this.lastHash = h;
          this.lastLen = len;
          this.lastOff = o;
          return (this.lastId = a32[(o >> 2) + 1]!);
        }
      }
      s = (s + 1) & mask;
    }
    // New byte sequence: decode it, and share the id of an equal string.
    const str = UTF8.decode(b.subarray(from, to));
    let id = this.byString.get(str);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(str);
      this.byString.set(str, id);
    }
    this.addEntry(h, b, from, to, id, s);
    return id;
  }

  /** Does b[from, from+len) equal the arena bytes at off? */
  private equal(b: Uint8Array, from: number, len: number, off: number): boolean {
    const a = this.arena;
    for (let k = 0; k < len; k++) if (a[off + k] !== b[from + k]) return false;
    return true;
  }

  /** Id of a string value (merges, checkpoints). */
  internString(v: string): number {
    const id = this.byString.get(v);
    if (id !== undefined) return id;
    const bytes = Buffer.from(v, 'utf8');
    return this.intern(bytes, 0, bytes.length);
  }

  private addEntry(h: number, b: Uint8Array, from: number, to: number, id: number, slot: number): void {
    const len = to - from;
    const o = this.arenaUsed;
    const need = o + HEAD + len;
    if (need > this.arena.length) {
      let n = this.arena.length * 2;
      while (n < need) n *= 2;
      const a = new Uint8Array(n);
      a.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = a;
      this.arena32 = new Int32Array(a.buffer);
    }
    this.arena32[o >> 2] = len;
    this.arena32[(o >> 2) + 1] = id;
    this.arena32[(o >> 2) + 2] = h;
    this.arena.set(b.subarray(from, to), o + HEAD);
    this.arenaUsed = (need + 3) & ~3;
    const e = this.entries++;
    if (e >= this.offs.length) this.offs = grow(this.offs, this.offs.length * 2);
    this.offs[e] = o;
    this.slots[2 * slot] = h;
    this.slots[2 * slot + 1] = o;
    if (this.entries * 2 > this.mask) this.rehash((this.mask + 1) * 2);
  }

  private rehash(size: number): void {
    const slots = new Int32Array(2 * size).fill(EMPTY);
    const mask = size - 1;
    for (let e = 0; e < this.entries; e++) {
      const o = this.offs[e]!;
      const h = this.arena32[(o >> 2) + 2]!;
      let s = h & mask;
      while (slots[2 * s + 1] !== EMPTY) s = (s + 1) & mask;
      slots[2 * s] = h;
      slots[2 * s + 1] = o;
    }
    this.slots = slots;
    this.mask = mask;
  }

  /**
   * Keeps only the ids for which live[id] is non-zero, renumbered in order; returns old id -> new
   * id (-1 for a dropped one).
   */
  compact(live: Uint8Array): Int32Array {
    const remap = new Int32Array(this.values.length).fill(-1);
    const values: string[] = [];
    for (let id = 0; id < this.values.length; id++) {
      if (live[id]) {
        remap[id] = values.length;
        values.push(this.values[id]!);
      }
    }
    const old = { offs: this.offs, arena: this.arena, arena32: this.arena32, n: this.entries };
    this.lastLen = -1;
    this.values = values;
    this.byString = new Map(values.map((v, i) => [v, i]));
    this.offs = new Int32Array(64);
    this.entries = 0;
    this.arena = new Uint8Array(4096);
    this.arena32 = new Int32Array(this.arena.buffer);
    this.arenaUsed = 0;
    let size = 128;
    while (size < old.n * 2) size *= 2;
    this.slots = new Int32Array(2 * size).fill(EMPTY);
    this.mask = size - 1;
    for (let e = 0; e < old.n; e++) {
      const o = old.offs[e]!;
      const nid = remap[old.arena32[(o >> 2) + 1]!]!;
      if (nid < 0) continue;
      const h = old.arena32[(o >> 2) + 2]!;
      let s = h & this.mask;
      while (this.slots[2 * s + 1] !== EMPTY) s = (s + 1) & this.mask;
      this.addEntry(h, old.arena, o + HEAD, o + HEAD + old.arena32[o >> 2]!, nid, s);
    }
    return remap;
  }
}

function grow(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

/** Multi-field keys: the list of values -> id. */
export class TupleDict {
  values: DimValue[][] = [];
  private byKey = new Map<string, number>();

  get size(): number {
    return this.values.length;
  }

  intern(dims: DimValue[]): number {
    const k = tupleKey(dims);
    let id = this.byKey.get(k);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(dims.slice());
      this.byKey.set(k, id);
    }
    return id;
  }

  compact(live: Uint8Array): Int32Array {
    const remap = new Int32Array(this.values.length).fill(-1);
    const values: DimValue[][] = [];
    for (let id = 0; id < this.values.length; id++) {
      if (live[id]) {
        remap[id] = values.length;
        values.push(this.values[id]!);
      }
    }
    this.values = values;
    this.byKey = new Map(values.map((v, i) => [tupleKey(v), i]));
    return remap;
  }
}

function tupleKey(dims: readonly DimValue[]): string {
  let k = '';
  for (const v of dims) k += v === null ? '\u0001' : typeof v === 'number' ? 'n' + v + '\u0000' : 's' + v + '\u0000';
  return k;
}

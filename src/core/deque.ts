/** Growable ring-buffer deque: O(1) push at tail, shift at head, unshift at head. */
export class Deque<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private len = 0;
  private mask: number;

  constructor(initial = 1024) {
    let cap = 16;
    while (cap < initial) cap <<= 1;
    this.buf = new Array<T | undefined>(cap);
    this.mask = cap - 1;
  }
  get length(): number { return this.len; }
  push(v: T): void {
    if (this.len === this.buf.length) this.grow();
    this.buf[(this.head + this.len) & this.mask] = v;
    this.len++;
  }
  shift(): T | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.len--;
    return v;
  }
  unshift(v: T): void {
    if (this.len === this.buf.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = v;
    this.len++;
  }
  peek(): T | undefined { return this.len === 0 ? undefined : this.buf[this.head]; }
  clear(): void { this.buf.fill(undefined); this.head = 0; this.len = 0; }
  private grow(): void {
    const old = this.buf;
    const n = old.length * 2;
    const nb = new Array<T | undefined>(n);
    for (let i = 0; i < this.len; i++) nb[i] = old[(this.head + i) & this.mask];
    this.buf = nb;
    this.head = 0;
    this.mask = n - 1;
  }
}

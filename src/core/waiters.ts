/** A set of one-shot waiters resolved by `wake()` or by their own timeout. */
export class Waiters {
  private list: Array<() => void> = [];
  get size(): number { return this.list.length; }
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let done = false;
      const fire = (): void => {
        if (done) return;
        done = true;
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(fire, Math.max(0, ms));
      this.list.push(fire);
    });
  }
  wake(): void {
    if (this.list.length === 0) return;
    const l = this.list;
    this.list = [];
    for (const f of l) f();
  }
}

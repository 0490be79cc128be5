/**
 * Terminal output of the runner: one redrawn status line on a TTY (plain lines every few
 * seconds otherwise), and messages printed above it.
 */
export class StatusLine {
  private drawn = false;
  private lastPlain = 0;
  private current = '';
  constructor(private readonly out: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean; columns?: number }, private readonly plainEveryMs = 5000) {}

  get tty(): boolean { return this.out.isTTY === true; }

  /** A line of output above the status line. */
  print(text: string): void {
    this.clear();
    this.out.write(text.endsWith('\n') ? text : text + '\n');
    if (this.tty && this.current) this.draw();
  }

  set(text: string, force = false): void {
    this.current = text;
    if (this.tty) { this.draw(); return; }
    const now = Date.now();
    if (force || now - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = now;
      this.out.write(`${text}\n`);
    }
  }

  private draw(): void {
    const w = this.out.columns !== undefined && this.out.columns > 0 ? this.out.columns : 120;
    this.out.write(`\r${this.current.slice(0, Math.max(20, w - 1))}\x1b[K`);
    this.drawn = true;
  }

  clear(): void {
    if (this.tty && this.drawn) { this.out.write('\r\x1b[K'); this.drawn = false; }
  }

  done(): void {
    this.clear();
    this.current = '';
  }
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtSecs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

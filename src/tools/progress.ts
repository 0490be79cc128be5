/**
 * Progress display for replay: a redrawn bar on a terminal, plain periodic lines otherwise, and
 * the end-of-run summary.
 */
import type { ReplayProgress, ReplaySummary } from './replay.js';
import { clock, humanBytes, thousands } from './units.js';

/** Share done (0..1) when it can be known: against --limit, else against the input's size. */
export function fractionDone(p: ReplayProgress): number | undefined {
  const done = p.ackMode ? p.acked + p.rejected : p.sent;
  if (p.limit !== undefined && p.limit > 0) return Math.min(1, done / p.limit);
  if (p.totalBytes !== undefined && p.totalBytes > 0 && p.bytesRead > 0 && p.linesRead > 0) {
    // Lines in the whole input, estimated from the lines in the bytes read so far (the input is
    // read ahead of sending, so bytes alone would run ahead of the replay).
    const totalLines = (p.linesRead * p.totalBytes) / p.bytesRead;
    return Math.min(1, done / totalLines);
  }
  return undefined;
}

/** Computes the recent rate from successive snapshots (over about the last 5 s). */
export class RateMeter {
  private readonly points: Array<[number, number]> = [];
  rate(p: ReplayProgress): number {
    const done = p.ackMode ? p.acked : p.sent;
    this.points.push([p.elapsedMs, done]);
    while (this.points.length > 2 && p.elapsedMs - this.points[0]![0] > 5000) this.points.shift();
    const [t0, d0] = this.points.length > 1 ? this.points[0]! : [0, 0];
    const dt = (p.elapsedMs - t0) / 1000;
    return dt > 0 ? (done - d0) / dt : 0;
  }
}

/** One progress line; with `bar`, a [###...] bar sized to `width` columns. */
export function progressText(p: ReplayProgress, rate: number, width: number, bar: boolean): string {
  const f = fractionDone(p);
  const done = p.ackMode ? p.acked : p.sent;
  const parts: string[] = [];
  let head = '';
  if (f !== undefined) {
    const barWidth = Math.max(10, Math.min(30, width - 90));
    const fill = Math.round(f * barWidth);
    head = `${bar ? `[${'#'.repeat(fill)}${'.'.repeat(barWidth - fill)}] ` : ''}${(f * 100).toFixed(1).padStart(bar ? 5 : 0)}% `;
  }
  parts.push(`${thousands(done)} lines ${p.ackMode ? 'acked' : 'sent'}`);
  parts.push(`${thousands(rate)} lines/s`);
  if (f !== undefined && f > 0 && rate > 0) {
    const elapsed = p.elapsedMs / 1000;
    parts.push(`ETA ${clock((elapsed / f) * (1 - f))}`);
  }
  if (p.ackMode && p.inFlight > 0) parts.push(`${thousands(p.inFlight)} in flight`);
  if (p.failed > 0) parts.push(`${thousands(p.failed)} FAILED`);
  if (p.rejected > 0) parts.push(`${thousands(p.rejected)} rejected`);
  if (p.reconnects > 0) parts.push(`${p.reconnects} reconnects`);
  return head + parts.join(', ');
}

export function summaryText(s: ReplaySummary): string {
  const secs = s.elapsedMs / 1000;
  const rows: Array<[string, string]> = [
    ['input', `${s.input}${s.totalBytes !== undefined ? ` (${humanBytes(s.totalBytes)})` : ''}`],
    ['target', s.target],
    ['lines read', thousands(s.linesRead)],
    ['lines sent', `${thousands(s.sent)}${s.resent > 0 ? ` (${thousands(s.resent)} of them resent)` : ''}`],
    ['acknowledged', s.ackMode ? thousands(s.acked) : 'not awaited (--no-ack)'],
    ['FAILED replies', thousands(s.failed)],
    ['rejected', `${thousands(s.rejected)}${s.rejected > 0 ? ' (too long for the source; not delivered)' : ''}`],
    ['reconnects', String(s.reconnects)],
    ['elapsed', `${secs.toFixed(secs < 10 ? 2 : 1)} s`],
    ['rate', `${thousands(s.linesPerSecond)} lines/s`],
    ['result', s.complete ? 'complete' : s.aborted ? 'interrupted' : 'incomplete'],
  ];
  return `replay summary\n${rows.map(([k, v]) => `  ${k.padEnd(15)}${v}`).join('\n')}\n`;
}

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Renders progress to `out` (normally stderr): on a TTY one redrawn line, otherwise a plain line
 * every `plainEveryMs`. Notices are printed on their own lines.
 */
export class ProgressRenderer {
  private readonly meter = new RateMeter();
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly out: ProgressOutput,
    private readonly plainEveryMs: number,
  ) {}

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  update(p: ReplayProgress): void {
    const rate = this.meter.rate(p);
    if (this.tty) {
      const width = this.out.columns !== undefined && this.out.columns > 0 ? this.out.columns : 100;
      this.out.write(`\r${progressText(p, rate, width, true).slice(0, Math.max(20, width - 1))}\x1b[K`);
      this.drawn = true;
    } else if (p.elapsedMs - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = p.elapsedMs;
      this.out.write(`tsagent replay: ${progressText(p, rate, 0, false)}\n`);
    }
  }

  notice(message: string): void {
    this.clear();
    this.out.write(`tsagent replay: ${message}\n`);
  }

  /** Remove the bar (before the summary or an error). */
  clear(): void {
    if (this.tty && this.drawn) {
      this.out.write('\r\x1b[K');
      this.drawn = false;
    }
  }
}

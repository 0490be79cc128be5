import { describe, expect, it } from 'vitest';
import { fractionDone, ProgressRenderer, progressText, summaryText } from '../../src/tools/progress.js';
import type { ReplayProgress, ReplaySummary } from '../../src/tools/replay.js';
import { clock, humanBytes, parseSize, thousands } from '../../src/tools/units.js';

function progress(over: Partial<ReplayProgress> = {}): ReplayProgress {
  return {
    linesRead: 1000, sent: 600, acked: 500, failed: 0, rejected: 0, resent: 0, reconnects: 0, inFlight: 100,
    bytesRead: 50_000, totalBytes: 100_000, elapsedMs: 10_000, ackMode: true, limit: undefined, ...over,
  };
}

describe('progress', () => {
  it.each<[string, Partial<ReplayProgress>, number | undefined]>([
    ['estimates the total lines from the bytes read so far', {}, 0.25],
    ['uses the limit when given', { limit: 2000 }, 0.25],
    ['counts sent lines without acks', { ackMode: false, limit: 1200 }, 0.5],
    ['is unknown for stdin', { totalBytes: undefined }, undefined],
    ['is 1 at the end', { acked: 1000, bytesRead: 100_000 }, 1],
  ])('fractionDone %s', (_n, over, f) => {
    expect(fractionDone(progress(over))).toBe(f);
  });

  it('formats a bar with percent, rate, ETA, in-flight lines and problems', () => {
    const text = progressText(progress({ failed: 3, reconnects: 1 }), 50, 120, true);
    expect(text).toBe('[########......................]  25.0% 500 lines acked, 50 lines/s, ETA 0:30, 100 in flight, 3 FAILED, 1 reconnects');
    expect(progressText(progress({ totalBytes: undefined, inFlight: 0 }), 50, 0, false)).toBe('500 lines acked, 50 lines/s');
  });

  it('redraws one line on a terminal and clears it before notices', () => {
    const out: string[] = [];
    const r = new ProgressRenderer({ write: (t: string) => out.push(t), isTTY: true, columns: 80 }, 5000);
    r.update(progress());
    r.notice('reconnected');
    expect(out[0]).toMatch(/^\r.*500 lines acked.*\x1b\[K$/);
    expect(out.slice(1)).toEqual(['\r\x1b[K', 'tsagent replay: reconnected\n']);
  });

  it('prints plain lines at most every interval when not a terminal', () => {
    const out: string[] = [];
    const r = new ProgressRenderer({ write: (t: string) => out.push(t) }, 5000);
    for (const t of [1000, 4000, 5000, 6000, 10_000]) r.update(progress({ elapsedMs: t }));
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^tsagent replay: 25\.0% 500 lines acked, [\d,]+ lines\/s/);
  });

  it('writes a summary table', () => {
    const s: ReplaySummary = { ...progress({ inFlight: 0, resent: 7 }), input: 'a.log', target: 'localhost:9999', complete: false, aborted: true, linesPerSecond: 50 };
    const text = summaryText(s);
    expect(text).toContain('  input          a.log (97.7 KB)\n');
    expect(text).toContain('  lines sent     600 (7 of them resent)\n');
    expect(text).toContain('  result         interrupted\n');
  });

  it.each<[string, number | undefined]>([['1048576', 1048576], ['500k', 512_000], ['100MB', 104_857_600], ['1.5GiB', 1_610_612_736], ['1x', undefined], ['', undefined]])(
    'parseSize(%j) = %s',
    (text, n) => expect(parseSize(text)).toBe(n),
  );

  it('formats numbers, durations and sizes', () => {
    expect(thousands(1234567.4)).toBe('1,234,567');
    expect(clock(3723)).toBe('1:02:03');
    expect(clock(65)).toBe('1:05');
    expect(clock(Infinity)).toBe('--:--');
    expect(humanBytes(512)).toBe('512 B');
    expect(humanBytes(13_804_256)).toBe('13.2 MB');
  });
});

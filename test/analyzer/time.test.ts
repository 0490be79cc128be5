import { describe, expect, it } from 'vitest';
import { clfEpochAt, parseClfTimestamp, parseDuration, TimestampFormatter } from '../../src/analyzer/time.js';

describe('parseClfTimestamp (to_timestamp(ts, "dd/MMM/yyyy:HH:mm:ss Z"))', () => {
  it.each([
    ['01/Jul/1995:00:00:01 -0400', Date.UTC(1995, 6, 1, 4, 0, 1)],
    ['01/jul/1995:00:00:01 -0400', Date.UTC(1995, 6, 1, 4, 0, 1)],
    ['01/JUL/1995:00:00:01 +0000', Date.UTC(1995, 6, 1, 0, 0, 1)],
    ['31/Dec/1999:23:59:59 +0130', Date.UTC(1999, 11, 31, 22, 29, 59)],
    ['29/Feb/1996:12:00:00 +0000', Date.UTC(1996, 1, 29, 12)],
    ['29/Feb/1995:12:00:00 +0000', null],
    ['31/Apr/1995:12:00:00 +0000', null],
    ['00/Jul/1995:00:00:01 -0400', null],
    ['01/Jul/1995:24:00:01 -0400', null],
    ['01/Jul/1995:00:60:01 -0400', null],
    ['01/Jul/1995:00:00:60 -0400', null],
    ['01/Jux/1995:00:00:01 -0400', null],
    ['01/Jul/1995:00:00:01 -1900', null],
    ['01/Jul/1995:00:00:01 +1800', Date.UTC(1995, 5, 30, 6, 0, 1)],
    ['01/Jul/1995:00:00:01 +0060', null],
    ['', null],
  ])('%j -> %s', (ts, want) => {
    expect(parseClfTimestamp(ts)).toBe(want);
  });
  it('reads a timestamp in place and agrees with Date.UTC over 1600-2400', () => {
    const M = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    let seed = 99;
    for (let k = 0; k < 20_000; k++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const ms = Date.UTC(1600, 0, 1) + (seed / 2 ** 32) * (Date.UTC(2400, 0, 1) - Date.UTC(1600, 0, 1));
      const d = new Date(Math.floor(ms / 1000) * 1000);
      const ts = `${p(d.getUTCDate())}/${M[d.getUTCMonth()]}/${p(d.getUTCFullYear(), 4)}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
      expect(clfEpochAt('x[' + ts + ']', 2), ts).toBe(d.getTime());
    }
  });
});

describe('parseDuration', () => {
  it.each([
    ['60s', 60_000], ['60 seconds', 60_000], ['1 minute', 60_000], ['1m30s', 90_000], ['500ms', 500],
    ['60000', 60_000], ['2h', 7_200_000], ['1 day', 86_400_000], ['0s', 0], ['abc', null], ['10 parsecs', null], ['', null],
  ])('%j -> %s', (t, want) => {
    expect(parseDuration(t)).toBe(want);
  });
});

describe('TimestampFormatter (Spark cast(timestamp as string))', () => {
  it.each([
    ['UTC', Date.UTC(2024, 0, 1, 10, 1, 0), '2024-01-01 10:01:00'],
    ['UTC', Date.UTC(2024, 0, 1, 10, 1, 0, 120), '2024-01-01 10:01:00.12'],
    ['UTC', Date.UTC(2024, 0, 1, 10, 1, 0, 5), '2024-01-01 10:01:00.005'],
    ['-04:00', Date.UTC(1995, 6, 1, 4, 0, 0), '1995-07-01 00:00:00'],
    ['America/New_York', Date.UTC(1995, 6, 1, 4, 0, 0), '1995-07-01 00:00:00'],
    ['Asia/Kolkata', Date.UTC(1995, 6, 1, 4, 0, 0), '1995-07-01 09:30:00'],
  ])('%s %s -> %s', (zone, ms, want) => {
    expect(new TimestampFormatter(zone).format(ms)).toBe(want);
  });
  it('rejects unknown zones', () => {
    expect(TimestampFormatter.isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(TimestampFormatter.isValidTimeZone('Europe/Paris')).toBe(true);
  });
});

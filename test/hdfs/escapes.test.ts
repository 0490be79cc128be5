import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BAD_TS_MSG, EscapeTemplate, MISSING_TS_MSG, escapeString, type EscapeOptions } from '../../src/hdfs/escapes.js';

// Golden values produced by Java 17's SimpleDateFormat (Locale.ENGLISH) with the patterns of
// Flume's BucketPath, for "<epoch ms> <zone id>" (Mars/Base is unknown: Java uses GMT).
const GOLDEN: Array<[string, string]> = [
  ['1700000000123 UTC', 'a=Tue | A=Tuesday | b=Nov | B=November | c=Tue Nov 14 22:13:20 2023 | d=14 | e=14 | D=11/14/23 | H=22 | I=10 | j=318 | k=22 | l=10 | m=11 | n=11 | M=13 | p=PM | S=20 | y=23 | Y=2023 | z=+0000'],
  ['1700000000123 Asia/Kolkata', 'a=Wed | A=Wednesday | b=Nov | B=November | c=Wed Nov 15 03:43:20 2023 | d=15 | e=15 | D=11/15/23 | H=03 | I=03 | j=319 | k=3 | l=3 | m=11 | n=11 | M=43 | p=AM | S=20 | y=23 | Y=2023 | z=+0530'],
  ['1700000000123 America/Los_Angeles', 'a=Tue | A=Tuesday | b=Nov | B=November | c=Tue Nov 14 14:13:20 2023 | d=14 | e=14 | D=11/14/23 | H=14 | I=02 | j=318 | k=14 | l=2 | m=11 | n=11 | M=13 | p=PM | S=20 | y=23 | Y=2023 | z=-0800'],
  ['1683086706000 UTC', 'a=Wed | A=Wednesday | b=May | B=May | c=Wed May 3 04:05:06 2023 | d=03 | e=3 | D=05/03/23 | H=04 | I=04 | j=123 | k=4 | l=4 | m=05 | n=5 | M=05 | p=AM | S=06 | y=23 | Y=2023 | z=+0000'],
  ['1689811200000 America/New_York', 'a=Wed | A=Wednesday | b=Jul | B=July | c=Wed Jul 19 20:00:00 2023 | d=19 | e=19 | D=07/19/23 | H=20 | I=08 | j=200 | k=20 | l=8 | m=07 | n=7 | M=00 | p=PM | S=00 | y=23 | Y=2023 | z=-0400'],
  ['1700000000123 Mars/Base', 'a=Tue | A=Tuesday | b=Nov | B=November | c=Tue Nov 14 22:13:20 2023 | d=14 | e=14 | D=11/14/23 | H=22 | I=10 | j=318 | k=22 | l=10 | m=11 | n=11 | M=13 | p=PM | S=20 | y=23 | Y=2023 | z=+0000'],
  ['1700000000123 GMT+05:30', 'a=Wed | A=Wednesday | b=Nov | B=November | c=Wed Nov 15 03:43:20 2023 | d=15 | e=15 | D=11/15/23 | H=03 | I=03 | j=319 | k=3 | l=3 | m=11 | n=11 | M=43 | p=AM | S=20 | y=23 | Y=2023 | z=+0530'],
  ['1700006400000 UTC', 'a=Wed | A=Wednesday | b=Nov | B=November | c=Wed Nov 15 00:00:00 2023 | d=15 | e=15 | D=11/15/23 | H=00 | I=12 | j=319 | k=0 | l=12 | m=11 | n=11 | M=00 | p=AM | S=00 | y=23 | Y=2023 | z=+0000'],
];

const goldenCases: Array<[string, string, string, string]> = [];
for (const [input, out] of GOLDEN) {
  const [ts, tz] = input.split(' ') as [string, string];
  for (const kv of out.split(' | ')) {
    const i = kv.indexOf('=');
    goldenCases.push([ts, tz, kv.slice(0, i), kv.slice(i + 1)]);
  }
}

describe('BucketPath time escapes match Java SimpleDateFormat', () => {
  it.each(goldenCases)('ts=%s tz=%s %%%s -> %s', (ts, tz, c, want) => {
    expect(escapeString(`%${c}`, { timestamp: ts }, { timeZone: tz })).toBe(want);
  });
});

const TS = '1700000000123'; // 2023-11-14 22:13:20.123 UTC
const UTC: EscapeOptions = { timeZone: 'UTC' };
const H = { timestamp: TS, host: 'web1', topic: 'apache_logs' };

type Case = [name: string, template: string, headers: Record<string, string>, opts: EscapeOptions, want: string];
const CASES: Case[] = [
  ['seed path', '/user/bigdata/apache_logs/%y-%m-%d', H, UTC, '/user/bigdata/apache_logs/23-11-14'],
  ['%s epoch seconds', '%s', H, UTC, '1700000000'],
  ['%t raw header', '%t', H, UTC, TS],
  ['%% literal percent', '100%%', H, UTC, '100%'],
  ['unknown letter is empty', 'a%qb', H, UTC, 'ab'],
  ['unknown digit is empty', 'a%1b', H, UTC, 'ab'],
  ['lone % at end literal', 'x%', { host: 'h' }, UTC, 'x%'],
  ['%- literal', 'x%-y', { host: 'h' }, UTC, 'x%-y'],
  ['header', '/logs/%{host}', H, UTC, '/logs/web1'],
  ['header with dot and dash in name', '%{a.b-c}', { 'a.b-c': 'v' }, UTC, 'v'],
  ['missing header is empty', '/logs/%{nope}/x', H, UTC, '/logs//x'],
  ['header with space in name is literal', '%{a b}', H, UTC, '%{a b}'],
  ['header-only template needs no timestamp', '/logs/%{host}', { host: 'w' }, UTC, '/logs/w'],
  ['header .. neutralised', '/logs/%{h}/f', { h: '..' }, UTC, '/logs/__/f'],
  ['header with / neutralised', '/logs/%{h}', { h: '../../etc/passwd' }, UTC, '/logs/______etc_passwd'],
  ['header with backslash neutralised', '/logs/%{h}', { h: 'a\\b' }, UTC, '/logs/a_b'],
  ['header single dot neutralised', '/logs/%{h}/f', { h: '.' }, UTC, '/logs/_/f'],
  ['header control chars neutralised', '%{h}', { h: 'a\nb\u0000' }, UTC, 'a_b_'],
  ['$ and backslash-free replacement literal', '%{h}', { h: '$1$&' }, UTC, '$1$&'],
  ['static localhost', '%[localhost]', {}, UTC, hostname()],
  ['static case-insensitive', '%[LocalHost]', {}, UTC, hostname()],
  ['round 10 minutes (User Guide)', '/flume/events/%Y-%m-%d/%H%M/%S', { timestamp: String(Date.UTC(2012, 5, 12, 11, 54, 34)) },
    { timeZone: 'UTC', round: true, roundValue: 10, roundUnit: 'minute' }, '/flume/events/2012-06-12/1150/00'],
  ['round 7 minutes not epoch-aligned', '%H:%M:%S', H, { timeZone: 'UTC', round: true, roundValue: 7, roundUnit: 'minute' }, '22:07:00'],
  ['round 15 seconds', '%H:%M:%S', H, { timeZone: 'UTC', round: true, roundValue: 15, roundUnit: 'second' }, '22:13:15'],
  ['round 1 second drops ms (%s)', '%s', H, { timeZone: 'UTC', round: true, roundValue: 1, roundUnit: 'second' }, '1700000000'],
  ['round 5 hours', '%H:%M', H, { timeZone: 'UTC', round: true, roundValue: 5, roundUnit: 'hour' }, '20:00'],
  ['round hour in Kolkata', '%d %H:%M %z', H, { timeZone: 'Asia/Kolkata', round: true, roundValue: 5, roundUnit: 'hour' }, '15 00:00 +0530'],
  ['round minute in Kolkata (half-hour zone)', '%H:%M', H, { timeZone: 'Asia/Kolkata', round: true, roundValue: 10, roundUnit: 'minute' }, '03:40'],
  ['%s is rounded', '%s', H, { timeZone: 'UTC', round: true, roundValue: 10, roundUnit: 'minute' }, '1699999800'],
  ['%t is never rounded', '%t', H, { timeZone: 'UTC', round: true, roundValue: 10, roundUnit: 'minute' }, TS],
  ['round=false ignores roundValue', '%M', H, { timeZone: 'UTC', round: false, roundValue: 10, roundUnit: 'minute' }, '13'],
  ['useLocalTimeStamp ignores header', '%Y%m%d-%t', { timestamp: '1' }, { timeZone: 'UTC', useLocalTimeStamp: true, now: () => 1689811200000 }, '20230720-1689811200000'],
  ['useLocalTimeStamp without header', '%H', {}, { timeZone: 'UTC', useLocalTimeStamp: true, now: () => 1689811200000 }, '00'],
  ['DST summer offset', '%z', { timestamp: '1689811200000' }, { timeZone: 'Europe/Berlin' }, '+0200'],
  ['DST winter offset', '%z', { timestamp: TS }, { timeZone: 'Europe/Berlin' }, '+0100'],
  ['negative fixed offset', '%H %z', H, { timeZone: 'GMT-03:00' }, '19 -0300'],
  ['unknown zone becomes GMT', '%H %z', H, { timeZone: 'Not/AZone' }, '22 +0000'],
  ['leap day', '%j %D', { timestamp: String(Date.UTC(2024, 1, 29, 12)) }, UTC, '060 02/29/24'],
  ['year end day of year', '%j', { timestamp: String(Date.UTC(2024, 11, 31, 12)) }, UTC, '366'],
  ['noon is 12 PM', '%I %l %p', { timestamp: String(Date.UTC(2024, 0, 1, 12)) }, UTC, '12 12 PM'],
  ['midnight is 12 AM', '%I %l %k %p', { timestamp: String(Date.UTC(2024, 0, 1, 0)) }, UTC, '12 12 0 AM'],
  ['prefix with escapes', 'apache_logs-%{host}-%H', H, UTC, 'apache_logs-web1-22'],
  ['negative header timestamp is accepted without rounding', '%Y', { timestamp: '-86400000' }, UTC, '1969'],
];

describe('BucketPath escapes table', () => {
  it.each(CASES)('%s', (_n, template, headers, opts, want) => {
    expect(escapeString(template, headers, { sanitizeHeaders: true, ...opts })).toBe(want);
  });
});

describe('BucketPath errors', () => {
  const ERR: Array<[string, string, Record<string, string>, EscapeOptions, string]> = [
    ['missing timestamp', '%Y', { host: 'h' }, UTC, MISSING_TS_MSG],
    ['missing timestamp for %%', '%%', {}, UTC, MISSING_TS_MSG],
    ['non-numeric timestamp', '%Y', { timestamp: 'abc' }, UTC, BAD_TS_MSG],
    ['timestamp with spaces (no trim)', '%Y', { timestamp: ' 123' }, UTC, BAD_TS_MSG],
    ['unknown static escape', '%[foo]', {}, UTC, "The static escape string 'foo' was provided but does not match any of (localhost,IP,FQDN)"],
    ['rounding a non-positive timestamp', '%Y', { timestamp: '0' }, { timeZone: 'UTC', round: true, roundValue: 1, roundUnit: 'second' }, 'Timestamp must be positive'],
  ];
  it.each(ERR)('%s', (_n, template, headers, opts, msg) => {
    expect(() => escapeString(template, headers, opts)).toThrow(msg);
  });

  it('a compiled template reuses the last timestamp computation but still follows new events', () => {
    const t = new EscapeTemplate('%y-%m-%d/%H', { timeZone: 'UTC' });
    expect(t.escape({ timestamp: TS })).toBe('23-11-14/22');
    expect(t.escape({ timestamp: TS })).toBe('23-11-14/22');
    expect(t.escape({ timestamp: String(Date.UTC(2024, 0, 1, 3)) })).toBe('24-01-01/03');
  });
});

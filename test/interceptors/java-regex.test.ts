import { describe, expect, it } from 'vitest';
import { compileJavaRegex, compileJavaRegexFull, javaReplacement } from '../../src/interceptors/java-regex.js';
import { JodaParser } from '../../src/interceptors/joda-time.js';

describe('Java regex translation (find semantics)', () => {
  it.each([
    ['(?i)error', 'An ERROR here', true],
    ['(?i)(?s)a.b', 'A\nb', true],
    ['a.b', 'a\nb', false],
    ['\\Aabc', 'abc', true],
    ['\\Aabc', 'xabc', false],
    ['abc\\z', 'abc\n', false],
    ['abc\\Z', 'abc\n', true],
    ['abc$', 'abc\r\n', true],
    ['abc$', 'abc\nx', false],
    ['(?m)^b$', 'a\nb\nc', true],
    ['\\Qa.b*c\\E', 'xa.b*cx', true],
    ['\\Qa.b*c\\E', 'aXbbc', false],
    ['\\p{Upper}{3}', 'xABCx', true],
    ['\\P{Digit}+', '123', false],
    ['[\\p{Alpha}_]+\\d', '__a1', true],
    ['\\h+', 'a\tb', true],
    ['[]a]', ']', true],
    ['[^]a]', 'b', true],
    ['\\"quoted\\"', 'say "quoted"', true],
    ['(?<year>\\d{4})-\\k<year>', '2020-2020', true],
    ['a{2,}?', 'aaa', true],
    ['a+?b', 'aab', true],
    ['(?:ab)+c', 'ababc', true],
    ['\\++', 'a++', true],
    ['\\d{2}\\+', '12+', true],
  ])('%s on %j -> %s', (re, input, want) => {
    expect(compileJavaRegex(re).test(input)).toBe(want);
  });
  it.each([
    ['x-.*', 'x-trace', true],
    ['x-.*', 'ax-trace', false],
    ['a|b', 'ab', false],
    ['a|b', 'b', true],
  ])('whole match (matches()): %s on %s -> %s', (re, input, want) => {
    expect(compileJavaRegexFull(re).test(input)).toBe(want);
  });
  it.each([
    ['a*+'], ['a++'], ['a?+'], ['a{2}+'], ['(?>a)'], ['[a-z&&[^e]]'], ['[a[b]]'], ['a(?i)b'], ['\\G'], ['\\R'], ['\\p{L}'], ['(unclosed'],
  ])('rejects %s', (re) => {
    expect(() => compileJavaRegex(re)).toThrow();
  });
  it('replacement: $n, ${name}, \\$ and \\\\ as in Matcher.replaceAll', () => {
    const re = compileJavaRegex('(?<k>\\w+)=(\\w+)', 'g');
    expect('a=1 b=2'.replace(re, javaReplacement('${k}:$2 \\$\\\\'))).toBe('a:1 $\\ b:2 $\\');
    expect(() => javaReplacement('$')).toThrow(/Illegal group reference/);
    expect(() => javaReplacement('\\')).toThrow(/character to be escaped is missing/);
  });
});

describe('Joda patterns', () => {
  it('yy pivots around the current year (-50..+49)', () => {
    const now = new Date(2026, 0, 1);
    const p = new JodaParser('yy-MM-dd Z');
    expect(p.parseMillis('75-01-01 +0000', now)).toBe(Date.UTC(2075, 0, 1));
    expect(p.parseMillis('76-01-01 +0000', now)).toBe(Date.UTC(1976, 0, 1));
  });
  it.each([
    ['SSS fraction', 'HH:mm:ss.SSS Z', '01:02:03.5 +0000', Date.UTC(1970, 0, 1, 1, 2, 3, 500)],
    ['day of year', 'yyyy DDD Z', '2020 060 +0000', Date.UTC(2020, 1, 29)],
    ['day names are checked', 'EEE, dd MMM yyyy HH:mm:ss Z', 'Tue, 15 Nov 1994 08:12:31 +0000', Date.UTC(1994, 10, 15, 8, 12, 31)],
    ['12 AM is midnight', 'hh:mm a Z', '12:30 AM +0000', Date.UTC(1970, 0, 1, 0, 30)],
  ])('%s', (_n, pattern, text, want) => {
    expect(new JodaParser(pattern).parseMillis(text)).toBe(want);
  });
  it.each([
    ['yyyy-MM-dd', '2020-1-1x'],
    ['yyyy-MM-dd', '2020-02-30x'],
    ['EEE yyyy', 'Foo 2020'],
    ['HH:mm', '24:00'],
  ])('%s rejects %s', (pattern, text) => {
    expect(() => new JodaParser(pattern).parseMillis(text)).toThrow();
  });
});

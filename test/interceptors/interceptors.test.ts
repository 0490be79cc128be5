import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import { createEvent, type Event } from '../../src/core/event.js';
import type { Interceptor } from '../../src/core/contracts.js';
import type { InterceptorSpec } from '../../src/core/spec.js';
import { buildComponent } from '../../src/engine/build.js';
import { builtinRegistry } from '../../src/builtins.js';
import host, { localAddress } from '../../src/interceptors/host.js';
import regexExtractor from '../../src/interceptors/regex-extractor.js';
import regexFilter from '../../src/interceptors/regex-filter.js';
import removeHeader from '../../src/interceptors/remove-header.js';
import searchReplace from '../../src/interceptors/search-replace.js';
import staticI from '../../src/interceptors/static.js';
import timestamp from '../../src/interceptors/timestamp.js';
import uuid from '../../src/interceptors/uuid.js';
import os from 'node:os';

function make(spec: InterceptorSpec, props: Record<string, string> = {}, now = 1_700_000_000_123): Interceptor {
  return buildComponent(spec, 'i1', props, { clock: { now: () => now } }).instance;
}
const ev = (body: string, headers: Record<string, string> = {}): Event => createEvent(body, { ...headers });
const run = (i: Interceptor, events: Event[]): Event[] => i.intercept(events);

describe('interceptor FQCNs resolve like Flume builder class names', () => {
  const reg = builtinRegistry();
  it.each([
    ['org.apache.flume.interceptor.TimestampInterceptor$Builder', 'timestamp'],
    ['org.apache.flume.interceptor.HostInterceptor$Builder', 'host'],
    ['org.apache.flume.interceptor.StaticInterceptor$Builder', 'static'],
    ['org.apache.flume.interceptor.RemoveHeaderInterceptor$Builder', 'remove_header'],
    ['org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder', 'uuid'],
    ['org.apache.flume.interceptor.RegexFilteringInterceptor$Builder', 'regex_filter'],
    ['org.apache.flume.interceptor.RegexExtractorInterceptor$Builder', 'regex_extractor'],
    ['org.apache.flume.interceptor.SearchAndReplaceInterceptor$Builder', 'search_replace'],
    ['TIMESTAMP', 'timestamp'],
  ])('%s -> %s', (name, type) => {
    expect(reg.resolve('interceptor', name)?.type).toBe(type);
  });
});

describe('timestamp', () => {
  it.each([
    ['sets timestamp', {}, {}, { timestamp: '1700000000123' }],
    ['overwrites by default (preserveExisting=false)', {}, { timestamp: '5' }, { timestamp: '1700000000123' }],
    ['preserveExisting keeps the old value', { preserveExisting: 'true' }, { timestamp: '5' }, { timestamp: '5' }],
    ['headerName', { headerName: 'ts' }, {}, { ts: '1700000000123' }],
  ])('%s', (_n, props, headers, want) => {
    expect(run(make(timestamp, props), [ev('x', headers)])[0]!.headers).toEqual(want);
  });
});

describe('host', () => {
  it('defaults to the IP address (useIP=true) in header host', () => {
    const h = run(make(host), [ev('x')])[0]!.headers;
    expect(h.host).toBe(localAddress());
    expect(h.host).toMatch(/^[\d.]+$|:/);
  });
  it.each([
    ['useIP=false gives the host name', { useIP: 'false' }, {}, { host: os.hostname() }],
    ['hostHeader', { hostHeader: 'agentHost', useIP: 'false' }, {}, { agentHost: os.hostname() }],
    ['overwrites by default', { useIP: 'false' }, { host: 'old' }, { host: os.hostname() }],
    ['preserveExisting', { preserveExisting: 'true' }, { host: 'old' }, { host: 'old' }],
  ])('%s', (_n, props, headers, want) => {
    expect(run(make(host, props), [ev('x', headers)])[0]!.headers).toEqual(want);
  });
});

describe('static', () => {
  it.each([
    ['defaults key=value', {}, {}, { key: 'value' }],
    ['key/value', { key: 'datacenter', value: 'NEW_YORK' }, {}, { datacenter: 'NEW_YORK' }],
    ['preserveExisting defaults to true', { key: 'dc', value: 'NY' }, { dc: 'SF' }, { dc: 'SF' }],
    ['preserveExisting=false overwrites', { key: 'dc', value: 'NY', preserveExisting: 'false' }, { dc: 'SF' }, { dc: 'NY' }],
  ])('%s', (_n, props, headers, want) => {
    expect(run(make(staticI, props), [ev('x', headers)])[0]!.headers).toEqual(want);
  });
});

describe('remove_header', () => {
  const hs = { 'my-header': '1', a: '1', b: '2', c: '3', 'x-trace': 't', 'x-span': 's', keep: 'k' };
  it.each([
    ['withName', { withName: 'my-header' }, ['a', 'b', 'c', 'keep', 'x-span', 'x-trace']],
    ['fromList with default separator (\\s*,\\s*)', { fromList: 'a , b,c' }, ['keep', 'my-header', 'x-span', 'x-trace']],
    ['fromList with custom separator', { fromList: 'a:b', fromListSeparator: ':' }, ['c', 'keep', 'my-header', 'x-span', 'x-trace']],
    ['matching is a whole-name match', { matching: 'x-.*' }, ['a', 'b', 'c', 'keep', 'my-header']],
    ['matching does not find() inside names', { matching: 'trace' }, Object.keys(hs).sort()],
    ['all three combined', { withName: 'keep', fromList: 'a', matching: '[bc]' }, ['my-header', 'x-span', 'x-trace']],
    ['nothing configured removes nothing', {}, Object.keys(hs).sort()],
  ])('%s', (_n, props, want) => {
    expect(Object.keys(run(make(removeHeader, props), [ev('x', hs)])[0]!.headers).sort()).toEqual(want);
  });
});

describe('uuid', () => {
  it('sets a v4 UUID in header id; unique per event', () => {
    const out = run(make(uuid), [ev('a'), ev('b')]);
    for (const e of out) expect(e.headers.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(out[0]!.headers.id).not.toBe(out[1]!.headers.id);
  });
  it.each([
    ['preserveExisting defaults to true', {}, { id: 'mine' }, (h: Record<string, string>) => expect(h.id).toBe('mine')],
    ['preserveExisting=false replaces', { preserveExisting: 'false' }, { id: 'mine' }, (h: Record<string, string>) => expect(h.id).not.toBe('mine')],
    ['prefix and headerName', { prefix: 'ev-', headerName: 'eventId' }, {}, (h: Record<string, string>) => expect(h.eventId).toMatch(/^ev-[0-9a-f-]{36}$/)],
  ])('%s', (_n, props, headers, check) => {
    check(run(make(uuid, props), [ev('x', headers)])[0]!.headers);
  });
});

describe('regex_filter (find() semantics)', () => {
  const bodies = ['GET /index.html 200', 'GET /missing 404', 'POST /form 500', ''];
  it.each([
    ['default .* keeps everything', {}, bodies],
    ['keeps events containing a match anywhere', { regex: '\\s[45]\\d\\d$' }, ['GET /missing 404', 'POST /form 500']],
    ['excludeEvents drops matching events', { regex: '^GET', excludeEvents: 'true' }, ['POST /form 500', '']],
    ['case-insensitive inline flag (?i)', { regex: '(?i)^post' }, ['POST /form 500']],
    ['\\p{Punct} POSIX class', { regex: '\\p{Punct}html' }, ['GET /index.html 200']],
    ['\\Q..\\E quoting', { regex: '\\Q.html\\E' }, ['GET /index.html 200']],
  ])('%s', (_n, props, want) => {
    expect(run(make(regexFilter, props), bodies.map((b) => ev(b))).map((e) => e.body.toString())).toEqual(want);
  });
  it('Java $ also matches before a final newline', () => {
    expect(run(make(regexFilter, { regex: '404$' }), [ev('GET /x 404\n'), ev('404 x')]).map((e) => e.body.toString())).toEqual(['GET /x 404\n']);
  });
  it.each([
    ['possessive quantifier', 'a*+b'],
    ['atomic group', '(?>ab)'],
    ['unbalanced', '(ab'],
    ['unicode category', '\\p{L}'],
  ])('rejects an unsupported/invalid regex (%s) at validation', (_n, regex) => {
    expect(() => make(regexFilter, { regex })).toThrow(ConfigurationError);
    expect(() => make(regexFilter, { regex })).toThrow(/invalid regex/);
  });
});

describe('regex_extractor', () => {
  it('Flume vector: (\\d):(\\d):(\\d) into Num1..Num3', () => {
    const i = make(regexExtractor, {
      regex: '(\\d):(\\d):(\\d)', serializers: 's1 s2 s3',
      'serializers.s1.name': 'Num1', 'serializers.s2.name': 'Num2', 'serializers.s3.name': 'Num3',
    });
    expect(run(i, [ev('1:2:3.4foobar5')])[0]!.headers).toEqual({ Num1: '1', Num2: '2', Num3: '3' });
  });
  it.each([
    ['extra groups are ignored', '(\\w+) (\\w+) (\\w+)', 'a b c', { first: 'a' }],
    ['no match leaves headers unchanged', '(\\d+)', 'abc', {}],
    ['only the first find() counts', '(\\d+)', 'x 12 y 34', { first: '12' }],
    ['a group that did not participate sets nothing', '(a)|(b)', 'b', {}],
  ])('%s', (_n, regex, body, want) => {
    const i = make(regexExtractor, { regex, serializers: 's1', 'serializers.s1.name': 'first' });
    expect(run(i, [ev(body)])[0]!.headers).toEqual(want);
  });
  it('millis serializer with a Joda pattern (local time zone)', () => {
    const i = make(regexExtractor, {
      regex: '^(\\d\\d\\d\\d-\\d\\d-\\d\\d\\s\\d\\d:\\d\\d)(:\\d\\d)?', serializers: 'ts',
      'serializers.ts.name': 'timestamp',
      'serializers.ts.type': 'org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer',
      'serializers.ts.pattern': 'yyyy-MM-dd HH:mm',
    });
    const h = run(i, [ev('2012-10-17 14:34:44 some text')])[0]!.headers;
    expect(h.timestamp).toBe(String(new Date(2012, 9, 17, 14, 34).getTime()));
  });
  it.each([
    ["dd/MMM/yyyy:HH:mm:ss Z (Apache log)", 'dd/MMM/yyyy:HH:mm:ss Z', '01/Jul/1995:00:00:01 -0400', Date.UTC(1995, 6, 1, 4, 0, 1)],
    ["yyyy-MM-dd'T'HH:mm:ss.SSSZZ", "yyyy-MM-dd'T'HH:mm:ss.SSSZZ", '2020-02-29T23:59:58.250+01:00', Date.UTC(2020, 1, 29, 22, 59, 58, 250)],
    ['yyyyMMddHHmmss (adjacent numeric fields)', 'yyyyMMddHHmmssZ', '20200102030405+0000', Date.UTC(2020, 0, 2, 3, 4, 5)],
    ['hh:mm a with month name', 'MMMM d, yyyy hh:mm a Z', 'March 5, 2021 01:30 PM +0000', Date.UTC(2021, 2, 5, 13, 30)],
  ])('Joda pattern %s', (_n, pattern, text, want) => {
    const i = make(regexExtractor, { regex: '^(.*)$', serializers: 'm', 'serializers.m.name': 't', 'serializers.m.type': 'millis', 'serializers.m.pattern': pattern });
    expect(run(i, [ev(text)])[0]!.headers.t).toBe(String(want));
  });
  it('a value the millis serializer cannot parse sets no header', () => {
    const i = make(regexExtractor, { regex: '^(\\S+)', serializers: 'm', 'serializers.m.name': 't', 'serializers.m.type': 'millis', 'serializers.m.pattern': 'yyyy-MM-dd' });
    expect(run(i, [ev('2020-13-45 x'), ev('hello')]).map((e) => e.headers)).toEqual([{}, {}]);
  });
  it.each([
    ['missing regex', { serializers: 's1', 'serializers.s1.name': 'a' }, /required property 'regex'/],
    ['missing serializers', { regex: '(a)' }, /required property 'serializers'/],
    ['serializer without a name', { regex: '(a)', serializers: 's1' }, /Supplied name cannot be empty/],
    ['millis without a pattern', { regex: '(a)', serializers: 's1', 'serializers.s1.name': 'a', 'serializers.s1.type': 'millis' }, /Must configure with a valid pattern/],
    ['unknown serializer type', { regex: '(a)', serializers: 's1', 'serializers.s1.name': 'a', 'serializers.s1.type': 'com.example.Foo' }, /unknown regex extractor serializer type/],
  ])('config error: %s', (_n, props, msg) => {
    expect(() => make(regexExtractor, props)).toThrow(msg);
  });
});

describe('search_replace (Java replaceAll)', () => {
  it.each([
    ['Flume vector: remove the first word', '^[A-Za-z0-9_]+', '', 'lorem ipsum dolor sit amet', ' ipsum dolor sit amet'],
    ['every match is replaced', '\\s+', ',', 'a  b \t c', 'a,b,c'],
    ['$1 group reference', '(\\w+)@(\\w+)', '$2 at $1', 'joe@example', 'example at joe'],
    ['${name} named group', '(?<user>\\w+)@example', '${user}', 'joe@example', 'joe'],
    ['\\$ is a literal dollar', 'USD', '\\$', '5 USD', '5 $'],
    ['lookaround', '(?<=\\s)dolor(?=\\s)', 'DOLOR', 'lorem dolor sit', 'lorem DOLOR sit'],
    ['mask digits of a card number', '\\d{4}(?=-)', 'XXXX', '1234-5678-9012', 'XXXX-XXXX-9012'],
  ])('%s', (_n, searchPattern, replaceString, body, want) => {
    const i = make(searchReplace, { searchPattern, replaceString });
    expect(run(i, [ev(body)])[0]!.body.toString()).toBe(want);
  });
  it('charset ISO-8859-1 decodes and re-encodes bytes', () => {
    const i = make(searchReplace, { searchPattern: 'caf.', replaceString: 'tea', charset: 'ISO-8859-1' });
    const e = createEvent(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x21]));
    expect([...run(i, [e])[0]!.body]).toEqual([0x74, 0x65, 0x61, 0x21]);
  });
  it.each([
    ['missing searchPattern', {}, /required property 'searchPattern'/],
    ['bad group reference', { searchPattern: 'a', replaceString: '$x' }, /Illegal group reference/],
    ['bad charset', { searchPattern: 'a', charset: 'EBCDIC' }, /unsupported charset/],
  ])('config error: %s', (_n, props, msg) => {
    expect(() => make(searchReplace, props)).toThrow(msg);
  });
});

describe('chaining in order', () => {
  it('filter then extract then static: later interceptors see the earlier ones\' output', () => {
    const chain = [
      make(regexFilter, { regex: 'ERROR' }),
      make(regexExtractor, { regex: '^(\\w+)', serializers: 's', 'serializers.s.name': 'level' }),
      make(staticI, { key: 'level', value: 'none' }),
      make(removeHeader, { withName: 'drop' }),
    ];
    let events = [ev('ERROR disk full', { drop: '1' }), ev('INFO ok'), ev('WARN ERROR nested')];
    for (const i of chain) events = i.intercept(events);
    expect(events.map((e) => [e.body.toString(), e.headers])).toEqual([
      ['ERROR disk full', { level: 'ERROR' }],
      ['WARN ERROR nested', { level: 'WARN' }],
    ]);
  });
});

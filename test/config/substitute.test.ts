import { describe, expect, it } from 'vitest';
import type { ParsedProperties, PropertyEntry } from '../../src/config/properties.js';
import { parseProperties } from '../../src/config/properties.js';
import { applyConfigFilters, substituteProperties, type CommandRunner } from '../../src/config/substitute.js';

/** Builds properties from `key=value` lines (split at the first '=', no escapes). */
function props(text: string, file = 'f.conf'): ParsedProperties {
  const entries: PropertyEntry[] = [];
  const map = new Map<string, PropertyEntry>();
  text.split('\n').forEach((l, i) => {
    if (l === '') return;
    const eq = l.indexOf('=');
    const e = { key: l.slice(0, eq), value: l.slice(eq + 1), file, line: i + 1 };
    entries.push(e);
    map.set(e.key, e);
  });
  return { file, entries, map, problems: [] };
}

const env = { X: 'xval', HOME_X: '/h', REF: '${sys:env}', EMPTY: '' };
const sys = new Map([
  ['env', 'DEV'],
  ['port', '4444'],
]);

/**
 * Expected values produced by Apache Commons Text 1.9 (the version Flume 1.11 ships) with Flume's
 * MapResolver set-up (interpolator with env/sys lookups, substitution in variables enabled), and
 * bare names resolved on demand against all properties (our deterministic ordering). Generated
 * with test/fixtures/properties/SubstOracle.java. "!..." = Java threw (a reference cycle).
 */
const COMMONS_TEXT_VECTORS: [input: string, expected: Record<string, string>][] = [
  [
    "a=${env:HOME_X}\nb=${env:MISSING}\nc=${env:MISSING:-dflt}\nd=${sys:env}\ne=${ENV:X}\nf=${Sys:port}\n",
    {"a": "/h", "b": "${env:MISSING}", "c": "dflt", "d": "DEV", "e": "xval", "f": "4444"},
  ],
  [
    "DEV_BIND=192.168.11.101\nPROD_BIND=192.168.10.110\nbind=${${sys:env}_BIND}\n",
    {"DEV_BIND": "192.168.11.101", "PROD_BIND": "192.168.10.110", "bind": "192.168.11.101"},
  ],
  [
    "a=$${env:X}\nb=$$${env:X}\nc=$$$${env:X}\nd=$${b}\ne=${d}\nf=${env:X}$${env:X}\n",
    {"a": "${env:X}", "b": "$${env:X}", "c": "$$${env:X}", "d": "${b}", "e": "${env:X}", "f": "xval${env:X}"},
  ],
  [
    "a=${b}\nb=${c}\nc=v\nd=${a}-${b}-${c}\n",
    {"a": "v", "b": "v", "c": "v", "d": "v-v-v"},
  ],
  [
    "a=${NOPE}\nNAME=p\nb=${env:NAME}\nc=${env:MISSING:-${sys:env}}\nd=${:-x}\ne=${}\nf=${abc\ng=${a}${c}\n",
    {"a": "${NOPE}", "NAME": "p", "b": "p", "c": "DEV", "d": "x", "e": "${}", "f": "${abc", "g": "${NOPE}DEV"},
  ],
  [
    "a=${env:REF}\nb=${f1['KEY']}\nc=${f1[KEY]}\nd=${env:M:-{x}}\ne=x$\nf=$}\ng=${\nh=${a:-}\ni=${zz:b:-c}\nb2=${zz:b}\nj=${env:M:-a:-b}\nk=${env:EMPTY:-dflt}\nl=${env:EMPTY}\n",
    {"a": "DEV", "b": "${f1['KEY']}", "c": "${f1[KEY]}", "d": "{x}", "e": "x$", "f": "$}", "g": "${", "h": "DEV", "i": "${f1['KEY']}", "b2": "${f1['KEY']}", "j": "a:-b", "k": "", "l": ""},
  ],
  [
    "a=$${a${b}}\nb=B\nc=${env:$${X}}\nd=${env:${b}X:-no}\ne=${${b}}\nB=bee\nf=$${${b}}\ng=${x${b}}\n",
    {"a": "${aB}", "b": "B", "c": "${env:$${X}}", "d": "no", "e": "bee", "B": "bee", "f": "${B}", "g": "${x${b}}"},
  ],
  [
    "x=${y}\ny=${x}\nz=${z}\nw=ok ${env:X}\n",
    {"x": "!IllegalStateException: cycle x", "y": "!IllegalStateException: cycle y", "z": "!IllegalStateException: cycle z", "w": "ok xval"},
  ],
  [
    "a=${sys:env:-${env:X}}\nb=${b:-${env:X}}\nc=${env:X:-${c}}\nd=${missing:-$${lit}}\ne=${{b}}\nf=${${}}\ng=${env:X}}}\nh={${env:X}\n",
    {"a": "DEV", "b": "!IllegalStateException: cycle b", "c": "!IllegalStateException: cycle c", "d": "${lit}", "e": "${{b}}", "f": "${${}}", "g": "xval}}", "h": "{xval"},
  ],
  [
    "a=$${a${b}}x$${y\nb=B\nc=pre${b}mid${b}post\nd=${b:-${nope}}\ne=${nope:-${b}}\nf=${env:X:-}${env:MISSING:-}\ng=$${b}$${b}\nh=$$${b}\ni=\\${b}\n",
    {"a": "${aB}x$${y", "b": "B", "c": "preBmidBpost", "d": "B", "e": "B", "f": "xval", "g": "${b}${b}", "h": "$${b}", "i": "\\B"},
  ],
];

describe('substitution matches Commons Text 1.9 (Flume 1.11 MapResolver)', () => {
  it.each(COMMONS_TEXT_VECTORS.map((v, i) => [i, ...v] as const))('vector %i', (_i, input, expected) => {
    const p = props(input);
    const { properties, problems } = substituteProperties(p, { env, sys });
    for (const [key, want] of Object.entries(expected)) {
      const got = properties.map.get(key)!;
      if (want.startsWith('!')) {
        expect(got.value).toBe(p.map.get(key)!.value);
        expect(problems.some((q) => q.code === 'SUBSTITUTION_CYCLE' && q.key === key && q.severity === 'error')).toBe(true);
      } else {
        expect([key, got.value]).toEqual([key, want]);
        if (got.value !== p.map.get(key)!.value) expect(got.raw).toBe(p.map.get(key)!.value);
      }
    }
  });
});

describe('substitution details', () => {
  it("resolves Flume's own recursive-lookup test file regardless of order", () => {
    // flume-ng-node/src/test/resources/flume-conf-with-recursiveLookup.properties, reordered so
    // the reference comes before its targets (Flume's hash order may not resolve it).
    const p = parseProperties('a1.sources.r1.bind = ${${sys:env}_BIND}\nPROD_BIND=192.168.10.110\nDEV_BIND=192.168.11.101\n', 'r.conf');
    const { properties, problems } = substituteProperties(p, { env: {}, sys: new Map([['env', 'DEV']]) });
    expect(properties.map.get('a1.sources.r1.bind')!.value).toBe('192.168.11.101');
    expect(problems).toEqual([]);
  });

  it('warns about unresolved variables with file:line and a fix', () => {
    const { problems } = substituteProperties(props('a=x\nport=${env:NC_PORT}\nb=${sys:bind.host}\nc=${NAME}\n'), { env: {}, sys: new Map() });
    expect(problems.map((q) => [q.code, q.severity, q.line, q.key])).toEqual([
      ['UNRESOLVED_VARIABLE', 'warning', 2, 'port'],
      ['UNRESOLVED_VARIABLE', 'warning', 3, 'b'],
      ['UNRESOLVED_VARIABLE', 'warning', 4, 'c'],
    ]);
    expect(problems[0]!.message).toContain('environment variable NC_PORT is not set');
    expect(problems[0]!.fix).toContain('${env:NC_PORT:-value}');
    expect(problems[1]!.fix).toContain('-Dbind.host=value');
  });

  it('problems carry the component of their key (so they can be filtered by agent)', () => {
    const { problems } = substituteProperties(props('a1.sources.r1.port=${env:P}\na2.x=${Q}\n'), { env: {} });
    expect(problems.map((q) => q.component)).toEqual(['a1.sources.r1', 'a2']);
  });

  it('does not warn about config-filter references or escaped text', () => {
    const { problems } = substituteProperties(props("a=${f1['KEY']}\nb=${f1[K]}\nc=$${LIT}\n"), { env: {} });
    expect(problems).toEqual([]);
  });

  it('reports unsupported ${date:...} / ${java:...} lookups', () => {
    const { properties, problems } = substituteProperties(props('a=${date:yyyy}\n'), { env: {} });
    expect(properties.map.get('a')!.value).toBe('${date:yyyy}');
    expect(problems.map((q) => q.code)).toEqual(['UNSUPPORTED_LOOKUP']);
  });

  it('envFallback: bare ${NAME} falls back to the environment (EnvVarResolverProperties in 1.11)', () => {
    const p = props('a=${X}\nb=${b2}\nb2=prop\n');
    expect(substituteProperties(p, { env, envFallback: true }).properties.map.get('a')!.value).toBe('xval');
    expect(substituteProperties(p, { env, envFallback: true }).properties.map.get('b')!.value).toBe('prop');
    expect(substituteProperties(p, { env }).properties.map.get('a')!.value).toBe('${X}');
  });

  it('flume-1.9-env flavor: ${NAME} -> env or empty string, nothing else', () => {
    const p = props('a=${X}\nb=${MISSING}!\nc=${env:X}\nd=${a}\n');
    const { properties, problems } = substituteProperties(p, { env, flavor: 'flume-1.9-env' });
    expect(properties.entries.map((e) => e.value)).toEqual(['xval', '!', '${env:X}', '']);
    expect(problems.map((q) => [q.code, q.key])).toEqual([
      ['UNRESOLVED_VARIABLE', 'b'],
      ['UNRESOLVED_VARIABLE', 'd'],
    ]);
  });

  it('flavor none leaves everything as read', () => {
    const p = props('a=${env:X}\n');
    expect(substituteProperties(p, { env, flavor: 'none' }).properties.map.get('a')!.value).toBe('${env:X}');
  });

  it('overridden duplicates: other properties see the last value', () => {
    const p = props('a=1\nb=${a}\na=2\n');
    const { properties } = substituteProperties(p, { env: {} });
    expect(properties.map.get('b')!.value).toBe('2');
    expect(properties.entries.map((e) => e.value)).toEqual(['1', '2', '2']);
  });

  it('keys are never substituted; file and line are kept', () => {
    const p = props('${env:X}=v\nk=${env:X}\n');
    const { properties } = substituteProperties(p, { env });
    expect(properties.entries).toEqual([
      { key: '${env:X}', value: 'v', file: 'f.conf', line: 1 },
      { key: 'k', value: 'xval', raw: '${env:X}', file: 'f.conf', line: 2 },
    ]);
  });
});

describe('config filters', () => {
  const base = [
    'a1.configfilters = f1 f2 f3',
    'a1.configfilters.f1.type = env',
    'a1.configfilters.f2.type = external',
    'a1.configfilters.f2.command = /opt/secret.sh --vault prod',
    'a1.configfilters.f3.type = hadoop',
    "a1.sources.r1.host = ${f1['HOST']}",
    'a1.sources.r1.portHeader = ${f2["port"]}-${f1[HEADER]}',
    "a1.sinks.k1.password = ${f2['db_pass']} and ${f2['db_pass']}",
    "a1.sinks.k1.other = ${f3['x']}",
    "a1.sinks.k1.unknown = ${f9['x']}",
    "a1.channels.c1.bad = ${f1['param\"]}",
    "a1.channels.c1.missing = ${f1['NOT_SET']}",
    "a1.notacomponent = ${f1['HOST']}",
    "a2.sources.r1.host = ${f1['HOST']}",
  ].join('\n');
  const calls: string[][] = [];
  const runner: CommandRunner = (cmd, args) => {
    calls.push([cmd, ...args]);
    const key = args[args.length - 1];
    if (key === 'port') return Promise.resolve('5555\nsecond line ignored\n');
    if (key === 'db_pass') return Promise.resolve('s3cret\r\n');
    return Promise.reject(new Error('exited with status 3: no such key'));
  };

  it('env, external, unsupported and unknown filters', async () => {
    const p = parseProperties(base, 'cf.conf');
    const { properties, problems } = await applyConfigFilters(p, { env: { HOST: 'h1', HEADER: 'hd' }, runCommand: runner, agents: ['a1'] });
    const v = (k: string): string => properties.map.get(k)!.value;
    expect(v('a1.sources.r1.host')).toBe('h1');
    expect(properties.map.get('a1.sources.r1.host')!.raw).toBe("${f1['HOST']}");
    expect(v('a1.sources.r1.portHeader')).toBe('5555-hd');
    expect(v('a1.sinks.k1.password')).toBe('s3cret and s3cret');
    expect(v('a1.sinks.k1.other')).toBe("${f3['x']}");
    expect(v('a1.sinks.k1.unknown')).toBe("${f9['x']}");
    expect(v('a1.channels.c1.bad')).toBe("${f1['param\"]}"); // mismatched quotes: not a reference
    expect(v('a1.channels.c1.missing')).toBe("${f1['NOT_SET']}");
    expect(v('a1.notacomponent')).toBe("${f1['HOST']}"); // only component values are filtered
    expect(v('a2.sources.r1.host')).toBe("${f1['HOST']}"); // other agent, not selected
    // the command runs once per key, split on whitespace, key last
    expect(calls).toEqual([
      ['/opt/secret.sh', '--vault', 'prod', 'port'],
      ['/opt/secret.sh', '--vault', 'prod', 'db_pass'],
    ]);
    expect(problems.map((q) => [q.code, q.severity, q.line])).toEqual([
      ['CONFIG_FILTER_UNSUPPORTED', 'warning', 5],
      ['CONFIG_FILTER_UNKNOWN', 'warning', 10],
      ['CONFIG_FILTER_NO_VALUE', 'warning', 12],
    ]);
    expect(problems[0]!.message).toContain('hadoop credential-store config filter is not supported');
    expect(problems[2]!.fix).toBe('set the environment variable NOT_SET');
  });

  it('a failing external command is an error naming the command and key', async () => {
    const p = parseProperties(
      ['a1.configfilters = f2', 'a1.configfilters.f2.type = external', 'a1.configfilters.f2.command = /bin/x', "a1.sinks.k1.p = ${f2['nope']}"].join('\n'),
      'cf.conf',
    );
    const { properties, problems } = await applyConfigFilters(p, { runCommand: runner });
    expect(properties.map.get('a1.sinks.k1.p')!.value).toBe("${f2['nope']}");
    expect(problems.map((q) => q.code)).toEqual(['CONFIG_FILTER_FAILED', 'CONFIG_FILTER_NO_VALUE']);
    expect(problems[0]!.message).toContain('exited with status 3: no such key');
    expect(problems[0]!.line).toBe(2);
  });

  it('invalid declarations: no type, external without command, bad charset', async () => {
    const p = parseProperties(
      [
        'a1.configfilters = f1 f2 f3',
        'a1.configfilters.f2.type = external',
        'a1.configfilters.f3.type = external',
        'a1.configfilters.f3.command = /bin/x',
        'a1.configfilters.f3.charset = EBCDIC',
      ].join('\n'),
      'cf.conf',
    );
    const { problems } = await applyConfigFilters(p, { runCommand: runner });
    expect(problems.map((q) => [q.code, q.severity, q.line, q.component])).toEqual([
      ['CONFIG_FILTER_INVALID', 'error', 1, 'a1.configfilters.f1'],
      ['CONFIG_FILTER_INVALID', 'error', 2, 'a1.configfilters.f2'],
      ['CONFIG_FILTER_INVALID', 'error', 5, 'a1.configfilters.f3'],
    ]);
  });

  it('runs a real external command', async () => {
    const p = parseProperties(['a1.configfilters = f', 'a1.configfilters.f.type = external', 'a1.configfilters.f.command = echo value-of', "a1.sinks.k.p = ${f['k1']}"].join('\n'), 'cf.conf');
    const { properties, problems } = await applyConfigFilters(p);
    expect(problems).toEqual([]);
    expect(properties.map.get('a1.sinks.k.p')!.value).toBe('value-of k1');
  });
});

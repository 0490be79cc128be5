import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../src/builtins.js';
import { loadConfig } from '../../src/config/load.js';

async function load(lines: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'icfg-'));
  const f = path.join(dir, 'a.conf');
  writeFileSync(f, `a.sources = r
a.channels = c
a.sinks = k
a.sources.r.type = seq
a.sources.r.channels = c
a.channels.c.type = memory
a.sinks.k.type = null
a.sinks.k.channel = c
${lines}`);
  return { f, r: await loadConfig({ files: [f], agentName: 'a', registry: builtinRegistry() }) };
}

describe('interceptor configuration', () => {
  it('a chain is planned in list order with its properties (FQCN and short names)', async () => {
    const { r } = await load(`a.sources.r.interceptors = i3 i1
a.sources.r.interceptors.i1.type = org.apache.flume.interceptor.TimestampInterceptor$Builder
a.sources.r.interceptors.i3.type = static
a.sources.r.interceptors.i3.key = dc
`);
    expect(r.problems).toEqual([]);
    const chain = r.plan!.sources.get('r')!.interceptors;
    expect(chain.map((i) => [i.name, i.spec.type, i.props])).toEqual([
      ['i3', 'static', { key: 'dc', value: 'value', preserveExisting: true }],
      ['i1', 'timestamp', { headerName: 'timestamp', preserveExisting: false }],
    ]);
  });

  it.each([
    ['missing type', 'a.sources.r.interceptors = i1\n', 9, 'a.sources.r', /Interceptor.Type not specified for i1/],
    ['unknown type', 'a.sources.r.interceptors = i1\na.sources.r.interceptors.i1.type = timestmp\n', 10, 'a.sources.r.interceptors.i1', /unknown interceptor type 'timestmp'/],
    ['unsupported Java regex', 'a.sources.r.interceptors = i1\na.sources.r.interceptors.i1.type = regex_filter\na.sources.r.interceptors.i1.regex = a++\n', 11, 'a.sources.r.interceptors.i1', /invalid regex: possessive quantifiers/],
    ['bad Joda pattern', 'a.sources.r.interceptors = x\na.sources.r.interceptors.x.type = regex_extractor\na.sources.r.interceptors.x.regex = (\\\\d+)\na.sources.r.interceptors.x.serializers = s\na.sources.r.interceptors.x.serializers.s.name = t\na.sources.r.interceptors.x.serializers.s.type = millis\na.sources.r.interceptors.x.serializers.s.pattern = yyyy-qq\n', 15, 'a.sources.r.interceptors.x', /pattern letter 'q' is not supported/],
  ])('%s: one error naming file, line and the interceptor; the source is not started', async (_n, lines, line, component, msg) => {
    const { f, r } = await load(lines);
    const errs = r.problems.filter((p) => p.severity === 'error');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ file: f, line, component });
    expect(errs[0]!.message).toMatch(msg);
    expect(errs[0]!.fix).toBeTruthy();
    expect(r.plan!.sources.has('r')).toBe(false);
  });
});

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeAnalyzerProperties, parseAnalyzerConfig, propMap, type PropMap } from '../../src/analyzer/config.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Minimal properties reader for the shipped conf (key = value lines, relative to `analyzer.`). */
function readConf(path: string, agent: string): PropMap {
  const m: PropMap = new Map();
  readFileSync(path, 'utf8').split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    const eq = l.indexOf('=');
    const k = l.slice(0, eq).trim();
    if (k.startsWith(agent + '.')) m.set(k.slice(agent.length + 1), { value: l.slice(eq + 1).trim(), line: i + 1 });
  });
  return m;
}

describe('analyzer configuration', () => {
  it('conf/log-analysis.conf reproduces the seed job', () => {
    const c = parseAnalyzerConfig('analyzer', 'conf/log-analysis.conf', readConf(resolve(ROOT, 'conf/log-analysis.conf'), 'analyzer'));
    expect(c.source).toMatchObject({ type: 'kafka', kafka: { brokers: ['localhost:9092'], topics: ['apache_logs'], startingOffsets: 'latest' } });
    expect(c).toMatchObject({ time: 'processing', windowMs: 60_000, slideMs: 60_000, triggerMs: 60_000, outputMode: 'complete', watermarkMs: null });
    expect(c.queries.map((q) => [q.name, q.groupBy.join(','), q.filterText, q.countColumn, q.orderBy.map((o) => `${o.column} ${o.desc ? 'desc' : 'asc'}`).join(', ')])).toEqual([
      ['total_requests', '', '', 'total_requests', 'window desc'],
      ['status_distribution', 'status', '', 'count', 'window desc, status asc'],
      ['endpoint_traffic', 'endpoint', '', 'count', 'window desc, count desc'],
      ['method_distribution', 'method', '', 'count', 'window desc, count desc'],
      ['ip_traffic', 'ip', '', 'count', 'window desc, count desc'],
      ['error_rates', 'status', 'status >= 400', 'count', 'window desc, status asc'],
    ]);
    expect(c.sinks).toEqual([expect.objectContaining({ type: 'console', numRows: 20, truncate: false, format: 'spark3.0' })]);
  });

  it('defaults alone give the seed queries', () => {
    const c = parseAnalyzerConfig('a', 'f', propMap({ type: 'analyzer' }));
    expect(c.queries.map((q) => q.name)).toEqual(['total_requests', 'status_distribution', 'endpoint_traffic', 'method_distribution', 'ip_traffic', 'error_rates']);
    expect(c.queries[5]!.filter).not.toBeNull();
  });

  it.each([
    [{ 'window.duraton': '60s' }, /f:3 error a \(analyzer\): window\.duraton is not an analyzer property; did you mean "window\.duration"\?/],
    [{ 'window.duration': 'soon' }, /window\.duration = "soon" is not a positive duration/],
    [{ outputMode: 'full' }, /outputMode = "full" is not valid; use one of complete, update, append/],
    [{ outputMode: 'append' }, /append needs a watermark/],
    [{ watermark: '10m' }, /watermark is set but time = processing/],
    [{ 'queries.foo.groupBy': 'ip' }, /queries\.foo\.groupBy is for query "foo", which is not in queries/],
    [{ queries: 'x', 'queries.x.groupBy': 'host' }, /unknown field "host"/],
    [{ queries: 'x', 'queries.x.filter': 'status >= "4"' }, /integer/],
    [{ queries: 'x', 'queries.x.orderBy': 'ip desc' }, /cannot order by "ip"/],
    [{ sinks: 'out', }, /sink "out" has unknown type "out"/],
    [{ sinks: 'jsonl' }, /sinks\.jsonl\.path is missing/],
    [{ 'sinks.console.format': 'spark2' }, /use one of spark3\.0, spark3\.1, spark3\.5/],
    [{ timeZone: 'Mars/Base' }, /is not a time zone/],
    [{ 'source.type': 'file' }, /source\.file\.path is missing/],
    [{ 'window.slide': '2m' }, /longer than window\.duration/],
    [{ type: 'memory' }, /set type = analyzer/],
  ])('rejects %j', (extra, msg) => {
    const p = propMap({ type: 'analyzer', ...extra });
    for (const v of p.values()) v.line = 3;
    expect(() => parseAnalyzerConfig('a', 'f', p)).toThrow(msg);
  });

  it('reports every problem at once', () => {
    expect(() => parseAnalyzerConfig('a', 'f', propMap({ type: 'analyzer', outputMode: 'x', time: 'y' }))).toThrow(/2 problems in f; analyzer "a" was not started/);
  });

  it('describes every property with a description', () => {
    const d = describeAnalyzerProperties();
    expect(d.length).toBeGreaterThan(25);
    for (const p of d) expect(p.description.length, p.name).toBeGreaterThan(10);
    expect(d.find((p) => p.name === 'window.duration')?.default).toBe('60s');
  });
});

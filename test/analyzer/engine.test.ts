import { describe, expect, it } from 'vitest';
import { AnalyzerEngine, type EngineOptions, type OutputRow } from '../../src/analyzer/engine.js';
import { parseFilter, parseGroupBy, parseOrderBy, SEED_QUERIES, type QuerySpec } from '../../src/analyzer/query.js';

function q(name: string, groupBy = '', filter = '', orderBy = 'window desc, count desc'): QuerySpec {
  const g = parseGroupBy(groupBy);
  const f = parseFilter(filter);
  return { name, groupBy: g, filterText: filter, filter: f.fn, filterFields: f.fields, orderBy: parseOrderBy(orderBy, g), countColumn: 'count' };
}
function seed(name: keyof typeof SEED_QUERIES): QuerySpec {
  const s = SEED_QUERIES[name]!;
  return { ...q(name, s.groupBy, s.filter, s.orderBy), countColumn: s.countColumn };
}

function engine(o: Partial<EngineOptions> & { queries: QuerySpec[] }): AnalyzerEngine {
  return new AnalyzerEngine({
    time: 'event', windowMs: 60_000, slideMs: 60_000, startMs: 0, watermarkMs: null, outputMode: 'complete',
    dropMalformed: false, maxKeysPerWindow: 0, maxWindows: 0, ...o,
  });
}

/** A CLF line at UTC time hh:mm:ss on 01/Jul/1995. */
function line(hms: string, opts: { ip?: string; status?: number; endpoint?: string; method?: string; bytes?: string } = {}): string {
  return `${opts.ip ?? 'h'} - - [01/Jul/1995:${hms} +0000] "${opts.method ?? 'GET'} ${opts.endpoint ?? '/'} HTTP/1.0" ${opts.status ?? 200} ${opts.bytes ?? '1'}`;
}
const T = (hms: string): number => Date.parse(`1995-07-01T${hms}Z`);
const simple = (rows: OutputRow[]): Array<[string, unknown[], number]> =>
  rows.map((r) => [`${new Date(r.windowStart).toISOString().slice(11, 19)}-${new Date(r.windowEnd).toISOString().slice(11, 19)}`, r.dims, r.count]);

describe('AnalyzerEngine', () => {
  it('processing time: every row of a batch gets the batch time (one window per batch)', () => {
    const e = engine({ time: 'processing', queries: [seed('total_requests'), seed('status_distribution')] });
    e.beginBatch(T('10:00:30'));
    e.processLine(line('00:00:00'));
    e.processLine(line('23:59:59', { status: 404 }));
    e.processLine('not a log line');
    let b = e.endBatch();
    expect(b.batchId).toBe(0);
    expect(simple(b.queries[0]!.rows())).toEqual([['10:00:00-10:01:00', [], 3]]);
    expect(simple(b.queries[1]!.rows())).toEqual([['10:00:00-10:01:00', [null], 1], ['10:00:00-10:01:00', [200], 1], ['10:00:00-10:01:00', [404], 1]]);
    e.beginBatch(T('10:01:00'));
    e.processLine(line('00:00:00'));
    b = e.endBatch();
    expect(b.batchId).toBe(1);
    // complete mode: all windows, newest first
    expect(simple(b.queries[0]!.rows())).toEqual([['10:01:00-10:02:00', [], 1], ['10:00:00-10:01:00', [], 3]]);
    expect(b.metrics.malformed).toBe(1);
  });

  it('event time: tumbling windows from the line timestamps; rows without a valid time are not counted', () => {
    const e = engine({ queries: [seed('total_requests')] });
    e.beginBatch(0);
    for (const t of ['00:00:00', '00:00:59', '00:01:00', '00:03:10']) e.processLine(line(t));
    e.processLine('h - - [31/Apr/1995:00:00:00 +0000] "GET / HTTP/1.0" 200 1');
    const b = e.endBatch();
    expect(simple(b.queries[0]!.rows())).toEqual([['00:03:00-00:04:00', [], 1], ['00:01:00-00:02:00', [], 1], ['00:00:00-00:01:00', [], 2]]);
    expect(b.metrics.noEventTime).toBe(1);
  });

  it('sliding windows: each row is in duration/slide windows', () => {
    const e = engine({ windowMs: 60_000, slideMs: 20_000, queries: [q('c', '', '', 'window asc')] });
    e.beginBatch(0);
    e.processLine(line('00:00:30'));
    const b = e.endBatch();
    expect(simple(b.queries[0]!.rows())).toEqual([['23:59:40-00:00:40', [], 1], ['00:00:00-00:01:00', [], 1], ['00:00:20-00:01:20', [], 1]]);
  });

  it('window startTime shifts the window starts', () => {
    const e = engine({ startMs: 15_000, queries: [seed('total_requests')] });
    e.beginBatch(0);
    e.processLine(line('00:00:10'));
    e.processLine(line('00:00:20'));
    expect(simple(e.endBatch().queries[0]!.rows())).toEqual([['00:00:15-00:01:15', [], 1], ['23:59:15-00:00:15', [], 1]]);
  });

  it('filters and orders like the seed (error_rates: status >= 400, window desc, status asc)', () => {
    const e = engine({ queries: [seed('error_rates'), seed('endpoint_traffic')] });
    e.beginBatch(0);
    for (const s of [404, 200, 500, 404, 403]) e.processLine(line('00:00:01', { status: s, endpoint: `/e${s}` }));
    e.processLine(line('00:01:01', { status: 404, endpoint: '/z' }));
    const b = e.endBatch();
    expect(simple(b.queries[0]!.rows())).toEqual([['00:01:00-00:02:00', [404], 1], ['00:00:00-00:01:00', [403], 1], ['00:00:00-00:01:00', [404], 2], ['00:00:00-00:01:00', [500], 1]]);
    // count desc, ties by endpoint ascending
    expect(simple(b.queries[1]!.rows(3))).toEqual([['00:01:00-00:02:00', ['/z'], 1], ['00:00:00-00:01:00', ['/e404'], 2], ['00:00:00-00:01:00', ['/e200'], 1]]);
    expect(b.queries[1]!.totalRows()).toBe(5);
  });

  it('watermark: late rows are dropped, update mode emits only changed rows and evicts closed windows', () => {
    const e = engine({ watermarkMs: 60_000, outputMode: 'update', queries: [seed('total_requests')] });
    e.beginBatch(0);
    e.processLine(line('00:00:10'));
    e.processLine(line('00:05:10'));
    let b = e.endBatch();
    // watermark = 00:04:10: window 00:00 is evicted at the end of the batch
    expect(b.watermarkMs).toBe(T('00:04:10'));
    // both rows changed in this batch; the closed window is reported once more, then evicted
    expect(simple(b.queries[0]!.rows())).toEqual([['00:05:00-00:06:00', [], 1], ['00:00:00-00:01:00', [], 1]]);
    expect(e.stateCells()).toBe(1);
    e.beginBatch(0);
    e.processLine(line('00:03:59')); // window ends 00:04:00 <= watermark: late
    e.processLine(line('00:04:30')); // window 00:04-00:05 still open
    b = e.endBatch();
    expect(b.metrics.lateRows).toBe(1);
    expect(simple(b.queries[0]!.rows())).toEqual([['00:04:00-00:05:00', [], 1]]);
    expect(simple(b.queries[0]!.updatedRows())).toEqual([['00:04:00-00:05:00', [], 1]]);
  });

  it('append mode emits a window once, when the watermark passes its end', () => {
    const e = engine({ watermarkMs: 0, outputMode: 'append', queries: [seed('total_requests')] });
    e.beginBatch(0);
    e.processLine(line('00:00:10'));
    e.processLine(line('00:00:20'));
    let b = e.endBatch();
    expect(b.queries[0]!.rows()).toEqual([]);
    e.beginBatch(0);
    e.processLine(line('00:01:00'));
    b = e.endBatch();
    expect(simple(b.queries[0]!.rows())).toEqual([['00:00:00-00:01:00', [], 2]]);
    expect(e.stateCells()).toBe(1); // only 00:01-00:02 is still open
  });

  it('caps distinct keys per window and counts the rows it could not count', () => {
    const warnings: string[] = [];
    const e = new AnalyzerEngine({
      time: 'event', windowMs: 60_000, slideMs: 60_000, startMs: 0, watermarkMs: null, outputMode: 'complete',
      dropMalformed: false, maxKeysPerWindow: 2, maxWindows: 0, queries: [seed('ip_traffic')],
    }, (m) => warnings.push(m));
    e.beginBatch(0);
    for (const ip of ['a', 'b', 'c', 'a', 'd']) e.processLine(line('00:00:01', { ip }));
    const b = e.endBatch();
    expect(simple(b.queries[0]!.rows())).toEqual([['00:00:00-00:01:00', ['a'], 2], ['00:00:00-00:01:00', ['b'], 1]]);
    expect(b.metrics.cappedRows).toBe(2);
    expect(warnings).toHaveLength(1);
  });

  it('maxWindows keeps only the newest windows (bounded complete mode)', () => {
    const e = engine({ maxWindows: 2, queries: [seed('total_requests')] });
    e.beginBatch(0);
    for (const t of ['00:00:01', '00:01:01', '00:02:01', '00:03:01']) e.processLine(line(t));
    const b = e.endBatch();
    expect(simple(b.queries[0]!.rows())).toEqual([['00:03:00-00:04:00', [], 1], ['00:02:00-00:03:00', [], 1]]);
    expect(b.metrics.evictedWindows).toBe(2);
  });

  it('malformed = drop does not count lines the regexes do not match', () => {
    const e = engine({ time: 'processing', dropMalformed: true, queries: [seed('total_requests')] });
    e.beginBatch(0);
    e.processLine('');
    e.processLine(null);
    e.processLine(line('00:00:01'));
    const b = e.endBatch();
    expect(b.queries[0]!.rows()[0]!.count).toBe(1);
    expect(b.metrics).toMatchObject({ lines: 3, malformed: 2, droppedMalformed: 2 });
  });

  it('groups by several fields', () => {
    const e = engine({ queries: [q('m', 'method status', '', 'window desc, method asc, status desc')] });
    e.beginBatch(0);
    e.processLine(line('00:00:01', { method: 'GET', status: 200 }));
    e.processLine(line('00:00:02', { method: 'GET', status: 404 }));
    e.processLine(line('00:00:03', { method: 'HEAD', status: 200 }));
    e.processLine(line('00:00:04', { method: 'GET', status: 404 }));
    const b = e.endBatch();
    expect(simple(b.queries[0]!.rows()).map((r) => [r[1], r[2]])).toEqual([[['GET', 404], 2], [['GET', 200], 1], [['HEAD', 200], 1]]);
  });

  it('snapshot and restore give the same state and batch numbering', () => {
    const mk = (): AnalyzerEngine => engine({ queries: [seed('total_requests'), seed('ip_traffic'), q('mb', 'method bytes')] });
    const a = mk();
    a.beginBatch(0);
    for (const ip of ['x', 'y', 'x']) a.processLine(line('00:00:01', { ip, bytes: '-' }));
    a.endBatch();
    const b = mk();
    b.restore(JSON.parse(JSON.stringify(a.snapshot())) as ReturnType<AnalyzerEngine['snapshot']>);
    for (const e of [a, b]) {
      e.beginBatch(0);
      e.processLine(line('00:00:02', { ip: 'x', bytes: '-' }));
    }
    const ra = a.endBatch();
    const rb = b.endBatch();
    expect(rb.batchId).toBe(ra.batchId);
    for (let i = 0; i < 3; i++) expect(rb.queries[i]!.rows()).toEqual(ra.queries[i]!.rows());
    expect(ra.queries[1]!.rows()[0]!.count).toBe(3);
  });
});

describe('query parsing', () => {
  it.each([
    ['status >= 400', [200, 399, 400, 404, null], [false, false, true, true, false]],
    ['status in (403, 404)', [403, 404, 200, null], [true, true, false, false]],
    ['status not in (200)', [403, 200, null], [true, false, false]],
    ['status is null', [null, 200], [true, false]],
    ['status != 200', [200, 404, null], [false, true, false]],
    ['status <> 200', [200, 404, null], [false, true, false]],
    ['status = 404', [404, 400, null], [true, false, false]],
    ['status == 404', [404, 400, null], [true, false, false]],
    ['status < 300', [299, 300, null], [true, false, false]],
    ['status <= 300', [300, 301, null], [true, false, false]],
    ['status > 499', [500, 499, null], [true, false, false]],
    ['bytes > 1000', [1001, 1000, null], [true, false, false]],
    ['bytes = 0', [0, 1, null], [true, false, false]],
  ])('filter %s', (text, values, want) => {
    const f = parseFilter(text).fn!;
    const field = text.startsWith('bytes') ? 'bytes' : 'status';
    expect(values.map((v) => f({ ip: null, timestamp: null, method: null, endpoint: null, protocol: null, status: null, bytes: null, eventTime: null, [field]: v }))).toEqual(want);
  });
  it('string filters with and', () => {
    const f = parseFilter("method = 'GET' and endpoint > '/m'").fn!;
    const p = (method: string, endpoint: string) => ({ ip: null, timestamp: null, method, endpoint, protocol: null, status: null, bytes: null, eventTime: null });
    expect([f(p('GET', '/z')), f(p('GET', '/a')), f(p('HEAD', '/z'))]).toEqual([true, false, false]);
  });
  it.each([
    ['stat >= 400', /unknown field "stat"/],
    ["status = '200'", /integer/],
    ['method = GET', /cannot read value/],
    ['status ~ 4', /cannot read condition/],
  ])('rejects %s', (text, msg) => {
    expect(() => parseFilter(text)).toThrow(msg);
  });
  it('order keys must be known columns', () => {
    expect(() => parseOrderBy('window desc, ip asc', [])).toThrow(/cannot order by "ip"/);
    expect(parseOrderBy('window desc, count', [])).toEqual([{ column: 'window', desc: true }, { column: 'count', desc: false }]);
  });
});

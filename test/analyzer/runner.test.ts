import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { propMap, startAnalyzer, startAnalyzerAgent, type BatchResult } from '../../src/analyzer/index.js';

const L = (hms: string, status = 200, ip = 'h'): string => `${ip} - - [01/Jul/1995:${hms} +0000] "GET /x HTTP/1.0" ${status} 1`;

function sink(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let s = '';
  out.on('data', (c: Buffer) => { s += c.toString(); });
  return { out, text: () => s };
}

describe('analyzer runner', () => {
  it('reads a gzip file as one batch and prints every query', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'analyzer-run-'));
    const f = join(dir, 'a.log.gz');
    writeFileSync(f, gzipSync([L('00:00:01'), L('00:00:02', 404), L('00:01:00')].join('\r\n') + '\r\n'));
    const o = sink();
    const h = await startAnalyzerAgent({
      agentName: 'an', file: 'x.conf', out: o.out,
      props: propMap({ type: 'analyzer', 'source.type': 'file', 'source.file.path': f, time: 'event', trigger: 'available', timeZone: 'UTC', queries: 'total_requests error_rates' }),
    });
    await h.done;
    expect(o.text()).toBe([
      '-------------------------------------------', 'Batch: 0', '-------------------------------------------',
      '+------------------------------------------+--------------+',
      '|window                                    |total_requests|',
      '+------------------------------------------+--------------+',
      '|{1995-07-01 00:01:00, 1995-07-01 00:02:00}|1             |',
      '|{1995-07-01 00:00:00, 1995-07-01 00:01:00}|2             |',
      '+------------------------------------------+--------------+', '',
      '-------------------------------------------', 'Batch: 0', '-------------------------------------------',
      '+------------------------------------------+------+-----+',
      '|window                                    |status|count|',
      '+------------------------------------------+------+-----+',
      '|{1995-07-01 00:00:00, 1995-07-01 00:01:00}|404   |1    |',
      '+------------------------------------------+------+-----+', '', '',
    ].join('\n'));
  });

  it('stdin with a processing-time trigger: batches at ticks, stamped with the tick; idle ticks run no batch', async () => {
    const stdin = new PassThrough();
    const o = sink();
    const batches: BatchResult[] = [];
    const h = await startAnalyzer({
      agentName: 'an', file: 'x', out: o.out, stdin,
      props: propMap({ type: 'analyzer', 'source.type': 'stdin', trigger: '1s', 'window.duration': '1s', queries: 'total_requests', sinks: 'results', timeZone: 'UTC' }),
      onBatch: (b) => batches.push(b),
    });
    stdin.write(L('00:00:01') + '\n' + L('00:00:02') + '\n');
    await new Promise((r) => setTimeout(r, 2600));
    stdin.write(L('00:00:03') + '\n');
    await new Promise((r) => setTimeout(r, 1200));
    stdin.end(L('00:00:04'));
    await h.done;
    expect(batches[0]!.records).toBe(0); // batch 0 runs at start, like Spark's
    const withData = batches.filter((b) => b.records > 0);
    expect(withData.map((b) => b.records)).toEqual([2, 1, 1]);
    expect(batches.map((b) => b.batchId)).toEqual(batches.map((_, i) => i));
    for (const b of withData.slice(0, 2)) {
      expect(b.batchTimeMs % 1000).toBe(0);
      const own = b.queries[0]!.rows().find((r) => r.windowStart === b.batchTimeMs);
      expect(own?.count).toBe(b.records);
    }
    const results = (h as { results: { getLatest(): { batchId: number; queries: Record<string, { rows: unknown[] }> } | null } | null }).results;
    expect(results?.getLatest()?.batchId).toBe(batches.at(-1)!.batchId);
    expect(results?.getLatest()?.queries.total_requests?.rows.length).toBeGreaterThan(0);
  }, 15_000);

  it('jsonl sink writes one object per updated row; checkpointed file input resumes after the lines read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'analyzer-run-'));
    const f = join(dir, 'a.log');
    const out = join(dir, 'rows.jsonl');
    writeFileSync(f, [L('00:00:01'), L('00:00:02'), L('00:00:03', 500), L('00:01:04')].join('\n') + '\n');
    const props = {
      type: 'analyzer', 'source.type': 'file', 'source.file.path': f, time: 'event', trigger: 'available', 'source.maxRecordsPerBatch': 2,
      timeZone: 'UTC', queries: 'total_requests', sinks: 'j', 'sinks.j.type': 'jsonl', 'sinks.j.path': out, 'checkpoint.dir': join(dir, 'ck'), outputMode: 'update',
    };
    let h = await startAnalyzer({ agentName: 'an', file: 'x', out: new PassThrough(), props: propMap(props) });
    await h.done;
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toEqual([
      { query: 'total_requests', batch: 0, window: { start: '1995-07-01 00:00:00', end: '1995-07-01 00:01:00', startMs: Date.UTC(1995, 6, 1), endMs: Date.UTC(1995, 6, 1, 0, 1) }, total_requests: 2 },
      expect.objectContaining({ batch: 1, total_requests: 3 }),
      expect.objectContaining({ batch: 1, total_requests: 1, window: expect.objectContaining({ start: '1995-07-01 00:01:00' }) as unknown }),
    ]);
    // More lines appended: a restart counts only them, on top of the checkpointed state.
    writeFileSync(f, L('00:01:05') + '\n', { flag: 'a' });
    const batches: BatchResult[] = [];
    h = await startAnalyzer({ agentName: 'an', file: 'x', out: new PassThrough(), props: propMap(props), onBatch: (b) => batches.push(b) });
    await h.done;
    expect(batches).toHaveLength(1);
    expect(batches[0]!.batchId).toBe(2);
    expect(batches[0]!.records).toBe(1);
    expect(batches[0]!.queries[0]!.updatedRows().map((r) => r.count)).toEqual([2]);
    expect(batches[0]!.metrics.lines).toBe(5);
    // The same checkpoint.dir for another file is refused.
    await expect(startAnalyzer({ agentName: 'an', file: 'x', out: new PassThrough(), props: propMap({ ...props, 'source.file.path': join(dir, 'other.log') }) }))
      .rejects.toThrow(/holds a checkpoint of another source \(file .*a\.log\)/);
  });

  it('rejects a bad configuration with every problem, before starting', async () => {
    await expect(startAnalyzerAgent({ agentName: 'an', file: 'x.conf', out: new PassThrough(), props: propMap({ type: 'analyzer', 'source.type': 'file', trigger: 'never' }) }))
      .rejects.toThrow(/source\.file\.path is missing[\s\S]*trigger = "never"[\s\S]*2 problems in x\.conf/);
  });
});

describe('analyzer runner, Kafka unreachable', () => {
  it('starts (the configuration is valid) and fails `done` with the broker error', async () => {
    const h = await startAnalyzer({
      agentName: 'an', file: 'x', out: new PassThrough(),
      props: propMap({ type: 'analyzer', 'source.kafka.bootstrap.servers': '127.0.0.1:1', 'source.kafka.topics': 't', trigger: '1s' }),
    });
    await expect(h.done).rejects.toThrow();
    await h.stop().catch(() => undefined);
  }, 120_000);
});

/**
 * Differential test of the analyzer against real PySpark (installed from PyPI by
 * bench/anchors/pyspark.sh into .stack/pyspark-venv when missing).
 *
 * Input: the real NASA July 1995 sample (124,979 lines, ../shared/data/nasa), 30,000 lines of the
 * project's generator (`tsagent generate`, with its quirks, another zone, 3 July) and a
 * hand-written file of quirks (empty line, invalid UTF-8, CR / CRLF line ends, impossible dates,
 * lowercase months, other zones, full-width and astral characters, control characters, an int
 * overflow, lines with no fields). Event time, 60-second windows, session zone UTC.
 *
 * Checks: (1) every row of each of the six queries equals Spark's (spark.read.text + the seed's
 * expressions), in Spark's order; (2) the analyzer's console output equals, byte for byte, what
 * Spark's streaming console sink printed for the same input (complete mode, truncate=false,
 * numRows=20, Batch: 0). The order adds the group-by value as a tie-break on both sides, since
 * Spark's order of ties is arbitrary.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { propMap, startAnalyzer, type BatchResult } from '../../src/analyzer/index.js';
import { writeGenerated } from '../../src/tools/generate.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NASA = resolve(ROOT, '../shared/data/nasa/NASA_access_log_Jul95.head-124979.txt.gz');

const QUIRKS: Buffer[] = [
  Buffer.from('199.72.81.55 - - [01/Jul/1995:00:00:01 -0400] "GET /history/apollo/ HTTP/1.0" 200 6245'),
  Buffer.from(''),
  Buffer.concat([Buffer.from('h1 - - [01/Jul/1995:00:00:59 -0400] "GET /shuttle/countdown/dy '), Buffer.from([0x80]), Buffer.from('?shuttle%20tracking HTTP/1.0" 200 1')]),
  Buffer.from('h2 - - [01/Jul/1995:00:01:00 -0400] "GET /ksc.html" 200 7074\r'), // CR then LF: one line end
  Buffer.from('h3 - - [31/Apr/1995:00:01:00 -0400] "GET /bad-date HTTP/1.0" 200 1'),
  Buffer.from('h4 - - [01/jul/1995:00:01:30 +0530] "HEAD /lower HTTP/1.0" 404 -'),
  Buffer.from('h5 - - [01/Jul/1995:00:02:00 -0400] "GET /数据 HTTP/1.0" 200 99999999999'),
  Buffer.from('h6 - - [01/Jul/1995:00:02:00 -0400] "GET /bell\x07x HTTP/1.0" 500 12'),
  Buffer.from('h7 - - [01/Jul/1995:00:02:00 -0400] "GET\t/tab HTTP/1.0" 200 1'),
  Buffer.from('h8 - - [01/Jul/1995:00:02:01 -0400] "POST /😀 HTTP/1.0" 200 0'),
  Buffer.from('garbage line without anything'),
  Buffer.from('  leading spaces - - [01/Jul/1995:00:02:02 -0400] "GET / HTTP/1.0" 200 1'),
  Buffer.from('h9 - - [01/Jul/1995:00:02:03 -0400] "GET /x   HTTP/1.0" 302 -'),
  Buffer.from('h10 - - [01/Jul/1995:00:02:03 -0400] "GET /Ａwide HTTP/1.0" 403 -\rh11 - - [01/Jul/1995:00:02:04 -0400] "GET /cr-split HTTP/1.0" 200 5'),
  Buffer.from('h12 - - [02/Jul/1995:23:59:59 -0400] "GET /a-rather-long-endpoint-name-to-widen-the-column-beyond-everything-else HTTP/1.0" 304 0'),
];

const QUERIES = ['total_requests', 'status_distribution', 'endpoint_traffic', 'method_distribution', 'ip_traffic', 'error_rates'];

let work = '';
let input = '';
let sparkConsole = '';

beforeAll(async () => {
  const py = execFileSync('bash', [join(ROOT, 'bench/anchors/pyspark.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
  work = mkdtempSync(join(tmpdir(), 'analyzer-spark-diff-'));
  const dir = join(work, 'in');
  mkdirSync(dir);
  input = join(dir, 'input.log');
  const quirks = Buffer.concat(QUIRKS.flatMap((b) => [b, Buffer.from('\n')]));
  const gen = join(work, 'generated.log');
  await writeGenerated(gen, { lines: 30_000, seed: 6, start: '1995-07-03T00:00:00+02:00', utcOffsetMinutes: 120, quirks: true });
  writeFileSync(input, Buffer.concat([gunzipSync(readFileSync(NASA)), readFileSync(gen), quirks]));
  const r = spawnSync(py, [join(ROOT, 'bench/analyzer/spark_job.py'), 'diff', dir, join(work, 'rows')], {
    encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, SPARK_TZ: 'UTC', PYSPARK_PYTHON: py },
  });
  if (r.status !== 0) throw new Error(`PySpark job failed (${r.status}): ${r.stderr.slice(-3000)}`);
  sparkConsole = r.stdout;
}, 600_000);

async function runAnalyzer(format: 'spark3.5' | 'spark3.0'): Promise<{ console: string; batches: BatchResult[]; rows: Record<string, unknown[][]> }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => { text += c.toString('utf8'); });
  const rows: Record<string, unknown[][]> = {};
  const batches: BatchResult[] = [];
  const h = await startAnalyzer({
    agentName: 'analyzer', file: 'test', out,
    props: propMap({
      type: 'analyzer', 'source.type': 'file', 'source.file.path': input, time: 'event', timeZone: 'UTC', trigger: 'available',
      'sinks.console.format': format,
    }),
    onBatch: (b) => {
      batches.push(b);
      for (const q of b.queries) {
        rows[q.spec.name] = q.rows().map((r) => [r.windowStart / 1000, r.windowEnd / 1000, r.dims.length ? r.dims[0] : null, r.count]);
      }
    },
  });
  await h.done;
  return { console: text, batches, rows };
}

describe('analyzer vs PySpark (event time, NASA July sample + quirks)', () => {
  it('gives exactly the rows Spark gives, for each of the six queries, in Spark order', async () => {
    const { rows, batches } = await runAnalyzer('spark3.5');
    expect(batches).toHaveLength(1);
    for (const q of QUERIES) {
      const spark = readFileSync(join(work, 'rows', `${q}.json`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown[]);
      expect(spark.length, q).toBeGreaterThan(0);
      expect(rows[q], q).toEqual(spark);
    }
  });

  it("prints the same bytes as Spark's console sink", async () => {
    const { console: ours } = await runAnalyzer('spark3.5');
    expect(sparkConsole).toContain('Batch: 0');
    expect(ours).toBe(sparkConsole);
  });

  it('spark3.0 format differs only in the window brackets', async () => {
    const { console: ours } = await runAnalyzer('spark3.0');
    const converted = sparkConsole.replace(/\{(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d), (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\}/g, '[$1, $2]');
    // Spark 3.0 does not escape control characters: the bell stays raw.
    expect(ours).toBe(converted.replace('/bell\\ax', '/bell\x07x'));
  });
});

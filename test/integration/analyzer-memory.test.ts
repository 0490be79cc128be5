/**
 * Bounded memory: 10 million generated log lines through the six seed queries in event time with
 * a watermark (update mode, so closed windows are evicted). The state (window x key cells) and
 * the heap must stay flat: measured after every 100,000-line micro-batch, after a forced GC.
 * Each minute of log time has fresh random client IPs, so a leak of evicted windows would grow
 * the state by ~12,000 cells per window (more than 10 million cells in total).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AnalyzerEngine } from '../../src/analyzer/engine.js';
import { parseFilter, parseGroupBy, parseOrderBy, SEED_QUERIES, type QuerySpec } from '../../src/analyzer/query.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => (n < 10 ? '0' : '') + n;
function clf(ms: number): string {
  const d = new Date(ms);
  return `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

describe('analyzer memory', () => {
  it('stays bounded over 10,000,000 event-time lines with a watermark', () => {
    const queries: QuerySpec[] = Object.entries(SEED_QUERIES).map(([name, s]) => {
      const g = parseGroupBy(s.groupBy);
      const f = parseFilter(s.filter);
      return { name, groupBy: g, filterText: s.filter, filter: f.fn, filterFields: f.fields, orderBy: parseOrderBy(s.orderBy, g), countColumn: s.countColumn };
    });
    const e = new AnalyzerEngine({
      time: 'event', windowMs: 60_000, slideMs: 60_000, startMs: 0, watermarkMs: 120_000, outputMode: 'update',
      dropMalformed: false, maxKeysPerWindow: 1_000_000, maxWindows: 0, queries,
    });
    const TOTAL = 10_000_000;
    const BATCH = 100_000;
    const PER_SECOND = 200; // 12,000 lines per one-minute window
    const t0 = Date.UTC(1995, 6, 1);
    const statuses = [200, 200, 200, 200, 200, 200, 304, 302, 404, 500];
    let seed = 42;
    const rnd = (): number => {
      // xorshift32
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const heap: number[] = [];
    const cells: number[] = [];
    const dictValues: number[] = [];
    let ts = '';
    let tsSecond = -1;
    for (let b = 0; b < TOTAL / BATCH; b++) {
      e.beginBatch(0);
      for (let i = 0; i < BATCH; i++) {
        const n = b * BATCH + i;
        const second = Math.floor(n / PER_SECOND);
        if (second !== tsSecond) {
          tsSecond = second;
          ts = clf(t0 + second * 1000);
        }
        const r = rnd();
        const line = `10.${(r >>> 8) & 255}.${(r >>> 16) & 255}.${r & 255} - - [${ts}] "GET /page/${r % 5000}.html HTTP/1.0" ${statuses[r % 10]} ${r % 10000}`;
        e.processLine(line);
      }
      const res = e.endBatch();
      res.queries[4]!.updatedRows(); // what a sink would read
      if (b % 5 === 4) {
        gc();
        heap.push(process.memoryUsage().heapUsed);
        cells.push(e.stateCells());
        dictValues.push(e.dictionaryValues());
      }
    }
    expect(e.metrics.lines).toBe(TOTAL);
    expect(e.metrics.lateRows).toBe(0);
    // ~833 windows were evicted per query; only the last few windows stay in state.
    expect(e.metrics.evictedWindows).toBeGreaterThan(6 * 800);
    const maxCells = Math.max(...cells);
    expect(maxCells).toBeLessThan(200_000);
    // The value dictionaries (10 million distinct-ish IPs went through) are compacted: they hold
    // the values of the live windows plus at most one doubling.
    const maxDict = Math.max(...dictValues);
    expect(maxDict).toBeLessThan(400_000);
    const early = heap.slice(2, 6);
    const late = heap.slice(-4);
    const mb = (x: number): number => Math.round(x / 1048576);
    console.log(`analyzer memory: state cells max ${maxCells}; dictionary values max ${maxDict}; heapUsed MiB early ${early.map(mb).join(',')} late ${late.map(mb).join(',')}; rss ${mb(process.memoryUsage().rss)} MiB`);
    // Flat: the heap at the end is within 32 MiB of the heap after the first 1-3 million lines.
    expect(Math.max(...late)).toBeLessThan(Math.max(...early) + 32 * 1048576);
  }, 600_000);
});

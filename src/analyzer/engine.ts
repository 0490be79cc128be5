/**
 * The window aggregation engine: Spark's groupBy(window(time, duration, slide), dims...).count()
 * as a micro-batch stream.
 *
 * Contract (who calls what): the runner calls beginBatch(batchTimeMs) once, then processLine()
 * for every record of the micro-batch (as the records arrive; aggregation is eager, nothing
 * is buffered), then endBatch(), which advances the watermark, evicts state and returns the
 * batch's results. Single-threaded; no I/O.
 *
 * Time semantics:
 * - processing time: every row of a batch gets the batch time (Spark's current_timestamp(),
 *   evaluated once per micro-batch);
 * - event time: the line's own `[dd/MMM/yyyy:HH:mm:ss Z]` timestamp; rows without a valid
 *   one are not counted (Spark's window() filters null times), and are counted in
 *   metrics.noEventTime.
 * Windows: start = t - ((t - startTime + slide) % slide) - i*slide for i < ceil(duration/slide),
 * kept when start <= t < start + duration (Spark's TimeWindowing rule).
 * Watermark (event time, when a delay is set): max event time seen in earlier batches minus
 * the delay; a row whose window ends at or before the watermark in force at the start of its
 * batch is late and dropped (metrics.lateRows). In update and append modes the state of a
 * window is evicted once its end <= the watermark computed at the end of the batch (append mode
 * emits it then, in the same batch: Spark needs one more, possibly empty, batch for that).
 * Complete mode keeps every window (as Spark does) unless state.maxWindows bounds it.
 */
import { F_EVENT_TIME, F_TIMESTAMP, FIELD_BITS, MALFORMED_MASK, emptyParsedLine, isMalformed, parseLine, parseRegion, type FieldName, type ParsedLine } from './parse.js';
import { compareStrings, type DimValue, type OrderKey, type QuerySpec } from './query.js';

export type OutputMode = 'complete' | 'update' | 'append';
export type TimeMode = 'processing' | 'event';

export interface EngineOptions {
  time: TimeMode;
  windowMs: number;
  slideMs: number;
  startMs: number;
  /** Watermark delay (event time only); null = no watermark. */
  watermarkMs: number | null;
  outputMode: OutputMode;
  queries: QuerySpec[];
  dropMalformed: boolean;
  /** Distinct keys per window and query; new keys past it are not counted (metrics.cappedRows). 0 = no cap. */
  maxKeysPerWindow: number;
  /** Windows kept per query; the oldest are evicted past it. 0 = no limit. */
  maxWindows: number;
}

export interface EngineMetrics {
  lines: number;
  malformed: number;
  droppedMalformed: number;
  noEventTime: number;
  lateRows: number;
  cappedRows: number;
  evictedWindows: number;
}

export interface OutputRow {
  windowStart: number;
  windowEnd: number;
  /** Values of the query's group-by fields, in order. */
  dims: DimValue[];
  count: number;
}

interface Cell {
  dims: DimValue[];
  count: number;
  /** Last batch that changed this cell. */
  batch: number;
}

interface WindowState {
  start: number;
  end: number;
  cells: Map<unknown, Cell>;
  batch: number;
  capped: boolean;
}

class QueryState {
  readonly windows = new Map<number, WindowState>();
  /** The window hit by the previous row (logs are mostly time-ordered). */
  last: WindowState | null = null;
  readonly dimBits: number[];
  /** The Map key of a row: monomorphic getters compiled once per query (no keyed loads per row). */
  readonly key: (p: ParsedLine) => unknown;
  /** 0 = no group-by, 1 ip, 2 endpoint, 3 status, 4 method (read inline), 5 = other: call key(). */
  readonly keyKind: number;
  cappedRows = 0;
  constructor(readonly spec: QuerySpec) {
    this.dimBits = spec.groupBy.map((f) => FIELD_BITS[f]);
    const g = spec.groupBy;
    const one = g.length === 1 ? ['ip', 'endpoint', 'status', 'method'].indexOf(g[0]!) : -1;
    this.keyKind = g.length === 0 ? 0 : one >= 0 ? one + 1 : 5;
    this.key = g.length === 0 ? () => '' : g.length === 1 ? GETTERS[g[0]!] : (p) => multiKey(g, p);
  }
}

export interface QueryResult {
  spec: QuerySpec;
  /** Column names: window, the group-by fields, the count column. */
  columns: string[];
  /** Rows of the output mode, ordered by the query's orderBy (then group-by values ascending); at most `limit`. */
  rows(limit?: number): OutputRow[];
  /** Number of rows of the output mode. */
  totalRows(): number;
  /** Rows whose count changed in this batch (append mode: the rows finalized in this batch). */
  updatedRows(): OutputRow[];
}

export interface BatchResult {
  batchId: number;
  batchTimeMs: number;
  /** Records processed in this batch. */
  records: number;
  watermarkMs: number | null;
  queries: QueryResult[];
  metrics: EngineMetrics;
}

/** Counts of an engine in flat arrays (see AnalyzerEngine.compactCounts). */
export interface CompactCounts {
  metrics: EngineMetrics;
  maxEventTime: number | null;
  queries: Array<{ name: string; windows: Float64Array; cellWindow: Uint32Array; counts: Float64Array; dims: DimValue[] }>;
}

/** Serializable engine state for checkpoints. */
export interface EngineSnapshot {
  version: 1;
  nextBatchId: number;
  watermark: number | null;
  maxEventTime: number | null;
  metrics: EngineMetrics;
  queries: Array<{ name: string; windows: Array<[number, number, Array<[DimValue[], number]>]> }>;
}

export class AnalyzerEngine {
  readonly metrics: EngineMetrics = { lines: 0, malformed: 0, droppedMalformed: 0, noEventTime: 0, lateRows: 0, cappedRows: 0, evictedWindows: 0 };
  private readonly states: QueryState[];
  private readonly parsed: ParsedLine = emptyParsedLine();
  private readonly mask: number;
  private readonly numOverlapping: number;
  private readonly processing: boolean;
  private readonly dropMalformed: boolean;
  private batchId = 0;
  private batchTime = 0;
  private batchRecords = 0;
  private inBatch = false;
  private watermark: number | null = null;
  private maxEventTime: number | null = null;
  private readonly warn: (msg: string) => void;

  constructor(readonly opts: EngineOptions, warn?: (msg: string) => void) {
    this.warn = warn ?? (() => {});
    this.states = opts.queries.map((q) => new QueryState(q));
    let mask = MALFORMED_MASK;
    for (const q of opts.queries) for (const f of [...q.groupBy, ...q.filterFields]) mask |= FIELD_BITS[f];
    if (opts.time === 'event') mask |= F_TIMESTAMP | F_EVENT_TIME;
    this.mask = mask;
    this.numOverlapping = Math.ceil(opts.windowMs / opts.slideMs);
    this.processing = opts.time === 'processing';
    this.dropMalformed = opts.dropMalformed;
  }

  get nextBatchId(): number {
    return this.batchId;
  }
  get currentWatermark(): number | null {
    return this.watermark;
  }

  beginBatch(batchTimeMs: number): void {
    if (this.inBatch) throw new Error('beginBatch called twice without endBatch');
    this.inBatch = true;
    this.batchTime = batchTimeMs;
    this.batchRecords = 0;
    for (const s of this.states) s.last = null;
  }

  /** Sets the watermark in force (a worker gets its parent's). */
  setWatermark(w: number | null): void {
    this.watermark = w;
  }

  /** Moves the time of the open batch (processing time) while it has no record yet. */
  retime(batchTimeMs: number): void {
    if (this.inBatch && this.batchRecords === 0) this.batchTime = batchTimeMs;
  }

  /** Aggregates one record (null = a Kafka record without a value). */
  processLine(line: string | null): void {
    if (line === null) {
      parseLine(null, this.parsed, this.mask);
      this.aggregate();
    } else this.processRegion(line, 0, line.length);
  }

  /** Aggregates the record text[from, to) (a line of a decoded input chunk). */
  processRegion(text: string, from: number, to: number): void {
    parseRegion(text, from, to, this.parsed, this.mask);
    this.aggregate();
  }

  private aggregate(): void {
    const p = this.parsed;
    this.metrics.lines++;
    this.batchRecords++;
    if (isMalformed(p)) {
      this.metrics.malformed++;
      if (this.dropMalformed) {
        this.metrics.droppedMalformed++;
        return;
      }
    }
    let t: number;
    if (this.processing) t = this.batchTime;
    else {
      const e = p.eventTime;
      if (e === null) {
        this.metrics.noEventTime++;
        return;
      }
      t = e;
      if (this.maxEventTime === null || e > this.maxEventTime) this.maxEventTime = e;
    }
    const states = this.states;
    for (let qi = 0; qi < states.length; qi++) {
      const st = states[qi]!;
      const f = st.spec.filter;
      if (f !== null && !f(p)) continue;
      const last = st.last;
      if (this.numOverlapping === 1 && last !== null && t >= last.start && t < last.end) {
        this.count(st, last, p);
        continue;
      }
      this.assign(st, t, p);
    }
  }

  /** Finds (or creates) the windows of time t for one query and counts the row in each. */
  private assign(st: QueryState, t: number, p: ParsedLine): void {
    const { windowMs, slideMs, startMs } = this.opts;
    const lastStart = t - ((t - startMs + slideMs) % slideMs);
    const wm = this.watermark;
    for (let i = 0; i < this.numOverlapping; i++) {
      const start = lastStart - i * slideMs;
      const end = start + windowMs;
      if (this.numOverlapping > 1 && !(start <= t && t < end)) continue;
      if (wm !== null && end <= wm) {
        this.metrics.lateRows++;
        continue;
      }
      let w = st.windows.get(start);
      if (w === undefined) {
        w = { start, end, cells: new Map(), batch: this.batchId, capped: false };
        st.windows.set(start, w);
      }
      if (i === 0) st.last = w;
      this.count(st, w, p);
    }
  }

  private count(st: QueryState, w: WindowState, p: ParsedLine): void {
    const key = st.keyKind === 0 ? '' : st.keyKind === 1 ? p.ip : st.keyKind === 2 ? p.endpoint : st.keyKind === 3 ? p.status
      : st.keyKind === 4 ? p.method : st.key(p);
    const cell = w.cells.get(key);
    w.batch = this.batchId;
    if (cell !== undefined) {
      cell.count++;
      cell.batch = this.batchId;
      return;
    }
    const cap = this.opts.maxKeysPerWindow;
    if (cap > 0 && w.cells.size >= cap) {
      st.cappedRows++;
      this.metrics.cappedRows++;
      if (!w.capped) {
        w.capped = true;
        this.warn(`analyzer query ${st.spec.name}: window starting ${new Date(w.start).toISOString()} reached state.maxKeysPerWindow (${cap}); rows with new keys are not counted`);
      }
      return;
    }
    const g = st.spec.groupBy;
    const dims: DimValue[] = new Array<DimValue>(g.length);
    for (let i = 0; i < g.length; i++) dims[i] = detach(p[g[i]!]);
    w.cells.set(g.length === 1 ? dims[0] : detach(key as DimValue), { dims, count: 1, batch: this.batchId });
  }

  endBatch(): BatchResult {
    if (!this.inBatch) throw new Error('endBatch called without beginBatch');
    this.inBatch = false;
    const id = this.batchId;
    const o = this.opts;
    if (o.time === 'event' && o.watermarkMs !== null && this.maxEventTime !== null) {
      const w = this.maxEventTime - o.watermarkMs;
      if (this.watermark === null || w > this.watermark) this.watermark = w;
    }
    const finalized: WindowState[][] = this.states.map(() => []);
    for (let qi = 0; qi < this.states.length; qi++) {
      const st = this.states[qi]!;
      if (o.outputMode !== 'complete' && this.watermark !== null) {
        for (const w of st.windows.values()) {
          if (w.end <= this.watermark) {
            st.windows.delete(w.start);
            finalized[qi]!.push(w);
            this.metrics.evictedWindows++;
          }
        }
      }
      if (o.maxWindows > 0 && st.windows.size > o.maxWindows) {
        const starts = [...st.windows.keys()].sort((a, b) => a - b);
        for (let i = 0; i < starts.length - o.maxWindows; i++) {
          const w = st.windows.get(starts[i]!)!;
          st.windows.delete(w.start);
          if (o.outputMode === 'append') finalized[qi]!.push(w);
          this.metrics.evictedWindows++;
        }
      }
      st.last = null;
    }
    const queries = this.states.map((st, qi) => this.result(st, id, finalized[qi]!));
    this.batchId++;
    return { batchId: id, batchTimeMs: this.batchTime, records: this.batchRecords, watermarkMs: this.watermark, queries, metrics: { ...this.metrics } };
  }

  private result(st: QueryState, id: number, finalized: WindowState[]): QueryResult {
    const spec = st.spec;
    const mode = this.opts.outputMode;
    // Update mode: windows evicted in this batch still report the rows this batch changed.
    const windows = mode === 'append' ? finalized : mode === 'update' ? [...st.windows.values(), ...finalized] : [...st.windows.values()];
    const pick = (w: WindowState): Iterable<Cell> => mode === 'update' ? [...w.cells.values()].filter((c) => c.batch === id) : w.cells.values();
    const live = mode === 'update' ? windows.filter((w) => w.batch === id) : windows;
    const cmp = rowComparator(spec.orderBy, spec.groupBy);
    const toRow = (w: WindowState, c: Cell): OutputRow => ({ windowStart: w.start, windowEnd: w.end, dims: c.dims, count: c.count });
    return {
      spec,
      columns: ['window', ...spec.groupBy, spec.countColumn],
      totalRows: () => {
        let n = 0;
        for (const w of live) {
          if (mode === 'update') for (const c of w.cells.values()) n += c.batch === id ? 1 : 0;
          else n += w.cells.size;
        }
        return n;
      },
      rows: (limit = Infinity) => sortedRows(live, pick, toRow, spec.orderBy, cmp, limit),
      updatedRows: () => {
        const out: OutputRow[] = [];
        const src = mode === 'append' ? finalized : windows.filter((w) => w.batch === id);
        for (const w of src) for (const c of w.cells.values()) if (mode === 'append' || c.batch === id) out.push(toRow(w, c));
        return out;
      },
    };
  }

  snapshot(): EngineSnapshot {
    return {
      version: 1,
      nextBatchId: this.batchId,
      watermark: this.watermark,
      maxEventTime: this.maxEventTime,
      metrics: { ...this.metrics },
      queries: this.states.map((st) => ({
        name: st.spec.name,
        windows: [...st.windows.values()].map((w) => [w.start, w.end, [...w.cells.values()].map((c) => [c.dims, c.count] as [DimValue[], number])]),
      })),
    };
  }

  restore(s: EngineSnapshot): void {
    if (s.version !== 1) throw new Error(`unsupported checkpoint state version ${String(s.version)}`);
    this.batchId = s.nextBatchId;
    this.watermark = s.watermark;
    this.maxEventTime = s.maxEventTime;
    Object.assign(this.metrics, s.metrics);
    for (const st of this.states) {
      st.windows.clear();
      const q = s.queries.find((x) => x.name === st.spec.name);
      if (!q) continue;
      for (const [start, end, cells] of q.windows) {
        const w: WindowState = { start, end, cells: new Map(), batch: -1, capped: false };
        for (const [dims, count] of cells) {
          w.cells.set(keyOf(st.spec.groupBy, dims), { dims, count, batch: -1 });
        }
        st.windows.set(start, w);
      }
    }
  }

  /**
   * Adds the counts of another engine's snapshot (a worker or another instance that saw other
   * records of the same stream) into the open batch: counts of equal (window, key) cells are summed,
   * metrics are added and the max event time is the larger one. Used by the parallel file
   * analysis; the same merge combines the results of instances that share a Kafka topic.
   */
  mergeCounts(s: EngineSnapshot): void {
    if (!this.inBatch) throw new Error('mergeCounts needs an open batch');
    const m = s.metrics;
    const me = this.metrics;
    me.lines += m.lines; me.malformed += m.malformed; me.droppedMalformed += m.droppedMalformed;
    me.noEventTime += m.noEventTime; me.lateRows += m.lateRows; me.cappedRows += m.cappedRows;
    this.batchRecords += m.lines;
    if (s.maxEventTime !== null && (this.maxEventTime === null || s.maxEventTime > this.maxEventTime)) this.maxEventTime = s.maxEventTime;
    const cap = this.opts.maxKeysPerWindow;
    for (const st of this.states) {
      const q = s.queries.find((x) => x.name === st.spec.name);
      if (!q) continue;
      for (const [start, end, cells] of q.windows) {
        let w = st.windows.get(start);
        if (w === undefined) {
          w = { start, end, cells: new Map(), batch: this.batchId, capped: false };
          st.windows.set(start, w);
        }
        w.batch = this.batchId;
        for (const [dims, count] of cells) {
          const key = keyOf(st.spec.groupBy, dims);
          const c = w.cells.get(key);
          if (c !== undefined) {
            c.count += count;
            c.batch = this.batchId;
          } else if (cap > 0 && w.cells.size >= cap) {
            st.cappedRows += count;
            me.cappedRows += count;
          } else w.cells.set(key, { dims, count, batch: this.batchId });
        }
      }
    }
  }

  /**
   * The counts in a flat form that worker threads can post cheaply (typed arrays and one flat
   * array of key values instead of one small array per cell).
   */
  compactCounts(): CompactCounts {
    return {
      metrics: { ...this.metrics },
      maxEventTime: this.maxEventTime,
      queries: this.states.map((st) => {
        const nw = st.windows.size;
        let nc = 0;
        for (const w of st.windows.values()) nc += w.cells.size;
        const nd = st.spec.groupBy.length;
        const windows = new Float64Array(nw * 2);
        const cellWindow = new Uint32Array(nc);
        const counts = new Float64Array(nc);
        const dims: DimValue[] = new Array<DimValue>(nc * nd);
        let wi = 0;
        let ci = 0;
        for (const w of st.windows.values()) {
          windows[wi * 2] = w.start;
          windows[wi * 2 + 1] = w.end;
          for (const c of w.cells.values()) {
            cellWindow[ci] = wi;
            counts[ci] = c.count;
            for (let d = 0; d < nd; d++) dims[ci * nd + d] = c.dims[d]!;
            ci++;
          }
          wi++;
        }
        return { name: st.spec.name, windows, cellWindow, counts, dims };
      }),
    };
  }

  /** mergeCounts for compactCounts() output (merged in place, no intermediate arrays). */
  mergeCompact(s: CompactCounts): void {
    if (!this.inBatch) throw new Error('mergeCompact needs an open batch');
    const me = this.metrics;
    const m = s.metrics;
    me.lines += m.lines; me.malformed += m.malformed; me.droppedMalformed += m.droppedMalformed;
    me.noEventTime += m.noEventTime; me.lateRows += m.lateRows; me.cappedRows += m.cappedRows;
    this.batchRecords += m.lines;
    if (s.maxEventTime !== null && (this.maxEventTime === null || s.maxEventTime > this.maxEventTime)) this.maxEventTime = s.maxEventTime;
    const cap = this.opts.maxKeysPerWindow;
    for (const st of this.states) {
      const q = s.queries.find((x) => x.name === st.spec.name);
      if (!q) continue;
      const g = st.spec.groupBy;
      const nd = g.length;
      const ws: WindowState[] = [];
      for (let i = 0; i < q.windows.length / 2; i++) {
        const start = q.windows[i * 2]!;
        let w = st.windows.get(start);
        if (w === undefined) {
          w = { start, end: q.windows[i * 2 + 1]!, cells: new Map(), batch: this.batchId, capped: false };
          st.windows.set(start, w);
        }
        w.batch = this.batchId;
        ws.push(w);
      }
      for (let c = 0; c < q.counts.length; c++) {
        const w = ws[q.cellWindow[c]!]!;
        const dims = nd === 0 ? [] : nd === 1 ? [q.dims[c]!] : q.dims.slice(c * nd, c * nd + nd);
        const key = nd === 0 ? '' : nd === 1 ? dims[0] : keyOf(g, dims);
        const count = q.counts[c]!;
        const cell = w.cells.get(key);
        if (cell !== undefined) {
          cell.count += count;
          cell.batch = this.batchId;
        } else if (cap > 0 && w.cells.size >= cap) {
          st.cappedRows += count;
          me.cappedRows += count;
        } else w.cells.set(key, { dims, count, batch: this.batchId });
      }
    }
  }

  /** Number of (window, key) cells held, over all queries: the state size. */
  stateCells(): number {
    let n = 0;
    for (const st of this.states) for (const w of st.windows.values()) n += w.cells.size;
    return n;
  }
}

/**
 * A copy of a field value that does not keep the input chunk alive: V8 makes substrings of 13+
 * characters views into their parent string (here a whole 1 MiB input chunk), so a key kept in
 * the state would pin its chunk. Concatenating and slicing forces a flat copy of just the key.
 */
function detach<T extends DimValue>(v: T): T {
  if (typeof v !== 'string' || v.length < 13) return v;
  return (v + ' ').slice(0, -1) as T;
}

const GETTERS: Record<FieldName, (p: ParsedLine) => DimValue> = {
  ip: (p) => p.ip, timestamp: (p) => p.timestamp, method: (p) => p.method, endpoint: (p) => p.endpoint,
  protocol: (p) => p.protocol, status: (p) => p.status, bytes: (p) => p.bytes,
};

function multiKey(g: readonly FieldName[], p: ParsedLine): string {
  let k = '';
  for (let i = 0; i < g.length; i++) {
    const v = p[g[i]!];
    k += v === null ? '\u0001' : typeof v === 'number' ? 'n' + v + '\u0000' : 's' + v + '\u0000';
  }
  return k;
}

function keyOf(g: readonly FieldName[], dims: readonly DimValue[]): unknown {
  if (g.length === 0) return '';
  if (g.length === 1) return dims[0] ?? null;
  let k = '';
  for (const v of dims) k += v === null ? '\u0001' : typeof v === 'number' ? 'n' + v + '\u0000' : 's' + v + '\u0000';
  return k;
}

/** Spark ordering of one value: ascending puts nulls first, descending puts them last. */
function compareValues(a: DimValue, b: DimValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareStrings(String(a), String(b));
}

type RowCmp = (a: OutputRow, b: OutputRow) => number;

/** orderBy keys, then (for a deterministic order) the group-by values ascending, then the window. */
export function rowComparator(orderBy: readonly OrderKey[], groupBy: readonly FieldName[]): RowCmp {
  const nDims = groupBy.length;
  const idx = orderBy.map((k) => groupBy.indexOf(k.column as FieldName));
  return (a, b) => {
    for (let j = 0; j < orderBy.length; j++) {
      const k = orderBy[j]!;
      let c: number;
      if (k.column === 'window') c = a.windowStart - b.windowStart || a.windowEnd - b.windowEnd;
      else if (k.column === 'count') c = a.count - b.count;
      else c = compareValues(a.dims[idx[j]!] ?? null, b.dims[idx[j]!] ?? null);
      if (c !== 0) return k.desc ? -c : c;
    }
    for (let i = 0; i < nDims; i++) {
      const c = compareValues(a.dims[i] ?? null, b.dims[i] ?? null);
      if (c !== 0) return c;
    }
    return a.windowStart - b.windowStart;
  };
}

function sortedRows(
  windows: WindowState[], pick: (w: WindowState) => Iterable<Cell>, toRow: (w: WindowState, c: Cell) => OutputRow,
  orderBy: readonly OrderKey[], cmp: RowCmp, limit: number,
): OutputRow[] {
  const first = orderBy[0];
  if (first && first.column === 'window') {
    // Windows first: sort the windows, then the rows of each window, until the limit is reached.
    const ws = [...windows].sort((a, b) => (first.desc ? -1 : 1) * (a.start - b.start || a.end - b.end));
    const out: OutputRow[] = [];
    for (const w of ws) {
      if (out.length >= limit) break;
      const rows: OutputRow[] = [];
      for (const c of pick(w)) rows.push(toRow(w, c));
      rows.sort(cmp);
      for (const r of rows) {
        if (out.length >= limit) break;
        out.push(r);
      }
    }
    return out;
  }
  const all: OutputRow[] = [];
  for (const w of windows) for (const c of pick(w)) all.push(toRow(w, c));
  all.sort(cmp);
  return limit < all.length ? all.slice(0, limit) : all;
}

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
import { CountTable, KEY_EMPTY } from './counts.js';
import { ByteDict, TupleDict } from './dict.js';
import { F_EVENT_TIME, F_TIMESTAMP, FIELD_BITS, FIELD_NAMES, INT_FIELDS, MALFORMED_MASK, emptyParsedLine, scanIsMalformed, type FieldName, type ParsedLine } from './parse.js';
import { compareStrings, type DimValue, type OrderKey, type QuerySpec } from './query.js';
import { LineScan } from './scan.js';

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

/**
 * The cells of a window: group-by key -> count in a CountTable. A key is an integer:
 * - no group-by: 0;
 * - one string field: the field's dictionary id (-1 for null);
 * - one integer field (status, bytes): the value itself (-1 for null; values are >= 0);
 * - several fields: the query's tuple dictionary id.
 */
interface WindowState {
  start: number;
  end: number;
  cells: CountTable;
  batch: number;
  capped: boolean;
}

const K_NONE = 0;
const K_STRING = 1;
const K_INT = 2;
const K_TUPLE = 3;

const FIELD_INDEX: Readonly<Record<FieldName, number>> = { ip: 0, timestamp: 1, method: 2, endpoint: 3, protocol: 4, status: 5, bytes: 6 };

class QueryState {
  readonly windows = new Map<number, WindowState>();
  /** The window hit by the previous row (logs are mostly time-ordered). */
  last: WindowState | null = null;
  readonly kind: number;
  /** Field index of a one-field group-by. */
  readonly field: number;
  readonly tuple: TupleDict | null;
  readonly fields: number[];
  cappedRows = 0;
  /** Tuple dictionary size after its last compaction. */
  tupleLive = 0;
  constructor(readonly spec: QuerySpec) {
    const g = spec.groupBy;
    this.fields = g.map((f) => FIELD_INDEX[f]);
    this.kind = g.length === 0 ? K_NONE : g.length > 1 ? K_TUPLE : INT_FIELDS.has(g[0]!) ? K_INT : K_STRING;
    this.field = g.length === 1 ? FIELD_INDEX[g[0]!] : -1;
    this.tuple = this.kind === K_TUPLE ? new TupleDict() : null;
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

/** Dictionaries are compacted when they grow past this and twice their size after the last compaction. */
const COMPACT_MIN = 1 << 16;

export class AnalyzerEngine {
  readonly metrics: EngineMetrics = { lines: 0, malformed: 0, droppedMalformed: 0, noEventTime: 0, lateRows: 0, cappedRows: 0, evictedWindows: 0 };
  private readonly states: QueryState[];
  private readonly scan = new LineScan();
  /** Field values for filters and multi-field keys (only the fields they read are filled). */
  private readonly parsed: ParsedLine = emptyParsedLine();
  private readonly mask: number;
  /** Per field index: its dictionary (string fields some query groups or filters by), else null. */
  private readonly dicts: Array<ByteDict | null>;
  /** Dictionary sizes after the last compaction. */
  private readonly dictLive: number[];
  /** Per field index: the key of the current line (dictionary id or integer value; -1 = null). */
  private readonly keys = new Int32Array(7);
  /** Field indexes whose dictionary id each line needs, and whose value `parsed` needs. */
  private readonly internFields: number[];
  private readonly parsedFields: number[];
  private readonly numOverlapping: number;
  /** The window [curStart, curEnd) of the last line (tumbling windows). */
  private curStart = NaN;
  private curEnd = NaN;
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
    const grouped = new Set<FieldName>();
    const parsedSet = new Set<FieldName>();
    for (const q of opts.queries) {
      for (const f of q.groupBy) grouped.add(f);
      for (const f of q.filterFields) parsedSet.add(f);
      if (q.groupBy.length > 1) for (const f of q.groupBy) parsedSet.add(f);
      for (const f of [...q.groupBy, ...q.filterFields]) mask |= FIELD_BITS[f];
    }
    if (opts.time === 'event') mask |= F_TIMESTAMP | F_EVENT_TIME;
    this.mask = mask;
    const stringFields = FIELD_NAMES.filter((f) => !INT_FIELDS.has(f) && (grouped.has(f) || parsedSet.has(f)));
    this.dicts = FIELD_NAMES.map((f) => (stringFields.includes(f) ? new ByteDict() : null));
    this.dictLive = FIELD_NAMES.map(() => 0);
    this.internFields = stringFields.map((f) => FIELD_INDEX[f]);
    this.parsedFields = FIELD_NAMES.filter((f) => parsedSet.has(f)).map((f) => FIELD_INDEX[f]);
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
    this.compactDicts();
  }

  /** Sets the watermark in force (a worker gets its parent's). */
  setWatermark(w: number | null): void {
    this.watermark = w;
  }

  /** Moves the time of the open batch (processing time) while it has no record yet. */
  retime(batchTimeMs: number): void {
    if (this.inBatch && this.batchRecords === 0) this.batchTime = batchTimeMs;
  }

  /** Aggregates one record given as text (null = a Kafka record without a value). */
  processLine(line: string | null): void {
    if (line === null) this.processNull();
    else {
      const b = Buffer.from(line, 'utf8');
      this.processBytes(b, 0, b.length);
    }
  }

  /** Aggregates a record without a value: every field is null, as in Spark. */
  processNull(): void {
    const k = this.keys;
    for (let i = 0; i < k.length; i++) k[i] = -1;
    const p = this.parsed;
    p.ip = p.timestamp = p.method = p.endpoint = p.protocol = null;
    p.status = p.bytes = p.eventTime = null;
    this.aggregate(true, NaN);
  }

  /** Aggregates the record whose UTF-8 bytes are b[from, to) (the hot path: no decoding). */
  processBytes(b: Uint8Array, from: number, to: number): void {
    const r = this.scan;
    r.scan(b, from, to, this.mask);
    const keys = this.keys;
    const fields = this.internFields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const d = this.dicts[f]!;
      switch (f) {
        case 0: keys[0] = r.ipStart < 0 ? d.intern(b, 0, 0) : d.internHashed(b, r.ipStart, r.ipEnd, r.ipHash); break;
        case 1: keys[1] = r.tsStart < 0 ? d.intern(b, 0, 0) : d.intern(b, r.tsStart, r.tsStart + 26); break;
        case 2: keys[2] = r.methodStart < 0 ? d.intern(b, 0, 0) : d.internHashed(b, r.methodStart, r.methodEnd, r.methodHash); break;
        case 3: keys[3] = r.endpointStart < 0 ? d.intern(b, 0, 0) : d.internHashed(b, r.endpointStart, r.endpointEnd, r.endpointHash); break;
        default: keys[4] = r.protocolStart < 0 ? d.intern(b, 0, 0) : d.intern(b, r.protocolStart, r.protocolEnd); break;
      }
    }
    keys[5] = r.status;
    keys[6] = r.bytes;
    const pf = this.parsedFields;
    if (pf.length > 0) {
      const p = this.parsed;
      for (let i = 0; i < pf.length; i++) {
        const f = pf[i]!;
        const k = keys[f]!;
        switch (f) {
          case 0: p.ip = this.dicts[0]!.values[k]!; break;
          case 1: p.timestamp = this.dicts[1]!.values[k]!; break;
          case 2: p.method = this.dicts[2]!.values[k]!; break;
          case 3: p.endpoint = this.dicts[3]!.values[k]!; break;
          case 4: p.protocol = this.dicts[4]!.values[k]!; break;
          case 5: p.status = k < 0 ? null : k; break;
          default: p.bytes = k < 0 ? null : k; break;
        }
      }
      this.parsed.eventTime = Number.isNaN(r.eventTime) ? null : r.eventTime;
    }
    this.aggregate(scanIsMalformed(r), r.eventTime);
  }

  /** Aggregates the current line; eventTime is NaN when the line has none. */
  private aggregate(malformed: boolean, eventTime: number): void {
    const p = this.parsed;
    this.metrics.lines++;
    this.batchRecords++;
    if (malformed) {
      this.metrics.malformed++;
      if (this.dropMalformed) {
        this.metrics.droppedMalformed++;
        return;
      }
    }
    let t: number;
    if (this.processing) t = this.batchTime;
    else {
      if (Number.isNaN(eventTime)) {
        this.metrics.noEventTime++;
        return;
      }
      t = eventTime;
      if (this.maxEventTime === null || t > this.maxEventTime) this.maxEventTime = t;
    }
    const tumbling = this.numOverlapping === 1;
    if (tumbling && !(t >= this.curStart && t < this.curEnd)) {
      // The line's window, computed once for all queries (lines mostly share it with the previous one).
      const { windowMs, slideMs, startMs } = this.opts;
      this.curStart = t - ((t - startMs + slideMs) % slideMs);
      this.curEnd = this.curStart + windowMs;
    }
    const states = this.states;
    for (let qi = 0; qi < states.length; qi++) {
      const st = states[qi]!;
      const f = st.spec.filter;
      if (f !== null && !f(p)) continue;
      const key = st.kind === K_NONE ? 0 : st.kind === K_TUPLE ? this.tupleKey(st) : this.keys[st.field]!;
      if (tumbling) {
        const last = st.last;
        if (last !== null && last.start === this.curStart) this.count(st, last, key);
        else this.tumble(st, key);
      } else this.assign(st, t, key);
    }
  }

  private tupleKey(st: QueryState): number {
    const p = this.parsed;
    const g = st.spec.groupBy;
    const dims: DimValue[] = new Array<DimValue>(g.length);
    for (let i = 0; i < g.length; i++) dims[i] = p[g[i]!];
    return st.tuple!.intern(dims);
  }

  /** assign() for a tumbling window: the line's window is [curStart, curEnd). */
  private tumble(st: QueryState, key: number): void {
    const wm = this.watermark;
    if (wm !== null && this.curEnd <= wm) {
      this.metrics.lateRows++;
      return;
    }
    const start = this.curStart;
    let w = st.windows.get(start);
    if (w === undefined) {
      // Sized like the window before it: a query's windows have similar numbers of keys.
      w = { start, end: this.curEnd, cells: new CountTable(st.last?.cells.size ?? 0), batch: this.batchId, capped: false };
      st.windows.set(start, w);
    }
    st.last = w;
    this.count(st, w, key);
  }

  /** Finds (or creates) the windows of time t for one query and counts the row in each. */
  private assign(st: QueryState, t: number, key: number): void {
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
        w = { start, end, cells: new CountTable(st.last?.cells.size ?? 0), batch: this.batchId, capped: false };
        st.windows.set(start, w);
      }
      if (i === 0) st.last = w;
      this.count(st, w, key);
    }
  }

  private count(st: QueryState, w: WindowState, key: number): void {
    const cells = w.cells;
    const s = cells.find(key);
    w.batch = this.batchId;
    if (s >= 0) {
      cells.bump(s, 1, this.batchId);
      return;
    }
    const cap = this.opts.maxKeysPerWindow;
    if (cap > 0 && cells.size >= cap) {
      st.cappedRows++;
      this.metrics.cappedRows++;
      if (!w.capped) {
        w.capped = true;
        this.warn(`analyzer query ${st.spec.name}: window starting ${new Date(w.start).toISOString()} reached state.maxKeysPerWindow (${cap}); rows with new keys are not counted`);
      }
      return;
    }
    cells.insertAt(~s, key, 1, this.batchId);
  }

  /** The group-by values of a cell key. */
  private dimsOf(st: QueryState, key: number): DimValue[] {
    switch (st.kind) {
      case K_NONE: return [];
      case K_INT: return [key < 0 ? null : key];
      case K_STRING: return [key < 0 ? null : this.dicts[st.field]!.values[key]!];
      default: return st.tuple!.values[key]!;
    }
  }

  /** The cell key of group-by values (restore, merges). */
  private keyOf(st: QueryState, dims: readonly DimValue[]): number {
    switch (st.kind) {
      case K_NONE: return 0;
      case K_INT: return dims[0] === null || dims[0] === undefined ? -1 : Number(dims[0]);
      case K_STRING: return dims[0] === null || dims[0] === undefined ? -1 : this.dicts[st.field]!.internString(String(dims[0]));
      default: return st.tuple!.intern(dims.slice());
    }
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

  /**
   * Drops dictionary values no window refers to any more (evicted windows, filter-only fields),
   * once a dictionary has doubled since its last compaction: memory stays flat on an endless
   * stream of new values. Called at the start of the next batch, after the previous batch's
   * results (which may read the old ids) were consumed.
   */
  private compactDicts(): void {
    for (let f = 0; f < this.dicts.length; f++) {
      const d = this.dicts[f];
      if (!d || d.size < COMPACT_MIN || d.size < 2 * this.dictLive[f]!) continue;
      const live = new Uint8Array(d.size);
      const users = this.states.filter((st) => st.kind === K_STRING && st.field === f);
      for (const st of users) for (const w of st.windows.values()) markLive(w.cells, live);
      const remap = d.compact(live);
      for (const st of users) for (const w of st.windows.values()) w.cells.remapKeys(remap);
      this.dictLive[f] = d.size;
    }
    for (const st of this.states) {
      const t = st.tuple;
      if (!t || t.size < COMPACT_MIN || t.size < 2 * st.tupleLive) continue;
      const live = new Uint8Array(t.size);
      for (const w of st.windows.values()) markLive(w.cells, live);
      const remap = t.compact(live);
      for (const w of st.windows.values()) w.cells.remapKeys(remap);
      st.tupleLive = t.size;
    }
  }

  private result(st: QueryState, id: number, finalized: WindowState[]): QueryResult {
    const spec = st.spec;
    const mode = this.opts.outputMode;
    // Update mode: windows evicted in this batch still report the rows this batch changed.
    const windows = mode === 'append' ? finalized : mode === 'update' ? [...st.windows.values(), ...finalized] : [...st.windows.values()];
    const live = mode === 'update' ? windows.filter((w) => w.batch === id) : windows;
    const onlyBatch = mode === 'update' ? id : null;
    // The rows of a window (only the cells changed in batch `only` when it is not null).
    const rowsOf = (w: WindowState, only: number | null = onlyBatch): OutputRow[] => {
      const out: OutputRow[] = [];
      const c = w.cells;
      for (let s = 0; s < c.slots; s++) {
        const k = c.keyAt(s);
        if (k === KEY_EMPTY || (only !== null && c.batchAt(s) !== only)) continue;
        out.push({ windowStart: w.start, windowEnd: w.end, dims: this.dimsOf(st, k), count: c.countAt(s) });
      }
      return out;
    };
    const cmp = rowComparator(spec.orderBy, spec.groupBy);
    const cache = new Map<WindowState, OutputRow[]>();
    const rowsByWindow = (w: WindowState): OutputRow[] => {
      let r = cache.get(w);
      if (r === undefined) cache.set(w, (r = rowsOf(w)));
      return r;
    };
    // Results are read before the next batch starts (dictionary ids may be renumbered then).
    return {
      spec,
      columns: ['window', ...spec.groupBy, spec.countColumn],
      totalRows: () => {
        let n = 0;
        for (const w of live) {
          if (onlyBatch === null) n += w.cells.size;
          else for (let s = 0; s < w.cells.slots; s++) n += w.cells.keyAt(s) !== KEY_EMPTY && w.cells.batchAt(s) === onlyBatch ? 1 : 0;
        }
        return n;
      },
      rows: (limit = Infinity) => sortedRows(live, rowsByWindow, spec.orderBy, cmp, limit),
      updatedRows: () => {
        if (mode === 'append') return finalized.flatMap((w) => rowsOf(w, null));
        return windows.filter((w) => w.batch === id).flatMap((w) => rowsOf(w, id));
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
        windows: [...st.windows.values()].map((w) => {
          const cells: Array<[DimValue[], number]> = [];
          const c = w.cells;
          for (let s = 0; s < c.slots; s++) if (c.keyAt(s) !== KEY_EMPTY) cells.push([this.dimsOf(st, c.keyAt(s)), c.countAt(s)]);
          return [w.start, w.end, cells] as [number, number, Array<[DimValue[], number]>];
        }),
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
        const w: WindowState = { start, end, cells: new CountTable(cells.length), batch: -1, capped: false };
        for (const [dims, count] of cells) w.cells.add(this.keyOf(st, dims), count, -1);
        st.windows.set(start, w);
      }
    }
  }

  /** A window of the open batch for a merge (created when absent). */
  private mergeWindow(st: QueryState, start: number, end: number): WindowState {
    let w = st.windows.get(start);
    if (w === undefined) {
      w = { start, end, cells: new CountTable(), batch: this.batchId, capped: false };
      st.windows.set(start, w);
    }
    w.batch = this.batchId;
    return w;
  }

  /** Adds count to a merged cell, honouring the key cap. */
  private mergeCell(st: QueryState, w: WindowState, key: number, count: number): void {
    const c = w.cells;
    const s = c.find(key);
    const cap = this.opts.maxKeysPerWindow;
    if (s >= 0) {
      c.bump(s, count, this.batchId);
    } else if (cap > 0 && c.size >= cap) {
      st.cappedRows += count;
      this.metrics.cappedRows += count;
    } else c.insertAt(~s, key, count, this.batchId);
  }

  private mergeMetrics(m: EngineMetrics, maxEventTime: number | null): void {
    if (!this.inBatch) throw new Error('a merge needs an open batch');
    const me = this.metrics;
    me.lines += m.lines; me.malformed += m.malformed; me.droppedMalformed += m.droppedMalformed;
    me.noEventTime += m.noEventTime; me.lateRows += m.lateRows; me.cappedRows += m.cappedRows;
    this.batchRecords += m.lines;
    if (maxEventTime !== null && (this.maxEventTime === null || maxEventTime > this.maxEventTime)) this.maxEventTime = maxEventTime;
  }

  /**
   * Adds the counts of another engine's snapshot (a worker or another instance that saw other
   * records of the same stream) into the open batch: counts of equal (window, key) cells are summed,
   * metrics are added and the max event time is the larger one. Used by the parallel file
   * analysis; the same merge combines the results of instances that share a Kafka topic.
   */
  mergeCounts(s: EngineSnapshot): void {
    this.mergeMetrics(s.metrics, s.maxEventTime);
    for (const st of this.states) {
      const q = s.queries.find((x) => x.name === st.spec.name);
      if (!q) continue;
      for (const [start, end, cells] of q.windows) {
        const w = this.mergeWindow(st, start, end);
        for (const [dims, count] of cells) this.mergeCell(st, w, this.keyOf(st, dims), count);
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
          const c = w.cells;
          for (let s = 0; s < c.slots; s++) {
            const k = c.keyAt(s);
            if (k === KEY_EMPTY) continue;
            cellWindow[ci] = wi;
            counts[ci] = c.countAt(s);
            const d = this.dimsOf(st, k);
            for (let j = 0; j < nd; j++) dims[ci * nd + j] = d[j]!;
            ci++;
          }
          wi++;
        }
        return { name: st.spec.name, windows, cellWindow, counts, dims };
      }),
    };
  }

  /** mergeCounts for compactCounts() output. */
  mergeCompact(s: CompactCounts): void {
    this.mergeMetrics(s.metrics, s.maxEventTime);
    for (const st of this.states) {
      const q = s.queries.find((x) => x.name === st.spec.name);
      if (!q) continue;
      const nd = st.spec.groupBy.length;
      const ws: WindowState[] = [];
      for (let i = 0; i < q.windows.length / 2; i++) ws.push(this.mergeWindow(st, q.windows[i * 2]!, q.windows[i * 2 + 1]!));
      const dims: DimValue[] = new Array<DimValue>(nd);
      for (let c = 0; c < q.counts.length; c++) {
        for (let j = 0; j < nd; j++) dims[j] = q.dims[c * nd + j]!;
        this.mergeCell(st, ws[q.cellWindow[c]!]!, this.keyOf(st, dims), q.counts[c]!);
      }
    }
  }

  /** Number of (window, key) cells held, over all queries: the state size. */
  stateCells(): number {
    let n = 0;
    for (const st of this.states) for (const w of st.windows.values()) n += w.cells.size;
    return n;
  }

  /** Values held by the dictionaries (state besides the cells). */
  dictionaryValues(): number {
    let n = 0;
    for (const d of this.dicts) n += d?.size ?? 0;
    for (const st of this.states) n += st.tuple?.size ?? 0;
    return n;
  }
}

function markLive(c: CountTable, live: Uint8Array): void {
  for (let s = 0; s < c.slots; s++) {
    const k = c.keyAt(s);
    if (k !== KEY_EMPTY && k >= 0) live[k] = 1;
  }
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
  windows: WindowState[], rowsByWindow: (w: WindowState) => OutputRow[], orderBy: readonly OrderKey[], cmp: RowCmp, limit: number,
): OutputRow[] {
  const first = orderBy[0];
  if (first && first.column === 'window') {
    // Windows first: sort the windows, then the rows of each window, until the limit is reached.
    const ws = [...windows].sort((a, b) => (first.desc ? -1 : 1) * (a.start - b.start || a.end - b.end));
    const out: OutputRow[] = [];
    for (const w of ws) {
      if (out.length >= limit) break;
      const rows = rowsByWindow(w).slice().sort(cmp);
      for (const r of rows) {
        if (out.length >= limit) break;
        out.push(r);
      }
    }
    return out;
  }
  const all: OutputRow[] = [];
  for (const w of windows) for (const r of rowsByWindow(w)) all.push(r);
  all.sort(cmp);
  return limit < all.length ? all.slice(0, limit) : all;
}

/**
 * Analyzer outputs. Contract: onBatch() is called synchronously right after the engine's
 * endBatch() (the results read live state, so every sink captures what it needs before it
 * returns); writing happens asynchronously, in batch order; flush() waits for it; close()
 * flushes and releases resources.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { SinkConfig } from './config.js';
import type { BatchResult, OutputRow, QueryResult } from './engine.js';
import { consoleBatch, windowCell, type ConsoleFormat } from './format-console.js';
import type { DimValue } from './query.js';
import type { TimestampFormatter } from './time.js';

export interface AnalyzerSink {
  readonly name: string;
  onBatch(b: BatchResult): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Cells of one output row as Spark's show() renders them. */
export function rowCells(r: OutputRow, fmt: TimestampFormatter, format: ConsoleFormat): Array<string | null> {
  const cells: Array<string | null> = [windowCell(fmt.format(r.windowStart), fmt.format(r.windowEnd), format)];
  for (const d of r.dims) cells.push(d === null ? null : String(d));
  cells.push(String(r.count));
  return cells;
}

/** Renders one query of one batch as Spark's console sink prints it. */
export function renderConsole(batchId: number, q: QueryResult, fmt: TimestampFormatter, opts: { numRows: number; truncate: boolean; format: ConsoleFormat }): string {
  const rows = q.rows(opts.numRows + 1).map((r) => rowCells(r, fmt, opts.format));
  return consoleBatch(batchId, q.columns, rows, { numRows: opts.numRows, truncate: opts.truncate ? 20 : 0, format: opts.format });
}

/** Serial async writer that honours backpressure. */
class StreamWriter {
  private chain: Promise<void> = Promise.resolve();
  private error: unknown = null;
  constructor(private readonly out: NodeJS.WritableStream) {}
  write(s: string): void {
    this.chain = this.chain.then(async () => {
      if (this.error) return;
      try {
        if (!this.out.write(s)) await once(this.out as unknown as NodeJS.EventEmitter, 'drain');
      } catch (e) {
        this.error = e;
      }
    });
  }
  async flush(): Promise<void> {
    await this.chain;
    if (this.error) throw this.error;
  }
}

export class ConsoleSink implements AnalyzerSink {
  private readonly w: StreamWriter;
  constructor(readonly name: string, private readonly cfg: SinkConfig, out: NodeJS.WritableStream, private readonly fmt: TimestampFormatter) {
    this.w = new StreamWriter(out);
  }
  onBatch(b: BatchResult): void {
    let s = '';
    for (const q of b.queries) s += renderConsole(b.batchId, q, this.fmt, this.cfg);
    this.w.write(s);
  }
  flush(): Promise<void> {
    return this.w.flush();
  }
  close(): Promise<void> {
    return this.flush();
  }
}

/** One JSON object per updated row: {query, batch, window: {start, end}, <fields>, <countColumn>}. */
export function rowJson(b: BatchResult, q: QueryResult, r: OutputRow, fmt: TimestampFormatter): Record<string, unknown> {
  const o: Record<string, unknown> = {
    query: q.spec.name,
    batch: b.batchId,
    window: { start: fmt.format(r.windowStart), end: fmt.format(r.windowEnd), startMs: r.windowStart, endMs: r.windowEnd },
  };
  q.spec.groupBy.forEach((f, i) => { o[f] = r.dims[i] as DimValue; });
  o[q.spec.countColumn] = r.count;
  return o;
}

export class JsonlSink implements AnalyzerSink {
  private readonly stream: WriteStream;
  private readonly w: StreamWriter;
  constructor(readonly name: string, path: string, private readonly fmt: TimestampFormatter) {
    this.stream = createWriteStream(path, { flags: 'a' });
    this.w = new StreamWriter(this.stream);
  }
  onBatch(b: BatchResult): void {
    let s = '';
    for (const q of b.queries) for (const r of q.updatedRows()) s += JSON.stringify(rowJson(b, q, r, this.fmt)) + '\n';
    if (s) this.w.write(s);
  }
  flush(): Promise<void> {
    return this.w.flush();
  }
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve) => this.stream.end(resolve));
  }
}

export interface LatestResults {
  batchId: number;
  batchTime: string;
  watermark: string | null;
  records: number;
  metrics: BatchResult['metrics'];
  queries: Record<string, { columns: string[]; totalRows: number; rows: Array<Record<string, unknown>> }>;
}

/** In-process results API: the latest batch's top rows per query, for a page to poll. */
export class ResultsSink implements AnalyzerSink {
  private latest: LatestResults | null = null;
  constructor(readonly name: string, private readonly numRows: number, private readonly fmt: TimestampFormatter) {}
  onBatch(b: BatchResult): void {
    const queries: LatestResults['queries'] = {};
    for (const q of b.queries) {
      queries[q.spec.name] = {
        columns: q.columns,
        totalRows: q.totalRows(),
        rows: q.rows(this.numRows).map((r) => {
          const o = rowJson(b, q, r, this.fmt);
          delete o.query;
          delete o.batch;
          return o;
        }),
      };
    }
    this.latest = {
      batchId: b.batchId, batchTime: new Date(b.batchTimeMs).toISOString(),
      watermark: b.watermarkMs === null ? null : new Date(b.watermarkMs).toISOString(),
      records: b.records, metrics: b.metrics, queries,
    };
  }
  getLatest(): LatestResults | null {
    return this.latest;
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** One JSON record per updated row to a Kafka topic (key = query name). */
export class KafkaSink implements AnalyzerSink {
  private chain: Promise<void> = Promise.resolve();
  private producer: { send(a: { topic: string; messages: Array<{ key: string; value: string }> }): Promise<unknown>; disconnect(): Promise<void> } | null = null;
  private error: unknown = null;
  constructor(readonly name: string, private readonly brokers: string[], private readonly topic: string, private readonly fmt: TimestampFormatter) {}
  async open(): Promise<void> {
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({ clientId: 'tsagent-analyzer-sink', brokers: this.brokers, logLevel: logLevel.NOTHING });
    const p = kafka.producer({ allowAutoTopicCreation: true });
    await p.connect();
    this.producer = p;
  }
  onBatch(b: BatchResult): void {
    const messages: Array<{ key: string; value: string }> = [];
    for (const q of b.queries) for (const r of q.updatedRows()) messages.push({ key: q.spec.name, value: JSON.stringify(rowJson(b, q, r, this.fmt)) });
    if (messages.length === 0) return;
    this.chain = this.chain.then(async () => {
      if (this.error || !this.producer) return;
      try {
        for (let i = 0; i < messages.length; i += 10_000) await this.producer.send({ topic: this.topic, messages: messages.slice(i, i + 10_000) });
      } catch (e) {
        this.error = e;
      }
    });
  }
  async flush(): Promise<void> {
    await this.chain;
    if (this.error) throw this.error;
  }
  async close(): Promise<void> {
    await this.flush();
    await this.producer?.disconnect();
  }
}

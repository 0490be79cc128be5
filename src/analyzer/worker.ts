/**
 * Worker thread of the parallel file analysis (parallel.ts): aggregates the chunks of lines it
 * is sent with its own engine and returns the engine's counts when told the input ended.
 * Messages in: init (engine options as data), then chunks (ArrayBuffers of whole lines) and end,
 * or one range (a byte range of a plain file to read itself).
 * Messages out: ack (after each chunk, for flow control), snapshot.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { AnalyzerEngine, type EngineOptions } from './engine.js';
import { LineSplitter } from './input-file.js';
import { parseFilter, type QuerySpec } from './query.js';

export type QueryData = Omit<QuerySpec, 'filter' | 'filterFields'>;
export type WorkerIn =
  | { type: 'init'; opts: Omit<EngineOptions, 'queries'>; queries: QueryData[]; batchTime: number; watermark: number | null }
  | { type: 'chunk'; buf: ArrayBuffer }
  /** Read the lines of path[start, end) (both are line starts) and end. */
  | { type: 'range'; path: string; start: number; end: number }
  | { type: 'end' };

const port = parentPort;
if (port) {
  let engine: AnalyzerEngine | null = null;
  let splitter: LineSplitter | null = null;
  port.on('message', (m: WorkerIn) => {
    if (m.type === 'init') {
      const queries: QuerySpec[] = m.queries.map((q) => {
        const f = parseFilter(q.filterText);
        return { ...q, filter: f.fn, filterFields: f.fields };
      });
      engine = new AnalyzerEngine({ ...m.opts, queries });
      engine.setWatermark(m.watermark);
      engine.beginBatch(m.batchTime);
      const e = engine;
      splitter = new LineSplitter((buf, a, b) => e.processBytes(buf, a, b));
    } else if (m.type === 'chunk') {
      // Chunks hold whole lines (cut after a LF).
      splitter!.push(Buffer.from(m.buf));
      port.postMessage({ type: 'ack' });
    } else if (m.type === 'range') {
      readRange(m.path, m.start, m.end, splitter!);
      finish();
    } else finish();
  });
  const finish = (): void => {
    splitter!.end();
    const snap = engine!.compactCounts();
    const transfer = snap.queries.flatMap((q) => [q.windows.buffer, q.cellWindow.buffer, q.counts.buffer]) as ArrayBuffer[];
    port.postMessage({ type: 'snapshot', snap }, transfer);
  };
}

/** Feeds the bytes path[start, end) to the splitter, in 4 MiB reads. */
function readRange(path: string, start: number, end: number, splitter: LineSplitter): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (let pos = start; pos < end;) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
      if (n <= 0) break;
      splitter.push(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}

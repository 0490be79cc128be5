/**
 * Parallel analysis of one batch from a file or stdin. A plain file is cut into one byte range
 * per worker thread, at line starts, and each worker reads its own range (like Spark's file
 * splits; the main thread only merges). Stdin and gzip input are read (and gunzipped) by the main
 * thread, cut into chunks of whole lines and dealt to the workers. Each worker aggregates with its
 * own engine; at the end their counts are summed into the caller's open batch
 * (AnalyzerEngine.mergeCompact). Counting is commutative, so the result equals a single-threaded
 * run (the key cap is applied per worker and again at the merge).
 * Used when `workers > 1`, the trigger is `available`, the whole input is one batch and no
 * checkpoint is configured.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import type { AnalyzerEngine, CompactCounts, EngineOptions } from './engine.js';
import { readChunks } from './input-file.js';
import type { QueryData, WorkerIn } from './worker.js';

const CHUNK = 1 << 20;
const WORKER_URL = new URL('./worker.js', import.meta.url);

/** False when running from the TypeScript sources (tests): there is no compiled worker.js to start. */
export function parallelAvailable(): boolean {
  return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));
}
const IN_FLIGHT = 3;

interface W {
  worker: Worker;
  failed: unknown;
  inFlight: number;
  wake: (() => void) | null;
  snapshot: Promise<CompactCounts>;
}

export async function analyzeParallel(
  engine: AnalyzerEngine, opts: EngineOptions, batchTime: number, path: string, workers: number,
  o: { stdin?: Readable; signal?: AbortSignal } = {},
): Promise<void> {
  const { queries, ...rest } = opts;
  const qd: QueryData[] = queries.map((q) => ({ name: q.name, groupBy: q.groupBy, filterText: q.filterText, orderBy: q.orderBy, countColumn: q.countColumn }));
  const ws: W[] = [];
  for (let i = 0; i < workers; i++) {
    // A larger young generation: per-line garbage (substrings) dies young; fewer scavenges.
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: 64 } });
    const w: W = { worker, failed: null, inFlight: 0, wake: null, snapshot: Promise.resolve(null as unknown as CompactCounts) };
    w.snapshot = new Promise<CompactCounts>((resolve, reject) => {
      worker.on('message', (m: { type: 'ack' } | { type: 'snapshot'; snap: CompactCounts }) => {
        if (m.type === 'ack') {
          w.inFlight--;
          const wake = w.wake;
          w.wake = null;
          wake?.();
        } else resolve(m.snap);
      });
      const fail = (e: unknown): void => {
        w.failed ??= e;
        const wake = w.wake;
        w.wake = null;
        wake?.(); // a sender waiting for this worker's acks must not wait forever
        reject(e);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => { if (code !== 0) fail(new Error(`analyzer worker exited with code ${code}`)); });
    });
    w.snapshot.catch(() => undefined); // handled where it is awaited; avoid an unhandled rejection before that
    const init: WorkerIn = { type: 'init', opts: rest, queries: qd, batchTime, watermark: engine.currentWatermark };
    worker.postMessage(init);
    ws.push(w);
  }
  const ranges = path === '-' ? null : fileRanges(path, workers);
  try {
    if (ranges !== null) ws.forEach((w, i) => w.worker.postMessage({ type: 'range', path, start: ranges[i]!, end: ranges[i + 1]! } satisfies WorkerIn));
    else await dealChunks(ws, path, o);
    for (const w of ws) engine.mergeCompact(await w.snapshot);
  } finally {
    await Promise.all(ws.map((w) => w.worker.terminate()));
  }
}

/** Reads stdin or a gzip file, cuts it into chunks of whole lines and deals them round robin. */
async function dealChunks(ws: W[], path: string, o: { stdin?: Readable; signal?: AbortSignal }): Promise<void> {
  let next = 0;
  const send = async (bytes: Buffer): Promise<void> => {
    // Round robin, waiting when the chosen worker has too many chunks queued.
    const w = ws[next]!;
    next = (next + 1) % ws.length;
    while (w.inFlight >= IN_FLIGHT && !w.failed) await new Promise<void>((r) => { w.wake = r; });
    if (w.failed) throw w.failed;
    const ab = new ArrayBuffer(bytes.length);
    new Uint8Array(ab).set(bytes);
    w.inFlight++;
    const msg: WorkerIn = { type: 'chunk', buf: ab };
    w.worker.postMessage(msg, [ab]);
  };
  let pending: Buffer[] = [];
  let pendingLen = 0;
  for await (const c of readChunks(path, o.stdin)) {
    if (o.signal?.aborted) break;
    pending.push(c);
    pendingLen += c.length;
    if (pendingLen < CHUNK) continue;
    const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLen);
    const cut = all.lastIndexOf(10) + 1;
    if (cut === 0) {
      pending = [all];
      continue;
    }
    await send(all.subarray(0, cut));
    const restBuf = all.subarray(cut);
    pending = restBuf.length > 0 ? [Buffer.from(restBuf)] : [];
    pendingLen = restBuf.length;
  }
  if (pendingLen > 0) await send(Buffer.concat(pending, pendingLen));
  for (const w of ws) w.worker.postMessage({ type: 'end' } satisfies WorkerIn);
}

/**
 * n + 1 byte offsets that cut a plain file into n ranges starting at line starts, or null when
 * the file is gzip (it cannot be split) or not a regular file.
 */
export function fileRanges(path: string, n: number): number[] | null {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    const size = st.size;
    const head = Buffer.alloc(2);
    if (readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b) return null;
    const cuts = [0];
    for (let i = 1; i < n; i++) cuts.push(Math.max(cuts[i - 1]!, lineStartAtOrAfter(fd, size, Math.floor((size * i) / n))));
    cuts.push(size);
    return cuts;
  } finally {
    closeSync(fd);
  }
}

/**
 * The first line start at or after pos. Lines end at \n, \r\n or \r (the splitter's rule), so p
 * is a line start when the byte before it is \n, or is \r and p does not hold the \n of a \r\n.
 */
export function lineStartAtOrAfter(fd: number, size: number, pos: number): number {
  if (pos <= 0) return 0;
  const buf = Buffer.allocUnsafe(64 << 10);
  let base = pos - 1;
  let prev = -1; // the byte before buf[0], once past the first block
  while (base < size) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - base), base);
    if (n <= 0) break;
    for (let k = 0; k < n; k++) {
      const c = buf[k]!;
      const at = base + k; // absolute position of c
      if (prev === 10 || (prev === 13 && c !== 10)) {
        if (at >= pos) return at;
      }
      prev = c;
    }
    base += n;
  }
  return size;
}

/**
 * Parallel analysis of one batch from a file or stdin: the main thread reads (and gunzips) the
 * input, cuts it into chunks of whole lines and deals them to worker threads; each worker
 * aggregates its chunks with its own engine; at the end their counts are summed into the
 * caller's open batch (AnalyzerEngine.mergeCounts). Counting is commutative, so the result equals
 * a single-threaded run (the key cap is applied per worker and again at the merge).
 * Used when `workers > 1`, the trigger is `available`, the whole input is one batch and no
 * checkpoint is configured.
 */
import { existsSync } from 'node:fs';
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
  try {
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
    for (const w of ws) engine.mergeCompact(await w.snapshot);
  } finally {
    await Promise.all(ws.map((w) => w.worker.terminate()));
  }
}

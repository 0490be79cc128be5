/**
 * The analyzer agent type: a Spark-Structured-Streaming-like log analysis job run by tsagent
 * (`tsagent -f conf/log-analysis.conf -n analyzer`, where the file sets `analyzer.type = analyzer`).
 *
 * Micro-batch loop: records are aggregated as they arrive; a batch ends at every trigger tick
 * (aligned to multiples of the interval, like Spark's ProcessingTime trigger), after
 * source.maxRecordsPerBatch records, or at the end of a file. At a batch end the engine closes
 * the batch, the sinks capture its rows, and (with checkpoint.dir) the source position and the
 * window state are written together in one file (write + rename), so a restart resumes exactly.
 * Batch 0 runs at start (empty for Kafka), like Spark's first batch; later ticks with no new
 * record run no batch (Spark runs a batch only when there is new data).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseAnalyzerConfig, type AnalyzerConfig, type PropMap } from './config.js';
import { AnalyzerEngine, type BatchResult, type EngineOptions, type EngineSnapshot } from './engine.js';
import { analyzeParallel, parallelAvailable } from './parallel.js';
import { readLines } from './input-file.js';
import { KafkaInput } from './input-kafka.js';
import { ConsoleSink, JsonlSink, KafkaSink, ResultsSink, type AnalyzerSink } from './sinks.js';
import { TimestampFormatter } from './time.js';

export { describeAnalyzerProperties, parseAnalyzerConfig, propMap } from './config.js';
export type { AnalyzerConfig, PropMap } from './config.js';
export { AnalyzerEngine } from './engine.js';
export type { BatchResult, EngineMetrics, OutputRow, QueryResult } from './engine.js';
export type { LatestResults } from './sinks.js';
export { ResultsSink } from './sinks.js';

export interface AnalyzerLogger {
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
}

export interface AnalyzerHandle {
  stop(): Promise<void>;
  /** Resolves when the input ended (file/stdin) and the last batch was written, or after stop(). */
  done: Promise<void>;
}

export interface AnalyzerHandleEx extends AnalyzerHandle {
  config: AnalyzerConfig;
  engine: AnalyzerEngine;
  /** The in-process results API of the first `results` sink (null when none is configured). */
  results: ResultsSink | null;
  /** Kafka source: the partitions the consumer group assigned to this instance. */
  assignment(): Record<string, number[]>;
}

export interface StartAnalyzerOptions {
  agentName: string;
  file: string;
  /** Keys relative to `<agentName>.` */
  props: PropMap;
  out: NodeJS.WritableStream;
  logger?: AnalyzerLogger;
  /** Injected clock (tests). */
  now?: () => number;
  /** stdin replacement (tests). */
  stdin?: Readable;
  /** Called after every batch (tests, CLI). */
  onBatch?: (b: BatchResult) => void;
}

interface Checkpoint {
  version: 1;
  source: { kind: 'kafka'; positions: Record<string, Record<string, string>> } | { kind: 'file'; path: string; lines: number };
  engine: EngineSnapshot;
}

const quietLogger: AnalyzerLogger = { info: () => {}, warn: () => {}, error: () => {} };

export async function startAnalyzerAgent(opts: {
  agentName: string;
  file: string;
  props: Map<string, { value: string; line: number }>;
  out: NodeJS.WritableStream;
  logger?: { info(m: string): void; warn(m: string): void; error(m: string): void };
}): Promise<{ stop(): Promise<void>; done: Promise<void> }> {
  return startAnalyzer(opts);
}

export async function startAnalyzer(opts: StartAnalyzerOptions): Promise<AnalyzerHandleEx> {
  const cfg = parseAnalyzerConfig(opts.agentName, opts.file, opts.props);
  const log = opts.logger ?? quietLogger;
  const now = opts.now ?? Date.now;
  const fmt = new TimestampFormatter(cfg.timeZone);
  const engineOpts: EngineOptions = {
    time: cfg.time, windowMs: cfg.windowMs, slideMs: cfg.slideMs, startMs: cfg.startMs, watermarkMs: cfg.watermarkMs,
    outputMode: cfg.outputMode, queries: cfg.queries, dropMalformed: cfg.dropMalformed,
    maxKeysPerWindow: cfg.maxKeysPerWindow, maxWindows: cfg.maxWindows,
  };
  const engine = new AnalyzerEngine(engineOpts, (m) => log.warn(m));

  // Checkpoint.
  const ckptFile = cfg.checkpointDir ? join(cfg.checkpointDir, 'checkpoint.json') : null;
  let restored: Checkpoint | null = null;
  if (ckptFile) {
    mkdirSync(cfg.checkpointDir!, { recursive: true });
    if (existsSync(ckptFile)) {
      restored = JSON.parse(readFileSync(ckptFile, 'utf8')) as Checkpoint;
      const src = restored.source;
      const want = cfg.source.type === 'kafka' ? 'kafka' : 'file';
      const wantPath = cfg.source.filePath ?? '-';
      if (src.kind !== want || (src.kind === 'file' && src.path !== wantPath)) {
        throw new Error(`${opts.file}: error ${cfg.agentName} (analyzer): checkpoint.dir ${cfg.checkpointDir} holds a checkpoint of another source (${src.kind === 'file' ? `file ${src.path}` : 'kafka'}); use a new checkpoint.dir for this source, or delete ${ckptFile}`);
      }
      engine.restore(restored.engine);
      log.info(`analyzer ${cfg.agentName}: resumed from checkpoint ${ckptFile} at batch ${restored.engine.nextBatchId}`);
    }
  }

  const sinks: AnalyzerSink[] = [];
  let results: ResultsSink | null = null;
  for (const s of cfg.sinks) {
    if (s.type === 'console') sinks.push(new ConsoleSink(s.name, s, opts.out, fmt));
    else if (s.type === 'jsonl') sinks.push(new JsonlSink(s.name, s.path!, fmt));
    else if (s.type === 'results') {
      const r = new ResultsSink(s.name, s.numRows, fmt);
      results ??= r;
      sinks.push(r);
    } else {
      const k = new KafkaSink(s.name, s.brokers, s.topic!, fmt);
      await k.open();
      sinks.push(k);
    }
  }

  const isFile = cfg.source.type !== 'kafka';
  let fileLines = restored?.source.kind === 'file' ? restored.source.lines : 0;
  let kafka: KafkaInput | null = null;
  const trigger = cfg.triggerMs;
  const nextTick = (t: number): number => (trigger === null ? t : t - (t % trigger) + trigger);
  const batchTime = (): number => now();

  let pendingTick = 0;
  let stopping = false;
  let finished = false;

  const writeCheckpoint = (): void => {
    if (!ckptFile) return;
    const source: Checkpoint['source'] = kafka
      ? { kind: 'kafka', positions: JSON.parse(JSON.stringify(kafka.positions)) as Record<string, Record<string, string>> }
      : { kind: 'file', path: cfg.source.filePath ?? '-', lines: fileLines };
    const c: Checkpoint = { version: 1, source, engine: engine.snapshot() };
    const tmp = ckptFile + '.tmp';
    writeFileSync(tmp, JSON.stringify(c));
    renameSync(tmp, ckptFile);
  };

  let emitting: Promise<void> = Promise.resolve();
  const closeBatch = (force: boolean): void => {
    if (!force && engine.nextBatchId > 0 && engineRecords === 0) {
      engine.retime(trigger === null ? batchTime() : pendingTick);
      return;
    }
    const b = engine.endBatch();
    engineRecords = 0;
    for (const s of sinks) s.onBatch(b);
    opts.onBatch?.(b);
    writeCheckpoint();
    if (kafka) {
      // Commit the batch's end to the group (after the checkpoint, when there is one): a
      // partition moved to another instance by a rebalance resumes from the last batch boundary.
      const k = kafka;
      const pos = JSON.parse(JSON.stringify(k.positions)) as Record<string, Record<string, string>>;
      emitting = emitting.then(() => k.commit(pos));
    }
    engine.beginBatch(trigger === null ? batchTime() : pendingTick);
  };
  let engineRecords = 0;

  // Batch 0 starts now.
  const batch0Time = batchTime();
  engine.beginBatch(batch0Time);
  const max = cfg.source.maxRecordsPerBatch;
  const onRecord = (value: Buffer | null): void => {
    if (value === null) engine.processNull();
    else engine.processBytes(value, 0, value.length);
    engineRecords++;
    if (max > 0 && engineRecords >= max) closeBatch(false);
  };
  const onRegion = (buf: Buffer, from: number, to: number): void => {
    engine.processBytes(buf, from, to);
    engineRecords++;
    if (max > 0 && engineRecords >= max) closeBatch(false);
  };

  let timer: NodeJS.Timeout | null = null;
  const arm = (): void => {
    if (trigger === null || stopping) return;
    timer = setTimeout(onTick, Math.max(0, pendingTick - now()));
  };
  const onTick = (): void => {
    // The batch that starts now will be closed at the next tick and stamped with it.
    pendingTick = nextTick(Math.max(now(), pendingTick));
    closeBatch(false);
    arm();
  };
  pendingTick = nextTick(now());

  let resolveDone!: () => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => { resolveDone = res; rejectDone = rej; });

  const finish = async (): Promise<void> => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    try {
      if (engineRecords > 0 || engine.nextBatchId === 0) closeFinal();
      await emitting;
      for (const s of sinks) await s.close();
      resolveDone();
    } catch (e) {
      rejectDone(e);
    }
  };
  const closeFinal = (): void => {
    const b = engine.endBatch();
    for (const s of sinks) s.onBatch(b);
    opts.onBatch?.(b);
    writeCheckpoint();
    engineRecords = 0;
  };

  if (isFile) {
    if (trigger !== null) {
      // As for Kafka: batch 0 runs at start (empty), then every batch ends at an aligned tick.
      closeBatch(true);
      arm();
    }
    const path = cfg.source.filePath ?? '-';
    const abort = new AbortController();
    let parallel = cfg.workers > 1 && trigger === null && max === 0 && !ckptFile;
    if (cfg.workers > 1 && !parallel) log.warn(`analyzer ${cfg.agentName}: workers = ${cfg.workers} applies only to trigger = available without maxRecordsPerBatch and checkpoint.dir; using 1`);
    if (parallel && !parallelAvailable()) {
      log.warn(`analyzer ${cfg.agentName}: worker threads need the compiled build (dist/analyzer/worker.js); using 1`);
      parallel = false;
    }
    const run = async (): Promise<void> => {
      if (parallel) {
        await analyzeParallel(engine, engineOpts, batch0Time, path, cfg.workers, { signal: abort.signal, ...(opts.stdin ? { stdin: opts.stdin } : {}) });
        return;
      }
      await readLines(path, {
        line: (buf, from, to) => {
          fileLines++;
          onRegion(buf, from, to);
        },
        chunkDone: () => (stopping ? undefined : yieldToTimers()),
      }, { skipLines: fileLines, signal: abort.signal, ...(opts.stdin ? { stdin: opts.stdin } : {}) });
    };
    run().then(() => finish(), (e: unknown) => {
      log.error(`analyzer ${cfg.agentName}: input failed: ${(e as Error).message}`);
      void finish().then(() => undefined);
      rejectDone(e);
    });
    return {
      config: cfg, engine, results, done, assignment: () => ({}),
      stop: async () => {
        stopping = true;
        abort.abort();
        await done.catch(() => undefined);
      },
    };
  }

  // Kafka.
  const k = cfg.source.kafka;
  kafka = new KafkaInput({
    brokers: k.brokers, topics: k.topics, groupId: k.groupId, clientId: k.clientId, startingOffsets: k.startingOffsets,
    startFrom: restored?.source.kind === 'kafka' ? restored.source.positions : null, logger: log,
  });
  const input = kafka;
  // Connecting is not part of the configuration check: a broker that cannot be reached fails
  // `done` (the agent logs it and exits 1), not startAnalyzer (which means a bad configuration).
  const started = input.start({ record: onRecord, batchDone: () => (trigger === null ? closeBatch(false) : undefined) }).then(() => {
    if (stopping) return;
    // Batch 0 right away (Spark's first batch), then aligned ticks.
    closeBatch(true);
    arm();
  });
  started.catch(async (e: unknown) => {
    finished = true;
    log.error(`analyzer ${cfg.agentName}: Kafka source ${k.brokers.join(',')} failed: ${(e as Error).message}`);
    await input.stop().catch(() => undefined);
    for (const s of sinks) await s.close().catch(() => undefined);
    rejectDone(e);
  });
  return {
    config: cfg, engine, results, done, assignment: () => input.assignment,
    stop: async () => {
      stopping = true;
      if (timer) clearTimeout(timer);
      await started.catch(() => undefined);
      await input.stop();
      await finish();
      await done;
    },
  };
}

function yieldToTimers(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/**
 * The reference pipeline in one command (`tsagent pipeline`, `npm start`):
 *
 *   data (file/URL, or generated NASA-like lines) --replay--> agent 1 (netcat :9999 -> memory -> Kafka)
 *     --> Kafka apache_logs --> agent 2 (Kafka -> memory -> HDFS /user/bigdata/apache_logs/%y-%m-%d)
 *                          \--> analyzer (six windowed queries, Spark console output)
 *
 * 1. brings up the local stack (stack/stack.sh up: downloads the jars on the first run);
 * 2. starts agent 2, the analyzer and agent 1 as child processes of the built CLI with the
 *    conf/ files as they are (overrides, if asked for, go to an overlay file in the run dir);
 * 3. replays the data as fast as agent 1 acknowledges (or at --rate);
 * 4. waits until every line is in Kafka, in HDFS and counted by the analyzer;
 * 5. stops agent 2 (its files are closed and renamed), counts the lines of its files, prints a
 *    summary and stops everything it started. Ctrl-C at any point does the same cleanly.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { TsagentError, errorMessage } from '../core/errors.js';
import { WebHdfsClient } from '../hdfs/webhdfs.js';
import { generateStream } from '../tools/generate.js';
import { replay, ReplayError, type ReplayProgress, type ReplaySummary } from '../tools/replay.js';
import { Child } from './children.js';
import { agent1Info, agent2Info, analyzerInfo, durationMs, overlayText } from './conf.js';
import { counter, countLines, fetchMetrics, hdfsPathPart, KafkaAdmin, listSinkFiles, offsetsDelta, TotalRequestsTracker, type HdfsFile } from './observe.js';
import { Stack } from './stack.js';
import { fmtBytes, fmtInt, fmtSecs, StatusLine } from './status.js';

export const DEFAULT_GENERATED_LINES = 200_000;
/** How long an agent may drain its memory channel at stop (tsagent's default is 5 s). */
const DRAIN_MS = 60_000;

export interface PipelineOptions {
  /** File or http(s)/ftp URL; undefined = generated NASA-like data. */
  input?: string | undefined;
  /** Generated lines (no input). */
  lines?: number;
  /** Generator seed. */
  seed?: string | number;
  /** Replay pacing, lines/s (default: as fast as agent 1 acknowledges). */
  rate?: number | undefined;
  /** Replay at most this many lines of the input. */
  limit?: number | undefined;
  /** Analyzer trigger override (e.g. "5s"); default: the conf's (60 s). */
  trigger?: string | undefined;
  /** Leave the stack running even if this run started it. */
  keepStack?: boolean;
  /** Private topic, consumer groups, HDFS file prefix and netcat port (tests, concurrent runs). */
  isolate?: boolean;
  /** Default: <stack dir>/runs/pipeline-<time>. */
  runDir?: string | undefined;
  /** Directory with flume-agent1.conf, flume-agent2.conf, log-analysis.conf. Default <repo>/conf. */
  confDir?: string | undefined;
  repoRoot: string;
  /** Extra properties `agent.key=value` (agent1., agent2. or analyzer.), written to the agent's overlay file. */
  sets?: string[] | undefined;
  /** Show the analyzer's console output live (default true). */
  showAnalyzer?: boolean;
  /** Longest wait after the replay for the last line to reach HDFS and the analyzer (ms). */
  timeoutMs?: number | undefined;
  /** Ctrl-C. */
  signal?: AbortSignal;
  /** Where progress and logs go (default stderr); the analyzer output and summary go to `out`. */
  err?: NodeJS.WriteStream;
  out?: NodeJS.WritableStream;
}

export interface StageTime {
  stage: string;
  /** ms the stage took. */
  ms: number;
  note?: string;
}

export interface PipelineSummary {
  ok: boolean;
  interrupted: boolean;
  error: string | null;
  runDir: string;
  runId: string;
  isolate: boolean;
  input: string;
  replay: Pick<ReplaySummary, 'linesRead' | 'sent' | 'acked' | 'failed' | 'rejected' | 'resent' | 'reconnects' | 'elapsedMs' | 'linesPerSecond' | 'complete'> | null;
  agent1: { accepted: number; drained: number } | null;
  kafka: { topic: string; records: number; perPartition: Array<[number, number]> } | null;
  agent2: { drained: number } | null;
  hdfs: { dir: string; files: HdfsFile[]; lines: number; bytes: number } | null;
  analyzer: { totalRequests: number; windows: number; batches: number; trigger: string } | null;
  /** ms after the replay started when the last line was acked / in Kafka / in HDFS / counted. */
  lastLineMs: { acked: number | null; kafka: number | null; hdfs: number | null; analyzer: number | null };
  /** lines/s of each stage over the time from the replay's start to its last line. */
  rates: { replay: number | null; kafka: number | null; hdfs: number | null; analyzer: number | null };
  stages: StageTime[];
  totalMs: number;
  stack: { startedByThisRun: boolean; stoppedAtEnd: boolean };
}

/** Live children, for a forced exit (second Ctrl-C). */
const live = new Set<Child>();
export function killAllNow(): void {
  for (const c of live) c.signal('SIGKILL');
}

class Interrupted extends Error {
  constructor() { super('interrupted'); }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(new Interrupted()); return; }
    const t = setTimeout(() => { signal?.removeEventListener('abort', on); resolve(); }, ms);
    const on = (): void => { clearTimeout(t); reject(new Interrupted()); };
    signal?.addEventListener('abort', on, { once: true });
  });
}

async function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) throw new Interrupted();
  let on: (() => void) | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { on = () => reject(new Interrupted()); signal.addEventListener('abort', on, { once: true }); })]);
  } finally {
    if (on) signal.removeEventListener('abort', on);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.setTimeout(2000, () => { s.destroy(); resolve(false); });
  });
}

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

const WARN_RE = /\b(WARN|ERROR|warning|error|Error)\b/;

export async function runPipeline(o: PipelineOptions): Promise<PipelineSummary> {
  const err = o.err ?? process.stderr;
  const out = o.out ?? process.stdout;
  const signal = o.signal;
  const status = new StatusLine(err, 5000);
  const say = (m: string): void => status.print(`pipeline: ${m}`);
  const t0 = Date.now();
  const runId = `${stamp()}-${randomBytes(2).toString('hex')}`.toLowerCase();
  const confDir = o.confDir ?? path.join(o.repoRoot, 'conf');
  const bin = path.join(o.repoRoot, 'bin', 'tsagent.js');
  const stack = new Stack(o.repoRoot);
  const stages: StageTime[] = [];
  const stageStart = { t: Date.now() };
  const endStage = (stage: string, note?: string): void => {
    const now = Date.now();
    stages.push({ stage, ms: now - stageStart.t, ...(note !== undefined ? { note } : {}) });
    stageStart.t = now;
  };

  const summary: PipelineSummary = {
    ok: false, interrupted: false, error: null, runDir: '', runId, isolate: o.isolate === true,
    input: o.input ?? `generated NASA-like data (seed ${String(o.seed ?? 1)}, ${fmtInt(o.lines ?? DEFAULT_GENERATED_LINES)} lines)`,
    replay: null, agent1: null, kafka: null, agent2: null, hdfs: null, analyzer: null,
    lastLineMs: { acked: null, kafka: null, hdfs: null, analyzer: null },
    rates: { replay: null, kafka: null, hdfs: null, analyzer: null },
    stages, totalMs: 0, stack: { startedByThisRun: false, stoppedAtEnd: false },
  };

  // --- configuration (read only; never modified) ---
  const f1 = path.join(confDir, 'flume-agent1.conf');
  const f2 = path.join(confDir, 'flume-agent2.conf');
  const fa = path.join(confDir, 'log-analysis.conf');
  const sets: Array<readonly [string, string]> = (o.sets ?? []).map((x) => {
    const i = x.indexOf('=');
    const k = i > 0 ? x.slice(0, i).trim() : '';
    if (!k || !['agent1', 'agent2', 'analyzer'].some((a) => k.startsWith(`${a}.`))) {
      throw new TsagentError('PIPELINE_OPTIONS', `pipeline: --set "${x}" must be KEY=VALUE with KEY starting with agent1., agent2. or analyzer. (e.g. agent1.sinks.kafka_sink.flumeBatchSize=1000)`);
    }
    return [k, x.slice(i + 1).trim()] as const;
  });
  const setsOf = (agent: string): Array<readonly [string, string]> => sets.filter(([k]) => k.startsWith(`${agent}.`));
  const a1 = await agent1Info(f1, 'agent1', setsOf('agent1'));
  const a2 = await agent2Info(f2, 'agent2', setsOf('agent2'));
  const an = await analyzerInfo(fa, 'analyzer', setsOf('analyzer'));
  const trigger = o.trigger ?? an.trigger;
  const triggerMs = durationMs(trigger);
  if (a2.topics.length !== 1 || a2.topics[0] !== a1.topic || !an.topics.includes(a1.topic)) {
    throw new TsagentError('PIPELINE_CONF', `pipeline: the files do not form one pipeline: agent 1 writes topic '${a1.topic}', agent 2 reads '${a2.topics.join(',')}', the analyzer reads '${an.topics.join(',')}'`);
  }

  // The run directory: logs of every process, overlays, summary.json.
  const vars0 = await stack.vars();
  const runDir = path.resolve(o.runDir ?? path.join(vars0.stackDir, 'runs', `pipeline-${runId}`));
  mkdirSync(runDir, { recursive: true });
  summary.runDir = runDir;
  say(`run directory ${runDir} (logs of every process)`);

  const isolate = o.isolate === true;
  const topic = isolate ? `${a1.topic}_${runId.replace(/[^a-z0-9]/g, '')}` : a1.topic;
  const group2 = isolate ? `${a2.groupId}_${runId.replace(/[^a-z0-9]/g, '')}` : a2.groupId;
  const prefix = isolate ? `${a2.filePrefix}_${runId.replace(/[^a-z0-9]/g, '')}` : a2.filePrefix;
  let ncPort = a1.port;
  const ncHost = a1.host;
  const children: Child[] = [];
  let lease: string | null = null;
  let admin: KafkaAdmin | null = null;
  let createdTopic = false;
  let stackChild: Child | null = null;
  /** `up` of this run started a service (seen in its output). */
  let stackLaunched = false;
  let stackWasDown = false;
  const hdfs = new WebHdfsClient(vars0.webhdfsUrl, { user: vars0.hdfsUser, timeoutMs: 60_000 });

  const startChild = (name: string, args: string[], env: NodeJS.ProcessEnv, onLine: (l: string, s: 'stdout' | 'stderr') => void): Child => {
    const c = new Child({ name, command: process.execPath, args: [bin, ...args], cwd: o.repoRoot, env, logFile: path.join(runDir, `${name}.log`), onLine });
    children.push(c);
    live.add(c);
    void c.exited.then(() => live.delete(c));
    return c;
  };
  const agentLines = (name: string) => (l: string): void => { if (WARN_RE.test(l)) status.print(`[${name}] ${l}`); };

  const tracker = new TotalRequestsTracker();

  try {
    // --- 1. the stack ---
    const before = await stack.status();
    stackWasDown = before === 3;
    summary.stack.startedByThisRun = before !== 0;
    if (before !== 0) say(before === 3 ? 'starting the local Kafka + HDFS stack (the first run downloads the jars from Maven Central, ~150 MB)' : 'the stack is partly up; starting the rest');
    lease = o.keepStack ? null : String(process.pid);
    stackChild = stack.up(lease, path.join(runDir, 'stack-up.log'), (l) => {
      // A service paused by an outage test makes `status` fail although nothing is started here.
      if (/already running.*nothing to do/.test(l)) summary.stack.startedByThisRun = false;
      if (/^(\[stack\] )?(starting|formatting) /.test(l)) stackLaunched = true;
      status.print(l.startsWith('[stack]') ? l : `[stack] ${l}`);
    });
    live.add(stackChild);
    const up = await abortable(stackChild.exited, signal);
    live.delete(stackChild);
    if (up.code !== 0) throw new TsagentError('PIPELINE_STACK', `pipeline: stack/stack.sh up failed (status ${String(up.code)}); see ${stackChild.logFile} and .stack/logs/`);
    stackChild = null;
    endStage('stack up', summary.stack.startedByThisRun ? 'started by this run' : 'already running');

    const vars = await stack.vars();
    const childEnv: NodeJS.ProcessEnv = { ...process.env, HADOOP_CONF_DIR: vars.hadoopConfDir, HADOOP_USER_NAME: vars.hdfsUser };

    // --- 2. Kafka state: topic, group positions ---
    admin = new KafkaAdmin(a1.brokers.length ? a1.brokers : vars.kafkaBrokers.split(','));
    if (isolate) {
      await abortable(admin.createTopic(topic, 3), signal);
      createdTopic = true;
      ncPort = await freePort();
    } else if (!(await abortable(admin.topicExists(topic), signal))) {
      await abortable(admin.createTopic(topic, 3), signal);
      say(`created topic ${topic} (3 partitions)`);
    }
    if (await portInUse(ncHost, ncPort)) {
      throw new TsagentError('PIPELINE_PORT', `pipeline: ${ncHost}:${ncPort} (${a1.netcatKey}.port in ${f1}) is already in use, probably by another agent 1; stop it, or run with --isolate (private port, topic and groups)`);
    }
    if ((await abortable(admin.groupMembers(group2), signal)) > 0) {
      throw new TsagentError('PIPELINE_GROUP', `pipeline: consumer group '${group2}' (${a2.kafkaSourceKey}.kafka.consumer.group.id in ${f2}) has active members, probably another agent 2; stop it, or run with --isolate`);
    }
    // Agent 2 starts at the end of the topic: records left by earlier runs are not this run's.
    await abortable(admin.groupToEnd(group2, topic), signal);
    const offsetsBefore = await abortable(admin.endOffsets(topic), signal);

    // Overlays (only when something is overridden; conf/ is never written).
    const overlay = (name: string, entries: Array<readonly [string, string]>): string[] => {
      if (entries.length === 0) return [];
      const file = path.join(runDir, `${name}.overlay.conf`);
      writeFileSync(file, overlayText(`tsagent pipeline ${runId}: overrides on top of ${name}'s file (later files win)`, entries));
      return ['-f', file];
    };
    const ov1 = overlay('agent1', [...(isolate ? [[`${a1.netcatKey}.port`, String(ncPort)] as const, [`${a1.kafkaSinkKey}.kafka.topic`, topic] as const] : []), ...setsOf(a1.agent)]);
    const ov2 = overlay('agent2', [...(isolate ? [[`${a2.kafkaSourceKey}.kafka.topics`, topic] as const, [`${a2.kafkaSourceKey}.kafka.consumer.group.id`, group2] as const, [`${a2.hdfsSinkKey}.hdfs.filePrefix`, prefix] as const] : []), ...setsOf(a2.agent)]);
    const ova = overlay('analyzer', [
      ...setsOf(an.agent),
      ...(isolate ? [[`${an.agent}.source.kafka.topics`, topic] as const, [`${an.agent}.source.kafka.groupId`, `tsagent-analyzer-${runId.replace(/[^a-z0-9]/g, '')}`] as const] : []),
      ...(o.trigger !== undefined ? [[`${an.agent}.trigger`, o.trigger] as const] : []),
    ]);

    // --- 3. agent 2, analyzer, agent 1 ---
    const m1 = await freePort();
    const m2 = await freePort();
    const agent2Start = Date.now();
    const c2 = startChild('agent2', ['agent', '-f', f2, ...ov2, '-n', a2.agent, '-Dflume.monitoring.type=http', `-Dflume.monitoring.port=${m2}`, `-Dtsagent.drain.timeout=${DRAIN_MS}`], childEnv, agentLines('agent2'));
    await c2.waitFor(/started from/, 'stderr', 60_000, "'started from'", signal);
    say(`agent 2 running (pid ${String(c2.pid)}): Kafka ${topic} (group ${group2}) -> HDFS ${a2.hdfsPath}/${prefix}.*${a2.fileSuffix}`);

    const showAnalyzer = o.showAnalyzer !== false;
    const ca = startChild('analyzer', ['agent', '-f', fa, ...ova, '-n', an.agent], childEnv, (l, s) => {
      if (s === 'stdout') {
        tracker.line(l);
        if (showAnalyzer) status.print(l);
      } else if (WARN_RE.test(l)) status.print(`[analyzer] ${l}`);
    });
    // The analyzer prints batch 0 once its Kafka consumer is positioned (Spark's first, empty batch).
    await ca.waitFor(/^Batch: 0$/, 'stdout', 60_000, 'batch 0', signal);
    say(`analyzer running (pid ${String(ca.pid)}): Kafka ${topic}, trigger ${trigger}`);

    const c1 = startChild('agent1', ['agent', '-f', f1, ...ov1, '-n', a1.agent, '-Dflume.monitoring.type=http', `-Dflume.monitoring.port=${m1}`, `-Dtsagent.drain.timeout=${DRAIN_MS}`], childEnv, agentLines('agent1'));
    await c1.waitFor(/started from/, 'stderr', 60_000, "'started from'", signal);
    say(`agent 1 running (pid ${String(c1.pid)}): netcat ${ncHost}:${ncPort} -> Kafka ${topic}`);
    endStage('agents started');

    // Children that die on their own end the run.
    let stopping = false;
    const died = new Promise<never>((_, reject) => {
      for (const c of [c1, c2, ca]) {
        void c.exited.then((e) => {
          if (!stopping) reject(new TsagentError('PIPELINE_CHILD', `pipeline: ${c.name} exited unexpectedly (${e.signal ?? `status ${String(e.code)}`}); log: ${c.logFile}\n${c.lastLines(15)}`));
        });
      }
    });
    died.catch(() => undefined);

    // --- live numbers ---
    let met1: Map<string, Map<string, number>> | null = null;
    let met2: Map<string, Map<string, number>> | null = null;
    const s1 = `SINK.${a1.kafkaSinkKey.split('.').pop()!}`;
    const src1 = `SOURCE.${a1.netcatKey.split('.').pop()!}`;
    const s2 = `SINK.${a2.hdfsSinkKey.split('.').pop()!}`;
    const poll = async (): Promise<void> => {
      [met1, met2] = await Promise.all([fetchMetrics(m1).catch(() => met1), fetchMetrics(m2).catch(() => met2)]);
    };

    // --- 4. replay ---
    let replayStart = Date.now();
    let prog: ReplayProgress | null = null;
    const replayCtl = new AbortController();
    const onAbort = (): void => replayCtl.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const line = (): string => {
      const p = prog;
      const el = (Date.now() - replayStart) / 1000;
      const acked = p?.acked ?? 0;
      const rel = p ? p.elapsedMs / 1000 : el;
      return `replay ${fmtInt(acked)} acked (${fmtInt(rel > 0 ? acked / rel : 0)}/s)  kafka ${fmtInt(counter(met1, s1, 'EventDrainSuccessCount'))}  hdfs ${fmtInt(counter(met2, s2, 'EventDrainSuccessCount'))}  analyzer ${fmtInt(tracker.total)}  ${el.toFixed(0)} s`;
    };
    const ticker = setInterval(() => { void poll().then(() => status.set(line())); }, 500);
    let rs: ReplaySummary;
    try {
      const input = o.input ?? generateStream({ seed: o.seed ?? 1, lines: o.lines ?? DEFAULT_GENERATED_LINES });
      say(`replaying ${summary.input} into ${ncHost}:${ncPort}${o.rate !== undefined ? ` at ${fmtInt(o.rate)} lines/s` : ' as fast as agent 1 acknowledges'}`);
      replayStart = Date.now();
      rs = await Promise.race([replay({
        input, ...(o.input === undefined ? { inputName: 'generated' } : {}),
        host: ncHost, port: ncPort, connectWaitMs: 15_000, retryForMs: 60_000,
        ...(o.rate !== undefined ? { rate: o.rate } : {}), ...(o.limit !== undefined ? { limit: o.limit } : {}),
        signal: replayCtl.signal, progressIntervalMs: 250,
        onProgress: (p) => { prog = p; },
        onNotice: (m) => status.print(`[replay] ${m}`),
      }).catch((e: unknown) => {
        if (e instanceof ReplayError) { summary.replay = pickReplay(e.summary); }
        throw e;
      }), died]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    summary.replay = pickReplay(rs);
    prog = rs;
    if (rs.aborted || signal?.aborted) { clearInterval(ticker); throw new Interrupted(); }
    summary.lastLineMs.acked = rs.elapsedMs;
    endStage('replay', `${fmtInt(rs.acked)} lines, ${fmtInt(rs.linesPerSecond)} lines/s`);
    const expected = rs.acked;

    // --- 5. wait for Kafka, HDFS and the analyzer ---
    const timeoutMs = o.timeoutMs ?? Math.max(180_000, 2 * (triggerMs ?? 0) + 120_000);
    const deadline = Date.now() + timeoutMs;
    let kafkaRecords: number | null = null;
    let offsetsAfter: Map<number, bigint> | null = null;
    let lastCountdown = '';
    try {
      for (;;) {
        await abortable(Promise.race([poll(), died]), signal);
        const now = Date.now();
        const sinceReplay = now - replayStart;
        if (kafkaRecords === null && counter(met1, s1, 'EventDrainSuccessCount') >= expected) {
          offsetsAfter = await admin.endOffsets(topic);
          kafkaRecords = offsetsDelta(offsetsBefore, offsetsAfter).total;
          summary.lastLineMs.kafka = sinceReplay;
        }
        if (kafkaRecords !== null && summary.lastLineMs.hdfs === null && counter(met2, s2, 'EventDrainSuccessCount') >= kafkaRecords) summary.lastLineMs.hdfs = sinceReplay;
        if (kafkaRecords !== null && summary.lastLineMs.analyzer === null && tracker.total >= kafkaRecords) summary.lastLineMs.analyzer = sinceReplay;
        if (summary.lastLineMs.kafka !== null && summary.lastLineMs.hdfs !== null && summary.lastLineMs.analyzer !== null) break;
        if (now > deadline) {
          throw new TsagentError('PIPELINE_TIMEOUT', `pipeline: gave up after ${Math.round(timeoutMs / 1000)} s: kafka ${fmtInt(counter(met1, s1, 'EventDrainSuccessCount'))}/${fmtInt(expected)}, hdfs ${fmtInt(counter(met2, s2, 'EventDrainSuccessCount'))}, analyzer ${fmtInt(tracker.total)} (logs in ${runDir})`);
        }
        let extra = '';
        if (summary.lastLineMs.analyzer === null && triggerMs !== null && kafkaRecords !== null) {
          const next = Math.ceil(now / triggerMs) * triggerMs;
          extra = `  analyzer: next trigger in ${Math.ceil((next - now) / 1000)} s${o.trigger === undefined && triggerMs >= 30_000 ? ' (seed trigger; --trigger 5s is quicker)' : ''}`;
          // Non-TTY: the countdown is worth a line now and then.
          const c = `${Math.ceil((next - now) / 10_000)}`;
          if (!status.tty && c !== lastCountdown) { lastCountdown = c; status.set(line() + extra, true); continue; }
        }
        status.set(line() + extra);
        await sleep(200, signal);
      }
    } finally {
      clearInterval(ticker);
      status.done();
    }
    endStage('drain', 'until the last line was in Kafka, in HDFS and counted');
    summary.agent1 = { accepted: counter(met1, src1, 'EventAcceptedCount'), drained: counter(met1, s1, 'EventDrainSuccessCount') };
    summary.agent2 = { drained: counter(met2, s2, 'EventDrainSuccessCount') };
    const od = offsetsDelta(offsetsBefore, offsetsAfter!);
    summary.kafka = { topic, records: od.total, perPartition: od.perPartition };
    summary.analyzer = { totalRequests: tracker.total, windows: tracker.windows.size, batches: tracker.batches, trigger };

    // --- 6. close agent 2's files and count their lines ---
    stopping = true;
    const s = await c2.stop(DRAIN_MS + 15_000);
    if (s.killed) say('agent 2 did not stop in time and was killed; its last files may still be .tmp');
    const layout = { dir: hdfsPathPart(a2.hdfsPath), filePrefix: prefix, fileSuffix: a2.fileSuffix, inUsePrefix: a2.inUsePrefix, inUseSuffix: a2.inUseSuffix };
    const files = await listSinkFiles(hdfs, layout, agent2Start);
    let hdfsLines = 0;
    let bytes = 0;
    for (const f of files) {
      f.lines = await countLines(hdfs, f.path, f.bytes);
      hdfsLines += f.lines;
      bytes += f.bytes;
    }
    summary.hdfs = { dir: layout.dir, files, lines: hdfsLines, bytes };
    endStage('hdfs check', `${files.length} file(s) listed and counted`);
    const rate = (ms: number | null): number | null => (ms !== null && ms > 0 ? Math.round((expected / ms) * 1000) : null);
    summary.rates = { replay: rate(summary.lastLineMs.acked), kafka: rate(summary.lastLineMs.kafka), hdfs: rate(summary.lastLineMs.hdfs), analyzer: rate(summary.lastLineMs.analyzer) };
    summary.ok = rs.complete && rs.rejected === 0 && od.total === expected && hdfsLines === expected && tracker.total === expected;
  } catch (e) {
    if (e instanceof Interrupted || signal?.aborted) {
      summary.interrupted = true;
      status.done();
      say('interrupted: stopping everything');
    } else {
      summary.error = errorMessage(e);
    }
  } finally {
    status.done();
    // Stop order: agent 1 (its channel drains into Kafka), agent 2 (drains into HDFS, closes files), analyzer.
    const t = Date.now();
    let downNeeded = false;
    if (stackChild) {
      // Interrupted during `up`: stop the script; services it already launched run in their own
      // sessions, so stop the stack if it was fully down before and this `up` launched something.
      await stackChild.stop(10_000);
      live.delete(stackChild);
      downNeeded = stackWasDown && stackLaunched && !o.keepStack;
      if (!downNeeded && stackLaunched) say('the stack was partly up before this run; leaving it (npm run stack:down stops it)');
    }
    const order = ['agent1', 'agent2', 'analyzer'];
    for (const name of order) {
      const c = children.find((x) => x.name === name);
      if (!c || !c.running) continue;
      const r = await c.stop(DRAIN_MS + 15_000);
      if (r.killed) say(`${name} did not stop within ${(DRAIN_MS + 15_000) / 1000} s; killed`);
    }
    for (const c of children) live.delete(c);
    if (admin) {
      if (createdTopic) {
        await admin.deleteTopic(topic).catch((e: unknown) => say(`could not delete topic ${topic}: ${errorMessage(e)}`));
        await admin.deleteGroup(group2);
        await admin.deleteGroup(`tsagent-analyzer-${runId.replace(/[^a-z0-9]/g, '')}`);
      }
      await admin.close();
    }
    await hdfs.close();
    if (downNeeded) {
      say('stopping the stack services this run launched');
      const r = await stack.down();
      summary.stack.stoppedAtEnd = /stack stopped/.test(r.stdout + r.stderr);
    } else if (summary.stack.startedByThisRun && !o.keepStack && lease !== null) {
      say('stopping the stack this run started (--keep-stack leaves it running)');
      const r = await stack.release(lease);
      summary.stack.stoppedAtEnd = /stack stopped/.test(r.stdout + r.stderr);
      if (!summary.stack.stoppedAtEnd) say((r.stdout + r.stderr).trim().split('\n').pop() ?? '');
    }
    stages.push({ stage: 'stop', ms: Date.now() - t });
    summary.totalMs = Date.now() - t0;
    if (summary.runDir) writeFileSync(path.join(summary.runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  }
  void out;
  return summary;
}

function pickReplay(s: ReplaySummary): NonNullable<PipelineSummary['replay']> {
  return {
    linesRead: s.linesRead, sent: s.sent, acked: s.acked, failed: s.failed, rejected: s.rejected, resent: s.resent,
    reconnects: s.reconnects, elapsedMs: s.elapsedMs, linesPerSecond: s.linesPerSecond, complete: s.complete,
  };
}

export function summaryText(s: PipelineSummary): string {
  const L: string[] = [];
  L.push('', 'pipeline summary');
  L.push(`  input            ${s.input}`);
  if (s.replay) {
    L.push(`  replayed         ${fmtInt(s.replay.linesRead)} lines read, ${fmtInt(s.replay.acked)} acknowledged by agent 1 (${fmtInt(s.replay.failed)} FAILED replies, ${fmtInt(s.replay.resent)} resent, ${s.replay.reconnects} reconnects)`);
  }
  if (s.kafka) {
    L.push(`  Kafka            ${fmtInt(s.kafka.records)} records in topic ${s.kafka.topic} (end offsets +${s.kafka.perPartition.map(([p, d]) => `${fmtInt(d)} p${p}`).join(', +')})`);
  }
  if (s.hdfs) {
    L.push(`  HDFS             ${fmtInt(s.hdfs.lines)} lines in ${s.hdfs.files.length} file(s), ${fmtBytes(s.hdfs.bytes)}, under ${s.hdfs.dir}:`);
    for (const f of s.hdfs.files) L.push(`                     ${f.path}  ${fmtBytes(f.bytes)}  ${fmtInt(f.lines ?? 0)} lines${f.inUse ? ' (still open)' : ''}`);
  }
  if (s.analyzer) {
    L.push(`  analyzer         total_requests ${fmtInt(s.analyzer.totalRequests)} over ${s.analyzer.windows} window(s), ${s.analyzer.batches} batches (trigger ${s.analyzer.trigger})`);
  }
  const ms = (x: number | null): string => (x === null ? '-' : fmtSecs(x));
  const r = (x: number | null): string => (x === null ? '' : `  ${fmtInt(x)} lines/s`);
  if (s.lastLineMs.acked !== null) {
    L.push('  last line (after the replay started)');
    L.push(`    acked by agent 1   ${ms(s.lastLineMs.acked)}${r(s.rates.replay)}`);
    L.push(`    in Kafka           ${ms(s.lastLineMs.kafka)}${r(s.rates.kafka)}`);
    L.push(`    in HDFS            ${ms(s.lastLineMs.hdfs)}${r(s.rates.hdfs)}`);
    L.push(`    counted            ${ms(s.lastLineMs.analyzer)}${r(s.rates.analyzer)}`);
  }
  L.push('  stages');
  for (const st of s.stages) L.push(`    ${st.stage.padEnd(18)} ${fmtSecs(st.ms).padStart(8)}${st.note ? `  ${st.note}` : ''}`);
  L.push(`    ${'total'.padEnd(18)} ${fmtSecs(s.totalMs).padStart(8)}`);
  L.push(`  logs             ${s.runDir}`);
  let result: string;
  if (s.interrupted) result = 'interrupted (Ctrl-C); everything this run started is stopped';
  else if (s.error) result = `failed: ${s.error.split('\n')[0]}`;
  else if (s.ok) result = `OK: every stage handled ${fmtInt(s.replay?.acked ?? 0)} lines, none lost, none duplicated`;
  else result = `MISMATCH: acked ${fmtInt(s.replay?.acked ?? 0)}, Kafka ${fmtInt(s.kafka?.records ?? 0)}, HDFS ${fmtInt(s.hdfs?.lines ?? 0)}, analyzer ${fmtInt(s.analyzer?.totalRequests ?? 0)}`;
  L.push(`  result           ${result}`, '');
  return L.join('\n');
}

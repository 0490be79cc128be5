/**
 * What the pipeline runner needs to know about the three reference files (conf/): the netcat
 * address of agent 1, the topics, consumer groups and the HDFS layout of agent 2, and the
 * analyzer's trigger. Read from the files themselves (component names are found by type), so a
 * user who edits conf/ keeps a working runner.
 *
 * Overrides (--isolate, --trigger) are never written into conf/: they go to a small overlay file
 * in the run directory that is passed as a second `-f` (later files override earlier keys).
 */
import { readPropertiesFile, type ParsedProperties } from '../config/properties.js';
import { TsagentError } from '../core/errors.js';

export interface Agent1Info {
  file: string;
  agent: string;
  netcatKey: string;
  host: string;
  port: number;
  kafkaSinkKey: string;
  topic: string;
  brokers: string[];
}

export interface Agent2Info {
  file: string;
  agent: string;
  kafkaSourceKey: string;
  topics: string[];
  groupId: string;
  brokers: string[];
  hdfsSinkKey: string;
  /** hdfs.path as written, e.g. hdfs:///user/bigdata/apache_logs/%y-%m-%d */
  hdfsPath: string;
  filePrefix: string;
  fileSuffix: string;
  inUsePrefix: string;
  inUseSuffix: string;
}

export interface AnalyzerInfo {
  file: string;
  agent: string;
  topics: string[];
  brokers: string[];
  /** analyzer.trigger as written (default 60s). */
  trigger: string;
  startingOffsets: string;
}

function fail(file: string, message: string): never {
  throw new TsagentError('PIPELINE_CONF', `pipeline: ${file}: ${message}`);
}

/** Overrides applied on top of a file (the runner's overlay entries). */
export type Overrides = ReadonlyArray<readonly [string, string]>;

async function read(file: string, overrides: Overrides = []): Promise<ParsedProperties> {
  const p = await readPropertiesFile(file);
  const err = p.problems.find((x) => x.severity === 'error');
  if (err) fail(file, `${err.message}${err.line !== undefined ? ` (line ${err.line})` : ''}`);
  for (const [key, value] of overrides) p.map.set(key, { key, value, file: '(override)', line: 0 });
  return p;
}

function get(p: ParsedProperties, key: string): string | undefined {
  return p.map.get(key)?.value.trim();
}

function list(v: string | undefined): string[] {
  return (v ?? '').split(/[\s,]+/).filter(Boolean);
}

/** The component of `kind` whose type matches `re`: its key prefix `agent.kind.name`. */
function findComponent(p: ParsedProperties, agent: string, kind: 'sources' | 'sinks', re: RegExp, what: string): string {
  const names = list(get(p, `${agent}.${kind}`));
  for (const n of names) {
    const t = get(p, `${agent}.${kind}.${n}.type`) ?? '';
    if (re.test(t)) return `${agent}.${kind}.${n}`;
  }
  fail(p.file, `agent '${agent}' has no ${what} (${agent}.${kind} = ${names.join(' ') || '(none)'}); the pipeline needs one`);
}

export async function agent1Info(file: string, agent = 'agent1', overrides: Overrides = []): Promise<Agent1Info> {
  const p = await read(file, overrides);
  const nc = findComponent(p, agent, 'sources', /^(netcat|org\.apache\.flume\.source\.NetcatSource)$/i, 'netcat source');
  const ks = findComponent(p, agent, 'sinks', /^(kafka|org\.apache\.flume\.sink\.kafka\.KafkaSink)$/i, 'Kafka sink');
  const port = Number(get(p, `${nc}.port`));
  if (!Number.isInteger(port)) fail(file, `${nc}.port is not a port number`);
  return {
    file, agent, netcatKey: nc, host: get(p, `${nc}.bind`) ?? 'localhost', port,
    kafkaSinkKey: ks,
    topic: get(p, `${ks}.kafka.topic`) ?? get(p, `${ks}.topic`) ?? 'default-flume-topic',
    brokers: list(get(p, `${ks}.kafka.bootstrap.servers`) ?? get(p, `${ks}.brokerList`)),
  };
}

export async function agent2Info(file: string, agent = 'agent2', overrides: Overrides = []): Promise<Agent2Info> {
  const p = await read(file, overrides);
  const ks = findComponent(p, agent, 'sources', /^(kafka|org\.apache\.flume\.source\.kafka\.KafkaSource)$/i, 'Kafka source');
  const hs = findComponent(p, agent, 'sinks', /^(hdfs|org\.apache\.flume\.sink\.hdfs\.HDFSEventSink)$/i, 'HDFS sink');
  const hdfsPath = get(p, `${hs}.hdfs.path`);
  if (!hdfsPath) fail(file, `${hs}.hdfs.path is not set`);
  return {
    file, agent, kafkaSourceKey: ks,
    topics: list(get(p, `${ks}.kafka.topics`) ?? get(p, `${ks}.topic`)),
    groupId: get(p, `${ks}.kafka.consumer.group.id`) ?? get(p, `${ks}.groupId`) ?? 'flume',
    brokers: list(get(p, `${ks}.kafka.bootstrap.servers`)),
    hdfsSinkKey: hs, hdfsPath,
    filePrefix: get(p, `${hs}.hdfs.filePrefix`) ?? 'FlumeData',
    fileSuffix: get(p, `${hs}.hdfs.fileSuffix`) ?? '',
    inUsePrefix: get(p, `${hs}.hdfs.inUsePrefix`) ?? '',
    inUseSuffix: get(p, `${hs}.hdfs.inUseSuffix`) ?? '.tmp',
  };
}

export async function analyzerInfo(file: string, agent = 'analyzer', overrides: Overrides = []): Promise<AnalyzerInfo> {
  const p = await read(file, overrides);
  if ((get(p, `${agent}.type`) ?? '').toLowerCase() !== 'analyzer') fail(file, `${agent}.type is not 'analyzer'`);
  if ((get(p, `${agent}.source.type`) ?? 'kafka') !== 'kafka') fail(file, `${agent}.source.type must be kafka for the pipeline`);
  return {
    file, agent,
    topics: list(get(p, `${agent}.source.kafka.topics`) ?? 'apache_logs'),
    brokers: list(get(p, `${agent}.source.kafka.bootstrap.servers`) ?? 'localhost:9092'),
    trigger: get(p, `${agent}.trigger`) ?? '60s',
    startingOffsets: get(p, `${agent}.source.kafka.startingOffsets`) ?? 'latest',
  };
}

/** A properties overlay: `key = value` lines (values escaped for java.util.Properties). */
export function overlayText(comment: string, entries: ReadonlyArray<readonly [string, string]>): string {
  const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/^\s/, (m) => `\\${m}`);
  return `# ${comment}\n${entries.map(([k, v]) => `${k} = ${esc(v)}`).join('\n')}\n`;
}

/** Duration text (60s, 1 minute, 500ms, 5 seconds) to ms; null for 'available'. */
export function durationMs(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === 'available') return null;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|millis(?:econds?)?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)?$/.exec(t);
  if (!m) throw new TsagentError('PIPELINE_OPTIONS', `pipeline: bad duration "${text}"; use e.g. 5s, 500ms, 1m or available`);
  const n = Number(m[1]);
  const u = m[2] ?? 's';
  const f = u.startsWith('ms') || u.startsWith('milli') ? 1 : u.startsWith('h') ? 3_600_000 : u.startsWith('m') ? 60_000 : 1000;
  return Math.round(n * f);
}

/**
 * The analyzer agent's properties: one declaration list drives validation, defaults and
 * `describe`. Keys are relative to `<agentName>.` (e.g. `window.duration`). `<query>` and
 * `<sink>` stand for a name listed in `queries` / `sinks`.
 */
import { CONSOLE_FORMATS, type ConsoleFormat } from './format-console.js';
import type { OutputMode, TimeMode } from './engine.js';
import { parseFilter, parseGroupBy, parseOrderBy, SEED_QUERIES, type QuerySpec } from './query.js';
import { parseDuration, TimestampFormatter } from './time.js';

export interface PropertyDecl {
  name: string;
  type: string;
  default?: string;
  description: string;
}

const SINK_TYPES = ['console', 'jsonl', 'kafka', 'results'] as const;
export type SinkType = (typeof SINK_TYPES)[number];

export const ANALYZER_PROPERTIES: readonly PropertyDecl[] = [
  { name: 'type', type: 'string', description: 'Must be "analyzer": makes this agent a log analyzer instead of a Flume agent.' },
  { name: 'source.type', type: 'enum(kafka|file|stdin)', default: 'kafka', description: 'Where log lines come from.' },
  { name: 'source.kafka.bootstrap.servers', type: 'list(host:port)', default: 'localhost:9092', description: 'Kafka brokers (comma-separated).' },
  { name: 'source.kafka.topics', type: 'list', default: 'apache_logs', description: 'Topics to subscribe to (comma- or space-separated). Each record value is one log line.' },
  { name: 'source.kafka.startingOffsets', type: 'enum(latest|earliest)', default: 'latest', description: 'Where to start when there is no checkpoint (and the consumer group has no committed offsets).' },
  { name: 'source.kafka.groupId', type: 'string', default: 'tsagent-analyzer-<agentName>', description: 'Consumer group. Instances with the same group share the partitions (scale-out).' },
  { name: 'source.kafka.clientId', type: 'string', default: 'tsagent-analyzer', description: 'Kafka client id.' },
  { name: 'source.file.path', type: 'path', description: 'Log file to read (source.type = file); a name ending in .gz is gunzipped; "-" reads stdin.' },
  { name: 'source.maxRecordsPerBatch', type: 'int', default: '0', description: 'End a micro-batch after this many records (0 = no limit). With trigger = available it sets the batch size.' },
  { name: 'workers', type: 'int', default: '1', description: 'Worker threads for a file or stdin read as one batch (trigger = available, no maxRecordsPerBatch, no checkpoint); the counts are merged.' },
  { name: 'time', type: 'enum(processing|event)', default: 'processing', description: 'processing: every row of a batch gets the batch time (Spark current_timestamp()); event: the line\'s own [dd/MMM/yyyy:HH:mm:ss Z] timestamp.' },
  { name: 'timeZone', type: 'string', default: 'local', description: 'Session time zone used to print window bounds: local (TZ of the process), UTC, +02:00, or an IANA name.' },
  { name: 'window.duration', type: 'duration', default: '60s', description: 'Window length (60s, 1 minute, 5m, ...).' },
  { name: 'window.slide', type: 'duration', default: '<window.duration>', description: 'Slide; smaller than the duration gives sliding (overlapping) windows.' },
  { name: 'window.startTime', type: 'duration', default: '0s', description: 'Offset of window starts from the epoch (Spark window startTime).' },
  { name: 'watermark', type: 'duration|none', default: 'none', description: 'Event time only: allowed lateness. Rows for windows ending at or before (max event time - watermark) are dropped as late; update/append modes evict those windows.' },
  { name: 'trigger', type: 'duration|available', default: '60s', description: 'Micro-batch interval (aligned to multiples of the interval, like Spark ProcessingTime), or "available": batches as fast as input arrives.' },
  { name: 'outputMode', type: 'enum(complete|update|append)', default: 'complete', description: 'complete: all rows every batch; update: rows changed in the batch; append: rows of windows closed by the watermark.' },
  { name: 'queries', type: 'list', default: 'total_requests status_distribution endpoint_traffic method_distribution ip_traffic error_rates', description: 'Query names, in output order. A seed query name without its own keys gets the seed definition.' },
  { name: 'queries.<query>.groupBy', type: 'list(field)', default: '(seed) or none', description: 'Group-by fields besides the window: ip, timestamp, method, endpoint, protocol, status, bytes.' },
  { name: 'queries.<query>.filter', type: 'condition', default: '(seed) or none', description: 'Rows to count, e.g. "status >= 400", "method = \'GET\' and bytes is not null", "status in (403, 404)".' },
  { name: 'queries.<query>.orderBy', type: 'list(column [asc|desc])', default: '(seed) or window desc, count desc', description: 'Output order: window, count, or a group-by field. Ties are broken by the group-by values ascending.' },
  { name: 'queries.<query>.countColumn', type: 'string', default: '(seed) or count', description: 'Name of the count column.' },
  { name: 'malformed', type: 'enum(keep|drop)', default: 'keep', description: 'keep: lines the regexes do not fully match are counted as Spark counts them (empty fields / null status); drop: they are not counted. Both count them in the malformed metric.' },
  { name: 'state.maxKeysPerWindow', type: 'int', default: '1000000', description: 'Distinct keys per window and query; rows with new keys past it are not counted (cappedRows metric, a warning). 0 = no cap.' },
  { name: 'state.maxWindows', type: 'int', default: '0', description: 'Windows kept per query (the oldest are evicted); bounds complete mode on an endless stream. 0 = no limit.' },
  { name: 'checkpoint.dir', type: 'path', description: 'Directory for checkpoints (source offsets and window state written together after every batch); a restart resumes from it.' },
  { name: 'sinks', type: 'list', default: 'console', description: 'Output names. A name that is a sink type (console, jsonl, kafka, results) needs no type key.' },
  { name: 'sinks.<sink>.type', type: 'enum(console|jsonl|kafka|results)', default: '<sink>', description: 'Sink type (defaults to the sink name).' },
  { name: 'sinks.<sink>.numRows', type: 'int', default: '20', description: 'console: rows shown per query and batch.' },
  { name: 'sinks.<sink>.truncate', type: 'bool', default: 'false', description: 'console: cut cells to 20 characters and right-align (Spark truncate=true).' },
  { name: 'sinks.<sink>.format', type: 'enum(spark3.0|spark3.1|spark3.5)', default: 'spark3.5', description: 'console: spark3.0 prints the window as [start, end]; spark3.1 as {start, end}; spark3.5 also escapes control characters like Spark >= 3.4.' },
  { name: 'sinks.<sink>.path', type: 'path', description: 'jsonl: output file (appended); one JSON object per updated row.' },
  { name: 'sinks.<sink>.topic', type: 'string', description: 'kafka: topic for one JSON record per updated row.' },
  { name: 'sinks.<sink>.bootstrap.servers', type: 'list(host:port)', default: '<source.kafka.bootstrap.servers>', description: 'kafka: brokers.' },
];

export function describeAnalyzerProperties(): Array<{ name: string; type: string; default?: string; description: string }> {
  return ANALYZER_PROPERTIES.map((p) => ({ ...p }));
}

export interface SinkConfig {
  name: string;
  type: SinkType;
  numRows: number;
  truncate: boolean;
  format: ConsoleFormat;
  path: string | null;
  topic: string | null;
  brokers: string[];
}

export interface AnalyzerConfig {
  agentName: string;
  source: {
    type: 'kafka' | 'file' | 'stdin';
    kafka: { brokers: string[]; topics: string[]; startingOffsets: 'latest' | 'earliest'; groupId: string; clientId: string };
    filePath: string | null;
    maxRecordsPerBatch: number;
  };
  time: TimeMode;
  timeZone: string;
  windowMs: number;
  slideMs: number;
  startMs: number;
  watermarkMs: number | null;
  /** null = available (as fast as input arrives). */
  triggerMs: number | null;
  outputMode: OutputMode;
  queries: QuerySpec[];
  dropMalformed: boolean;
  maxKeysPerWindow: number;
  maxWindows: number;
  checkpointDir: string | null;
  sinks: SinkConfig[];
  workers: number;
}

export type PropMap = Map<string, { value: string; line: number }>;

function list(v: string): string[] {
  return v.split(/[\s,]+/).filter(Boolean);
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * Validates the properties and builds the configuration. Collects every problem and throws one
 * Error listing them all (`file:line error <agent> (analyzer): ...; fix`).
 */
export function parseAnalyzerConfig(agentName: string, file: string, props: PropMap): AnalyzerConfig {
  const problems: string[] = [];
  const where = (key: string): string => {
    const l = props.get(key)?.line;
    return `${file}${l ? `:${l}` : ''} error ${agentName} (analyzer): `;
  };
  const bad = (key: string, msg: string, fix: string): void => {
    problems.push(`${where(key)}${key} ${msg}; ${fix}`);
  };
  const get = (key: string, def: string): string => props.get(key)?.value.trim() ?? def;
  const oneOf = <T extends string>(key: string, values: readonly T[], def: T): T => {
    const v = get(key, def);
    if ((values as readonly string[]).includes(v)) return v as T;
    bad(key, `= "${v}" is not valid`, `use one of ${values.join(', ')}`);
    return def;
  };
  const int = (key: string, def: number, min = 0): number => {
    const v = get(key, String(def));
    if (!/^\d+$/.test(v) || Number(v) < min) {
      bad(key, `= "${v}" is not an integer >= ${min}`, `write a whole number such as ${def}`);
      return def;
    }
    return Number(v);
  };
  const bool = (key: string, def: boolean): boolean => {
    const v = get(key, String(def)).toLowerCase();
    if (v === 'true' || v === 'false') return v === 'true';
    bad(key, `= "${v}" is not a boolean`, 'write true or false');
    return def;
  };
  const dur = (key: string, def: string, allowZero = false): number => {
    const v = get(key, def);
    const ms = parseDuration(v);
    if (ms === null || (!allowZero && ms <= 0)) {
      bad(key, `= "${v}" is not a ${allowZero ? '' : 'positive '}duration`, 'write e.g. 60s, 1 minute, 5m or 500ms');
      return parseDuration(def) ?? 60_000;
    }
    return ms;
  };

  const type = get('type', '');
  if (type !== 'analyzer') bad('type', `= "${type}"`, 'set type = analyzer for an analyzer agent');

  const queryNames = list(get('queries', ANALYZER_PROPERTIES.find((p) => p.name === 'queries')!.default!));
  const sinkNames = list(get('sinks', 'console'));
  if (queryNames.length === 0) bad('queries', 'is empty', 'list at least one query name');
  if (sinkNames.length === 0) bad('sinks', 'is empty', 'list at least one sink name (e.g. console)');

  // Unknown keys.
  const fixed = new Set(ANALYZER_PROPERTIES.filter((p) => !p.name.includes('<')).map((p) => p.name));
  const querySuffixes = ANALYZER_PROPERTIES.filter((p) => p.name.startsWith('queries.<query>.')).map((p) => p.name.slice('queries.<query>.'.length));
  const sinkSuffixes = ANALYZER_PROPERTIES.filter((p) => p.name.startsWith('sinks.<sink>.')).map((p) => p.name.slice('sinks.<sink>.'.length));
  for (const key of props.keys()) {
    if (fixed.has(key)) continue;
    let m = /^queries\.([^.]+)\.(.+)$/.exec(key);
    if (m) {
      if (!queryNames.includes(m[1]!)) bad(key, `is for query "${m[1]}", which is not in queries (${queryNames.join(' ')})`, `add ${m[1]} to ${agentName}.queries or remove the key`);
      else if (!querySuffixes.includes(m[2]!)) bad(key, 'is not a query property', `use one of ${querySuffixes.join(', ')}`);
      continue;
    }
    m = /^sinks\.([^.]+)\.(.+)$/.exec(key);
    if (m) {
      if (!sinkNames.includes(m[1]!)) bad(key, `is for sink "${m[1]}", which is not in sinks (${sinkNames.join(' ')})`, `add ${m[1]} to ${agentName}.sinks or remove the key`);
      else if (!sinkSuffixes.includes(m[2]!)) bad(key, 'is not a sink property', `use one of ${sinkSuffixes.join(', ')}`);
      continue;
    }
    const best = [...fixed].map((n) => [n, levenshtein(n.toLowerCase(), key.toLowerCase())] as const).sort((a, b) => a[1] - b[1])[0];
    bad(key, 'is not an analyzer property', best && best[1] <= 4 ? `did you mean "${best[0]}"?` : 'see `tsagent describe analyzer` for the property list');
  }

  const sourceType = oneOf('source.type', ['kafka', 'file', 'stdin'] as const, 'kafka');
  const brokers = list(get('source.kafka.bootstrap.servers', 'localhost:9092'));
  for (const b of brokers) if (!/^[^:\s]+:\d+$/.test(b)) bad('source.kafka.bootstrap.servers', `has "${b}"`, 'write host:port, comma-separated');
  const topics = list(get('source.kafka.topics', 'apache_logs'));
  if (sourceType === 'kafka' && topics.length === 0) bad('source.kafka.topics', 'is empty', 'name at least one topic');
  let filePath: string | null = props.get('source.file.path')?.value.trim() ?? null;
  if (sourceType === 'file' && !filePath) bad('source.file.path', 'is missing', 'set the log file to read (source.type = file)');
  if (sourceType === 'stdin') filePath = '-';

  const time = oneOf('time', ['processing', 'event'] as const, 'processing');
  const timeZone = get('timeZone', 'local');
  if (!TimestampFormatter.isValidTimeZone(timeZone)) bad('timeZone', `= "${timeZone}" is not a time zone`, 'use local, UTC, an offset like +02:00, or an IANA name like Europe/Paris');
  const windowMs = dur('window.duration', '60s');
  const slideMs = props.has('window.slide') ? dur('window.slide', '60s') : windowMs;
  if (slideMs > windowMs) bad('window.slide', `(${slideMs} ms) is longer than window.duration (${windowMs} ms)`, 'use a slide <= the duration');
  const startMs = dur('window.startTime', '0s', true);
  if (startMs >= slideMs) bad('window.startTime', `(${startMs} ms) is not less than the slide (${slideMs} ms)`, 'use an offset smaller than the slide');
  let watermarkMs: number | null = null;
  const wmText = get('watermark', 'none');
  if (wmText.toLowerCase() !== 'none') {
    watermarkMs = dur('watermark', '0s', true);
    if (time !== 'event') bad('watermark', 'is set but time = processing', 'set time = event, or remove the watermark');
  }
  const trigText = get('trigger', '60s');
  const triggerMs = trigText.toLowerCase() === 'available' ? null : dur('trigger', '60s');
  const outputMode = oneOf('outputMode', ['complete', 'update', 'append'] as const, 'complete');
  if (outputMode === 'append' && watermarkMs === null) bad('outputMode', '= append needs a watermark (windows are emitted when the watermark closes them)', 'set time = event and a watermark, or use complete/update');

  const queries: QuerySpec[] = [];
  for (const name of queryNames) {
    const seed = SEED_QUERIES[name];
    const own = ['groupBy', 'filter', 'orderBy', 'countColumn'].some((s) => props.has(`queries.${name}.${s}`));
    const base = own || !seed ? { groupBy: '', filter: '', orderBy: 'window desc, count desc', countColumn: 'count' } : seed;
    const k = (s: string): string => `queries.${name}.${s}`;
    try {
      const groupBy = parseGroupBy(get(k('groupBy'), base.groupBy));
      let orderBy: QuerySpec['orderBy'] = [];
      try {
        orderBy = parseOrderBy(get(k('orderBy'), base.orderBy), groupBy);
      } catch (e) {
        bad(k('orderBy'), (e as Error).message, 'fix the order keys');
      }
      let filter = { fn: null as QuerySpec['filter'], fields: [] as QuerySpec['filterFields'] };
      try {
        filter = parseFilter(get(k('filter'), base.filter));
      } catch (e) {
        bad(k('filter'), (e as Error).message, 'fix the condition');
      }
      const countColumn = get(k('countColumn'), base.countColumn);
      if (!/^\w+$/.test(countColumn)) bad(k('countColumn'), `= "${countColumn}"`, 'use letters, digits and _');
      queries.push({ name, groupBy, filterText: get(k('filter'), base.filter), filter: filter.fn, filterFields: filter.fields, orderBy, countColumn });
    } catch (e) {
      bad(k('groupBy'), (e as Error).message, 'fix the field list');
    }
  }
  if (new Set(queryNames).size !== queryNames.length) bad('queries', 'lists a name twice', 'list each query once');

  const sinks: SinkConfig[] = [];
  for (const name of sinkNames) {
    const k = (s: string): string => `sinks.${name}.${s}`;
    const t = get(k('type'), name);
    if (!(SINK_TYPES as readonly string[]).includes(t)) {
      bad(props.has(k('type')) ? k('type') : 'sinks', `: sink "${name}" has unknown type "${t}"`, `set ${agentName}.${k('type')} to one of ${SINK_TYPES.join(', ')}`);
      continue;
    }
    const sc: SinkConfig = {
      name, type: t as SinkType,
      numRows: int(k('numRows'), 20),
      truncate: bool(k('truncate'), false),
      format: oneOf(k('format'), CONSOLE_FORMATS, 'spark3.5'),
      path: props.get(k('path'))?.value.trim() || null,
      topic: props.get(k('topic'))?.value.trim() || null,
      brokers: list(get(k('bootstrap.servers'), brokers.join(','))),
    };
    if (sc.type === 'jsonl' && !sc.path) bad(k('path'), 'is missing', `set ${agentName}.${k('path')} to the output file`);
    if (sc.type === 'kafka' && !sc.topic) bad(k('topic'), 'is missing', `set ${agentName}.${k('topic')} to the output topic`);
    sinks.push(sc);
  }

  const cfg: AnalyzerConfig = {
    agentName,
    source: {
      type: sourceType,
      kafka: {
        brokers, topics,
        startingOffsets: oneOf('source.kafka.startingOffsets', ['latest', 'earliest'] as const, 'latest'),
        groupId: get('source.kafka.groupId', `tsagent-analyzer-${agentName}`),
        clientId: get('source.kafka.clientId', 'tsagent-analyzer'),
      },
      filePath,
      maxRecordsPerBatch: int('source.maxRecordsPerBatch', 0),
    },
    time, timeZone, windowMs, slideMs, startMs, watermarkMs, triggerMs, outputMode, queries,
    dropMalformed: oneOf('malformed', ['keep', 'drop'] as const, 'keep') === 'drop',
    maxKeysPerWindow: int('state.maxKeysPerWindow', 1_000_000),
    maxWindows: int('state.maxWindows', 0),
    checkpointDir: props.get('checkpoint.dir')?.value.trim() || null,
    sinks,
    workers: int('workers', 1, 1),
  };
  if (problems.length > 0) {
    const n = problems.length;
    throw new Error(`${problems.join('\n')}\ntsagent: ${n} problem${n === 1 ? '' : 's'} in ${file}; analyzer "${agentName}" was not started`);
  }
  return cfg;
}

/** Builds a property map from plain key/values (CLI and tests). */
export function propMap(entries: Record<string, string | number | boolean>): PropMap {
  const m: PropMap = new Map();
  for (const [k, v] of Object.entries(entries)) m.set(k, { value: String(v), line: 0 });
  return m;
}

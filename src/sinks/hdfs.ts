/**
 * HDFS sink (`hdfs`, org.apache.flume.sink.hdfs.HDFSEventSink) over WebHDFS, with Flume's file
 * layout (BucketPath escapes, `<prefix>.<counter><suffix>` names, `.tmp` while open), roll rules
 * (count/size checked before each event, interval, idle), formats (DataStream, CompressedStream
 * gzip, SequenceFile) and counters. `file:///` paths write local files the same way.
 *
 * Durability (see docs/hdfs.md): each batch's bytes for a file go in one CREATE/APPEND request;
 * the channel transaction commits only after every request of the batch succeeded (WebHDFS
 * closes the file after each request, so the data is durable, not just flushed). On a failure
 * the transaction rolls back and every file the batch touched is truncated back to its committed
 * length and finalised in the background; the events are written again to new files. So a
 * failure never leaves a duplicate or a torn record behind (unless the process dies in between,
 * then it is at-least-once like Flume). On start the sink finalises its own `.tmp` leftovers.
 */
import type { Channel, Sink, Transaction } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SINK_COUNTERS, type CounterGroup } from '../core/counters.js';
import { EventDeliveryException } from '../core/errors.js';
import type { Event } from '../core/event.js';
import { BACKOFF, READY, type Status } from '../core/lifecycle.js';
import { defineSink, type PropsOf } from '../core/spec.js';
import { BucketWriter, finalizeFile, writeDurable, type FileNames, type FinalizeJob, type OpenFile } from '../hdfs/bucket.js';
import { hadoopConfDir, hadoopUser, loadHadoopConf, resolveTarget, splitUri } from '../hdfs/conf.js';
import { EscapeError, EscapeTemplate, isKnownZone, staticEscapeProblems, type RoundUnit } from '../hdfs/escapes.js';
import { createFormat, type FileFormat, type FileType, type SerializerName, type WriteFormat } from '../hdfs/formats.js';
import { defaultStateDir, SinkState } from '../hdfs/state.js';
import { LocalFs, WebHdfsClient, type TargetFs } from '../hdfs/webhdfs.js';
import { createHash } from 'node:crypto';
import { takeBatch } from './batch.js';

/** Cap of one grouped write (body bytes). */
const GROUP_BYTES_MAX = 64 * 1024 * 1024;

const KNOWN_CODECS = ['gzip', 'bzip2', 'lzo', 'lzop', 'snappy', 'deflate', 'default', 'zstandard', 'lz4'];

const properties = {
  'hdfs.path': { type: 'string', required: true, description: 'Directory URI (hdfs:///p, hdfs://nn:8020/p, webhdfs://nn:9870/p, file:///p, /p); BucketPath escapes allowed.' },
  'hdfs.filePrefix': { type: 'string', default: 'FlumeData', description: 'File name prefix; escapes allowed.' },
  'hdfs.fileSuffix': { type: 'string', default: '', description: 'Appended literally after the counter (empty + codec: the codec extension, e.g. .gz).' },
  'hdfs.inUsePrefix': { type: 'string', default: '', description: 'Prefix of files being written.' },
  'hdfs.inUseSuffix': { type: 'string', default: '.tmp', description: 'Suffix of files being written.' },
  'hdfs.emptyInUseSuffix': { type: 'boolean', default: false, description: 'If true, files being written get no in-use suffix.' },
  'hdfs.rollInterval': { type: 'integer', default: 30, min: 0, description: 'Seconds after opening before a file is closed; 0 = never by time.' },
  'hdfs.rollSize': { type: 'integer', default: 1024, min: 0, description: 'Body bytes before rolling (checked before each event); 0 = never by size.' },
  'hdfs.rollCount': { type: 'integer', default: 10, min: 0, description: 'Events per file before rolling; 0 = never by count.' },
  'hdfs.idleTimeout': { type: 'integer', default: 0, min: 0, description: 'Seconds without writes before a file is closed; 0 = off.' },
  'hdfs.batchSize': { type: 'integer', default: 100, min: 1, description: 'Events per channel transaction (and per HDFS write request per file).' },
  'hdfs.codeC': { type: 'string', description: 'Compression codec: gzip (CompressedStream). Others are not supported by tsagent.' },
  'hdfs.fileType': { type: 'enum', default: 'SequenceFile', values: ['SequenceFile', 'DataStream', 'CompressedStream'], description: 'File format.' },
  'hdfs.maxOpenFiles': { type: 'integer', default: 5000, min: 1, description: 'Open files kept; the least recently used is closed beyond this.' },
  'hdfs.minBlockReplicas': { type: 'integer', min: 0, description: 'Minimum block replicas.', ignored: 'WebHDFS does not report the write pipeline; no under-replication rolls' },
  'hdfs.writeFormat': { type: 'enum', default: 'Writable', values: ['Writable', 'Text'], description: 'SequenceFile value type: BytesWritable (Writable) or Text.' },
  'hdfs.callTimeout': { type: 'integer', default: 30000, min: 1, description: 'Milliseconds allowed for each HDFS call.' },
  'hdfs.threadsPoolSize': { type: 'integer', default: 10, min: 1, description: 'HDFS call threads.', ignored: 'calls are asynchronous HTTP requests' },
  'hdfs.rollTimerPoolSize': { type: 'integer', default: 1, min: 1, description: 'Roll timer threads.', ignored: 'timers run on the event loop' },
  'hdfs.kerberosPrincipal': { type: 'string', description: 'Kerberos principal.', ignored: 'Kerberos (SPNEGO) is not supported; use simple authentication' },
  'hdfs.kerberosKeytab': { type: 'string', description: 'Kerberos keytab.', ignored: 'Kerberos (SPNEGO) is not supported; use simple authentication' },
  'hdfs.proxyUser': { type: 'string', description: 'User to impersonate (WebHDFS doas=).' },
  'hdfs.round': { type: 'boolean', default: false, description: 'Round the timestamp down for time escapes (not %t).' },
  'hdfs.roundValue': { type: 'integer', default: 1, description: 'Round down to a multiple of this (1-60 for second/minute, 1-24 for hour).' },
  'hdfs.roundUnit': { type: 'string', default: 'second', description: 'second, minute or hour.' },
  'hdfs.timeZone': { type: 'string', description: 'Time zone ID for escapes (default: the process time zone).' },
  'hdfs.useLocalTimeStamp': { type: 'boolean', default: false, description: 'Use the agent clock instead of the timestamp header.' },
  'hdfs.closeTries': { type: 'integer', default: 0, description: 'Close/rename attempts before giving up; 0 = retry forever.' },
  'hdfs.retryInterval': { type: 'integer', default: 180, description: 'Seconds between close/rename retries.' },
  'hdfs.useRawLocalFileSystem': { type: 'boolean', default: false, description: 'Skip the checksum layer for file: paths.', ignored: 'local files are written directly' },
  'hdfs.stateDir': {
    type: 'string',
    description: 'tsagent only: local directory recording the open in-use files and their committed lengths (crash recovery); default $TSAGENT_STATE_DIR/hdfs or ~/.tsagent/state/hdfs.',
  },
  'hdfs.batchesPerWrite': {
    type: 'integer', default: 100, min: 1,
    description: 'tsagent only: with a backlog in the channel, up to this many transactions (each <= batchSize) are written with one request per file and committed together once durable; 1 = strictly one transaction per write as Flume.',
  },
  serializer: { type: 'string', default: 'TEXT', description: 'DataStream/CompressedStream serializer: text, header_and_text or avro_event (or their Flume class names).' },
  'serializer.appendNewline': { type: 'boolean', default: true, description: 'text/header_and_text: write a newline after each event.' },
  'serializer.syncIntervalBytes': { type: 'integer', default: 2048000, min: 1, description: 'avro_event: bytes per Avro data block (a block also ends at every batch).' },
  'serializer.compressionCodec': { type: 'string', default: 'null', description: 'avro_event: Avro block codec; only null is supported.' },
} as const;

export type HdfsSinkProps = PropsOf<typeof properties>;

const SERIALIZERS: Record<string, SerializerName> = {
  text: 'text',
  'org.apache.flume.serialization.bodytexteventserializer$builder': 'text',
  header_and_text: 'header_and_text',
  'org.apache.flume.serialization.headerandbodytexteventserializer$builder': 'header_and_text',
  avro_event: 'avro_event',
  'org.apache.flume.serialization.flumeeventavroeventserializer$builder': 'avro_event',
};

function serializerOf(v: string): SerializerName | undefined {
  return SERIALIZERS[v.trim().toLowerCase()];
}

function codecOf(v: string | undefined): string | undefined {
  if (v === undefined || v.trim() === '' || v.trim().toLowerCase() === 'none') return undefined;
  let c = v.trim().toLowerCase();
  c = c.slice(c.lastIndexOf('.') + 1);
  if (c.endsWith('codec')) c = c.slice(0, -5);
  return c;
}

type Problem = { severity: 'error' | 'warning'; code: string; key?: string; message: string; fix?: string };

function check(p: HdfsSinkProps): Problem[] {
  const out: Problem[] = [];
  if (p['hdfs.path'].trim() === '') out.push({ severity: 'error', code: 'MISSING_PROPERTY', key: 'hdfs.path', message: 'hdfs.path is required', fix: 'set hdfs.path, e.g. hdfs:///user/me/logs/%y-%m-%d' });
  const codec = codecOf(p['hdfs.codeC']);
  if (codec !== undefined && !KNOWN_CODECS.includes(codec)) {
    out.push({ severity: 'error', code: 'BAD_VALUE', key: 'hdfs.codeC', message: `Unsupported compression codec ${p['hdfs.codeC']}.  Please choose from: [None, ${KNOWN_CODECS.join(', ')}]`, fix: 'use gzip' });
  } else if (codec !== undefined && codec !== 'gzip') {
    out.push({ severity: 'error', code: 'UNSUPPORTED', key: 'hdfs.codeC', message: `codec ${p['hdfs.codeC']} is not supported by tsagent`, fix: 'use hdfs.codeC = gzip' });
  }
  if (p['hdfs.fileType'] === 'DataStream' && codec !== undefined) {
    out.push({ severity: 'error', code: 'BAD_VALUE', key: 'hdfs.codeC', message: "fileType: DataStream which does NOT support compressed output. Please don't set codeC or change the fileType if compressed output is desired.", fix: 'remove hdfs.codeC or use fileType CompressedStream' });
  }
  if (p['hdfs.fileType'] === 'CompressedStream' && codec === undefined) {
    out.push({ severity: 'error', code: 'MISSING_PROPERTY', key: 'hdfs.codeC', message: "It's essential to set compress codec when fileType is: CompressedStream", fix: 'set hdfs.codeC = gzip' });
  }
  if (p['hdfs.fileType'] === 'SequenceFile' && codec !== undefined) {
    out.push({ severity: 'warning', code: 'IGNORED_PROPERTY', key: 'hdfs.codeC', message: 'compressed SequenceFiles are not supported by tsagent; files are written uncompressed (with the codec extension)' });
  }
  const ser = serializerOf(p.serializer);
  if (ser === undefined) {
    out.push({ severity: 'error', code: 'UNSUPPORTED', key: 'serializer', message: `serializer ${p.serializer} is not supported by tsagent`, fix: 'use text, header_and_text or avro_event' });
  }
  if (ser === 'avro_event' && p['serializer.compressionCodec'].trim().toLowerCase() !== 'null') {
    out.push({ severity: 'error', code: 'UNSUPPORTED', key: 'serializer.compressionCodec', message: `Avro codec ${p['serializer.compressionCodec']} is not supported by tsagent`, fix: 'use serializer.compressionCodec = null (or hdfs.fileType = CompressedStream with gzip)' });
  }
  for (const k of ['hdfs.path', 'hdfs.filePrefix'] as const) {
    for (const m of staticEscapeProblems(p[k])) out.push({ severity: 'error', code: 'BAD_VALUE', key: k, message: m, fix: 'use %[localhost], %[IP] or %[FQDN]' });
  }
  const unit = p['hdfs.roundUnit'].trim().toLowerCase();
  if (p['hdfs.round']) {
    if (!['second', 'minute', 'hour'].includes(unit)) {
      out.push({ severity: 'warning', code: 'BAD_VALUE', key: 'hdfs.roundUnit', message: `Rounding unit is not valid, please set one of minute, hour, or second. Rounding will be disabled (got '${p['hdfs.roundUnit']}')` });
    } else {
      const max = unit === 'hour' ? 24 : 60;
      const v = p['hdfs.roundValue'];
      if (v <= 0 || v > max) out.push({ severity: 'error', code: 'BAD_VALUE', key: 'hdfs.roundValue', message: `Round value must be > 0 and <= ${max}`, fix: `set hdfs.roundValue between 1 and ${max}` });
    }
  }
  const tz = p['hdfs.timeZone'];
  if (tz !== undefined && !isKnownZone(tz)) {
    out.push({ severity: 'warning', code: 'BAD_VALUE', key: 'hdfs.timeZone', message: `unknown time zone '${tz}': GMT is used (as Java does)`, fix: 'use an IANA zone ID such as Europe/Berlin' });
  }
  if (p['hdfs.emptyInUseSuffix'] && p['hdfs.inUseSuffix'] !== '.tmp') {
    out.push({ severity: 'warning', code: 'IGNORED_PROPERTY', key: 'hdfs.inUseSuffix', message: 'Ignoring parameter hdfs.inUseSuffix for hdfs sink (hdfs.emptyInUseSuffix = true)' });
  }
  const { scheme, authority } = splitUri(p['hdfs.path']);
  if (/%/.test(scheme + authority)) {
    out.push({ severity: 'error', code: 'BAD_VALUE', key: 'hdfs.path', message: 'escapes in the scheme or authority of hdfs.path are not supported', fix: 'put escapes in the path part only' });
  }
  return out;
}

type Counters = CounterGroup<(typeof SINK_COUNTERS)[number]>;

export class HdfsSink implements Sink {
  private channel: Channel | undefined;
  private fs: TargetFs | undefined;
  private basePath = '';
  readonly counters: Counters;
  private readonly pathT: EscapeTemplate;
  private readonly prefixT: EscapeTemplate;
  private readonly format: FileFormat;
  private readonly names: FileNames;
  /** Insertion order = least recently used first. */
  private readonly writers = new Map<string, BucketWriter>();
  private readonly jobs: FinalizeJob[] = [];
  private jobsRunning: Promise<void> | undefined;
  private state: SinkState | undefined;
  private stopped = false;

  constructor(private readonly ctx: ComponentContext<HdfsSinkProps>) {
    const p = ctx.props;
    this.counters = ctx.counters('SINK', SINK_COUNTERS);
    const unit = p['hdfs.roundUnit'].trim().toLowerCase();
    const validUnit = ['second', 'minute', 'hour'].includes(unit);
    const escOpts = {
      timeZone: p['hdfs.timeZone'],
      round: p['hdfs.round'] && validUnit,
      roundValue: p['hdfs.roundValue'],
      roundUnit: (validUnit ? unit : 'second') as RoundUnit,
      useLocalTimeStamp: p['hdfs.useLocalTimeStamp'],
      now: () => ctx.clock.now(),
      sanitizeHeaders: true,
    };
    const { path } = splitUri(p['hdfs.path']);
    this.pathT = new EscapeTemplate(path === '' ? '/' : path, escOpts);
    this.prefixT = new EscapeTemplate(p['hdfs.filePrefix'], escOpts);
    const codec = codecOf(p['hdfs.codeC']) === 'gzip' ? 'gzip' : undefined;
    this.format = createFormat({
      fileType: p['hdfs.fileType'] as FileType,
      writeFormat: p['hdfs.writeFormat'] as WriteFormat,
      codec,
      serializer: serializerOf(p.serializer) ?? 'text',
      appendNewline: p['serializer.appendNewline'],
      syncIntervalBytes: p['serializer.syncIntervalBytes'],
    });
    const codecExt = codecOf(p['hdfs.codeC']) !== undefined ? (codec === 'gzip' ? '.gz' : `.${codecOf(p['hdfs.codeC'])}`) : '';
    this.names = {
      suffix: p['hdfs.fileSuffix'] !== '' ? p['hdfs.fileSuffix'] : codecExt,
      inUsePrefix: p['hdfs.inUsePrefix'],
      inUseSuffix: p['hdfs.emptyInUseSuffix'] ? '' : p['hdfs.inUseSuffix'],
    };
  }

  /** Where the files go (for tests and logs). */
  get target(): string { return this.fs?.description ?? '(not started)'; }

  async start(channel: Channel): Promise<void> {
    this.channel = channel;
    this.stopped = false;
    if (!this.fs) {
      const conf = loadHadoopConf(hadoopConfDir());
      const { target } = resolveTarget(this.ctx.props['hdfs.path'], conf); // throws 'Incomplete HDFS URI, no host: ...'
      this.fs = target.kind === 'local'
        ? new LocalFs()
        : new WebHdfsClient(target.httpBase, { user: hadoopUser(), proxyUser: this.ctx.props['hdfs.proxyUser'], timeoutMs: this.ctx.props['hdfs.callTimeout'] });
      this.basePath = target.fsUri;
    }
    this.counters.start(this.ctx.clock.now());
    this.ctx.logger.info(`HDFS sink writing to ${this.ctx.props['hdfs.path']} via ${this.fs.description}`);
    const p = this.ctx.props;
    const key = createHash('sha1').update([this.basePath, p['hdfs.path'], p['hdfs.filePrefix'], this.names.suffix, this.names.inUsePrefix, this.names.inUseSuffix].join('\0')).digest('hex').slice(0, 10);
    this.state = new SinkState(p['hdfs.stateDir'] ?? defaultStateDir(), `${this.ctx.agent}.${this.ctx.name}.${key}`);
    for (const e of this.state.adoptOrphans()) {
      this.ctx.logger.info(`Found in-use file ${e.inUsePath} of a previous run (${e.committed} committed bytes); finalising it`);
      this.jobs.push({ inUsePath: e.inUsePath, finalPath: e.finalPath, target: e.committed, tries: 0, nextAt: 0, cleanClose: false, stateKey: e.inUsePath });
    }
    await this.findLeftovers();
  }

  // ---------------------------------------------------------------------------------------
  // Leftover `.tmp` files of this sink (after a crash): finalised at start.

  private async findLeftovers(): Promise<void> {
    const n = this.names;
    if (n.inUsePrefix === '' && n.inUseSuffix === '') return;
    if (this.pathT.template.includes('%{') || this.prefixT.template.includes('%{')) {
      this.ctx.logger.info('hdfs.path or hdfs.filePrefix uses %{header}: leftover in-use files are not searched at start');
    }
    const now = this.ctx.clock.now();
    const p = this.ctx.props;
    const times = [now, now - Math.max(p['hdfs.rollInterval'], p['hdfs.idleTimeout']) * 1000, now - 86400000];
    const seen = new Set<string>();
    for (const t of times) {
      let dir: string;
      let prefix: string;
      try {
        const h = { timestamp: String(t) };
        dir = this.pathT.escape(h);
        prefix = this.prefixT.escape(h);
      } catch {
        continue;
      }
      if (seen.has(dir + '\0' + prefix)) continue;
      seen.add(dir + '\0' + prefix);
      const re = new RegExp(`^${esc(n.inUsePrefix)}${esc(prefix)}\\.(\\d+)${esc(n.suffix)}${esc(n.inUseSuffix)}$`);
      let entries;
      try {
        entries = await this.fs!.list(dir);
      } catch (e) {
        this.ctx.logger.warn(`Could not list ${dir} for leftover in-use files: ${(e as Error).message}`);
        continue;
      }
      const d = dir.endsWith('/') ? dir.slice(0, -1) : dir;
      // Files not in the local record: only old ones (a live agent with the same prefix may
      // be writing the recent ones; its open files are younger than its roll/idle interval).
      const minAge = (Math.max(p['hdfs.rollInterval'], p['hdfs.idleTimeout']) || 3600) * 2000;
      for (const e of entries) {
        if (e.status.type !== 'FILE' || !re.test(e.name)) continue;
        if (this.state?.entries.has(`${dir.endsWith('/') ? dir.slice(0, -1) : dir}/${e.name}`)) continue;
        if (Date.now() - e.status.modificationTime < minAge) {
          this.ctx.logger.info(`In-use file ${dir}/${e.name} is not in this sink's record and was modified recently; leaving it (another agent may be writing it)`);
          continue;
        }
        const base = e.name.slice(n.inUsePrefix.length, e.name.length - n.inUseSuffix.length);
        this.ctx.logger.info(`Found leftover in-use file ${d}/${e.name}; finalising it`);
        this.jobs.push({ inUsePath: `${d}/${e.name}`, finalPath: `${d}/${base}`, target: undefined, tries: 0, nextAt: 0, cleanClose: false });
      }
    }
    await this.runJobs(true);
  }

  // ---------------------------------------------------------------------------------------
  // Finalising files (rename; truncate dirty ones first), with retries.

  private enqueueClose(f: OpenFile, dirty: boolean): void {
    // A dirty file is checked even if no write was confirmed: a failed CREATE may have made it.
    if (!f.exists && !dirty) return;
    const graceMs = Math.max(60_000, 2 * this.ctx.props['hdfs.callTimeout']);
    this.jobs.push({
      inUsePath: f.inUsePath, finalPath: f.finalPath, target: f.committedLength, tries: 0, nextAt: 0, cleanClose: !dirty,
      graceUntil: dirty ? Date.now() + graceMs : 0, stateKey: f.inUsePath,
    });
  }

  /** Runs due jobs. `force`: ignore retry times (start/stop). */
  private runJobs(force = false): Promise<void> {
    if (this.jobsRunning) return this.jobsRunning;
    this.jobsRunning = this.doRunJobs(force).finally(() => { this.jobsRunning = undefined; });
    return this.jobsRunning;
  }

  private async doRunJobs(force: boolean): Promise<void> {
    const now = this.ctx.clock.now();
    const p = this.ctx.props;
    const retryMs = Math.max(p['hdfs.retryInterval'], 0) * 1000;
    const due = this.jobs.filter((j) => force || j.nextAt <= now);
    const log = (lvl: 'info' | 'warn' | 'error', m: string): void => this.ctx.logger[lvl](m);
    await Promise.all(due.map(async (j) => {
      let r: 'done' | 'again' | 'failed';
      try {
        r = await finalizeFile(this.fs!, j, this.format, log, Date.now());
      } catch (e) {
        this.counters.values.ConnectionFailedCount++;
        r = 'failed';
        j.tries++;
        const closeTries = p['hdfs.closeTries'];
        const giveUp = (closeTries > 0 && j.tries >= closeTries && j.cleanClose) || (retryMs <= 0 && j.cleanClose);
        if (giveUp) {
          this.ctx.logger.warn(`Closing file: ${j.inUsePath} failed (${(e as Error).message}); giving up after ${j.tries} tries`);
          remove(this.jobs, j);
          if (j.stateKey) this.state?.remove(j.stateKey);
          return;
        }
        // Dirty files hold data of rolled-back batches: keep trying, at least every 10 s.
        const wait = j.cleanClose ? retryMs : Math.min(retryMs || 10000, 10000);
        this.ctx.logger.warn(`Closing file: ${j.inUsePath} failed (${(e as Error).message}). Will retry again in ${Math.round(wait / 1000)} seconds.`);
        j.nextAt = this.ctx.clock.now() + wait;
        return;
      }
      if (r === 'done') {
        this.counters.values.ConnectionClosedCount++;
        remove(this.jobs, j);
        if (j.stateKey) this.state?.remove(j.stateKey);
      } else {
        j.nextAt = this.ctx.clock.now() + 1000; // truncate recovery in progress
      }
    }));
    this.saveState();
  }

  private saveState(): void {
    try {
      this.state?.save();
    } catch (e) {
      this.ctx.logger.warn(`Could not write the sink's local record of open files: ${(e as Error).message}`);
    }
  }

  // ---------------------------------------------------------------------------------------

  private closeWriter(w: BucketWriter): void {
    this.writers.delete(w.key);
    if (w.file) this.enqueueClose(w.file, false);
    w.file = undefined;
  }

  /** Interval rolls and idle closes; Flume closes these even when no event arrives. */
  private closeExpired(now: number): void {
    const p = this.ctx.props;
    const roll = p['hdfs.rollInterval'] * 1000;
    const idle = p['hdfs.idleTimeout'] * 1000;
    for (const w of [...this.writers.values()]) {
      const f = w.file;
      if (!f) continue;
      if ((roll > 0 && now - f.openedAt >= roll) || (idle > 0 && now - f.lastWriteAt >= idle)) {
        this.ctx.logger.info(`${roll > 0 && now - f.openedAt >= roll ? 'Rolling' : 'Closing idle'} file ${f.inUsePath}`);
        this.closeWriter(w);
      }
    }
  }

  async process(): Promise<Status> {
    if (this.stopped) return BACKOFF;
    const now = this.ctx.clock.now();
    this.closeExpired(now);
    if (this.jobs.length > 0) {
      // Finalising (renames, repairs) must not stall new batches when HDFS is slow: wait ≤ 1 s.
      let t: NodeJS.Timeout | undefined;
      await Promise.race([this.runJobs(), new Promise<void>((r) => { t = setTimeout(r, 1000); })]);
      clearTimeout(t);
    }
    const p = this.ctx.props;
    const batchSize = p['hdfs.batchSize'];
    const groupMax = p['hdfs.batchesPerWrite'];
    const c = this.counters.values;
    const ch = this.channel!;
    const txs: Transaction[] = [];
    /** Files that got events in this round, in first-touch order. */
    const touched: OpenFile[] = [];
    /** Files to finalise once the round is committed (rolled, evicted). */
    const closeAfter: OpenFile[] = [];
    const touchedWriters = new Set<BucketWriter>();
    let n = 0;
    try {
      // Flume: one transaction of up to batchSize events. tsagent: while the channel has a
      // backlog, up to hdfs.batchesPerWrite transactions share one write request per file and
      // commit together once it is durable (group commit; see docs/hdfs.md).
      let groupBytes = 0;
      for (let k = 0; k < groupMax; k++) {
        if (k > 0 && (ch.size() === 0 || groupBytes >= GROUP_BYTES_MAX)) break;
        const tx = ch.createTransaction();
        tx.begin();
        txs.push(tx);
        const events = takeBatch(tx, batchSize);
        const m = events.length;
        if (m === 0) c.BatchEmptyCount++;
        else if (m < batchSize) c.BatchUnderflowCount++;
        else c.BatchCompleteCount++;
        c.EventDrainAttemptCount += m;
        n += m;
        for (const e of events) groupBytes += e.body.length;
        this.route(events, touched, closeAfter, touchedWriters);
        if (m < batchSize) break;
      }
      // Record new in-use files before they are created (crash recovery knows them).
      for (const f of touched) if (!f.exists) this.state?.set(f.inUsePath, f.finalPath, f.committedLength);
      this.saveState();
      // One request per file; files written concurrently.
      const stats = { created: () => { c.ConnectionCreatedCount++; }, failed: () => { c.ConnectionFailedCount++; } };
      const wrote = this.ctx.clock.now();
      const results = await Promise.allSettled(touched.map(async (f) => {
        const buf = await this.format.encode(f.pending, f.fmt, !f.exists, wrote);
        await writeDurable(this.fs!, f, buf, stats);
        f.lastWriteAt = wrote;
      }));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw new IoFailure(failed.reason);
      // Durable in HDFS: record the new committed lengths, then commit (a crash in between
      // means redelivery, never a truncated committed event).
      for (const f of touched) this.state?.set(f.inUsePath, f.finalPath, f.length);
      this.saveState();
      for (const tx of txs) tx.commit();
      for (const f of touched) {
        f.committedLength = f.length;
        f.pending = [];
      }
      c.EventDrainSuccessCount += n;
      for (const f of closeAfter) this.enqueueClose(f, false);
      if (closeAfter.length > 0) await this.runJobs();
      return n === 0 ? BACKOFF : READY;
    } catch (err) {
      // Newest first, so the events return to the head of the channel in their order.
      for (let i = txs.length - 1; i >= 0; i--) txs[i]!.rollback();
      c.EventWriteFail++;
      // Every writer this round touched is discarded (as Flume does after an IO error); its
      // files are truncated back to their committed length and finalised in the background.
      const dirty = new Set<OpenFile>([...touched, ...closeAfter]);
      for (const w of touchedWriters) {
        if (w.file) dirty.add(w.file);
        if (this.writers.get(w.key) === w) this.writers.delete(w.key);
        w.file = undefined;
      }
      for (const f of dirty) {
        f.pending = [];
        this.enqueueClose(f, f.length !== f.committedLength || touched.includes(f));
      }
      if (err instanceof EscapeFailure) {
        const msg = `process failed: ${err.message} (event headers ${JSON.stringify(err.event.headers)}, body ${JSON.stringify(err.event.body.subarray(0, 80).toString('utf8'))})`;
        throw new EventDeliveryException(msg);
      }
      const cause = err instanceof IoFailure ? err.inner : err;
      this.ctx.logger.warn(`HDFS IO error: ${(cause as Error)?.message ?? String(cause)}`);
      return BACKOFF;
    } finally {
      for (const tx of txs) tx.close();
    }
  }

  /** Assigns events to bucket writers and files, applying Flume's roll checks before each event. */
  private route(events: readonly Event[], touched: OpenFile[], closeAfter: OpenFile[], touchedWriters: Set<BucketWriter>): void {
    const p = this.ctx.props;
    const rollCount = p['hdfs.rollCount'];
    const rollSize = p['hdfs.rollSize'];
    for (const e of events) {
      let dir: string;
      let name: string;
      try {
        dir = this.pathT.escape(e.headers);
        name = this.prefixT.escape(e.headers);
      } catch (err) {
        if (err instanceof EscapeError) throw new EscapeFailure(err.message, e);
        throw err;
      }
      const key = `${dir}/${name}`;
      let w = this.writers.get(key);
      if (w) {
        this.writers.delete(key); // LRU: move to the end
        this.writers.set(key, w);
      } else {
        w = new BucketWriter(key, dir, name, this.ctx.clock.now());
        this.writers.set(key, w);
        if (this.writers.size > p['hdfs.maxOpenFiles']) {
          const eldest = this.writers.values().next().value!;
          this.writers.delete(eldest.key);
          if (eldest.file) closeAfter.push(eldest.file);
          eldest.file = undefined;
        }
      }
      touchedWriters.add(w);
      let f = w.file;
      if (f && ((rollCount > 0 && f.events >= rollCount) || (rollSize > 0 && f.bytes >= rollSize))) {
        closeAfter.push(f);
        f = undefined;
      }
      if (!f) f = w.open(this.names, this.ctx.clock.now());
      if (f.pending.length === 0) touched.push(f);
      f.pending.push(e);
      f.events++;
      f.bytes += e.body.length;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of [...this.writers.values()]) this.closeWriter(w);
    if (this.jobs.length > 0 && this.fs) {
      await this.runJobs(true).catch(() => undefined);
      if (this.jobs.length > 0) {
        this.ctx.logger.warn(`${this.jobs.length} in-use file(s) could not be finalised at stop; they are finalised at the next start: ${this.jobs.map((j) => j.inUsePath).join(', ')}`);
        this.jobs.length = 0;
      }
    }
    this.saveState(); // unfinished finalisations stay recorded for the next start
    await this.fs?.close();
    this.fs = undefined;
    this.counters.stop(this.ctx.clock.now());
  }

  /** For tests: pending finalisations. */
  get pendingFinalizations(): number { return this.jobs.length; }
  /** For tests: runs due finalisations now. */
  flushJobs(force = false): Promise<void> { return this.runJobs(force); }
}

class EscapeFailure extends Error {
  constructor(message: string, readonly event: Event) { super(message); }
}
class IoFailure extends Error {
  constructor(readonly inner: unknown) { super(inner instanceof Error ? inner.message : String(inner)); }
}

function esc(s: string): string { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }
function remove<T>(a: T[], x: T): void { const i = a.indexOf(x); if (i >= 0) a.splice(i, 1); }

export default defineSink({
  kind: 'sink',
  type: 'hdfs',
  aliases: ['org.apache.flume.sink.hdfs.HDFSEventSink'],
  description: 'Writes events to HDFS over WebHDFS (or local files) with Flume\'s layout, rolling and formats.',
  properties,
  passThrough: [{ prefix: 'serializer.', description: 'Serializer settings.' }],
  batchSizeProperty: 'hdfs.batchSize',
  check,
  create: (ctx: ComponentContext<HdfsSinkProps>) => new HdfsSink(ctx),
});

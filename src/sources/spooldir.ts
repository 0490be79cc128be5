/**
 * Spooling directory source (`spooldir`, org.apache.flume.source.SpoolDirectorySource): reads
 * complete, immutable files dropped into a directory, one event per line (deserializer LINE),
 * and renames each file to `<name><fileSuffix>` (or deletes it) once every line is committed.
 *
 * Progress: after each committed batch the read offset is written to
 * `<trackerDir>/.flumespool-main.meta` (JSON: file, size, mtime, offset), so a restart resumes
 * after the last committed batch (at-least-once: a batch committed just before a crash whose
 * offset was not yet recorded is sent again, as in Flume).
 * As Flume: a file that changes after it was picked up, or whose completed name is taken by a
 * different file, stops the source (FATAL) until it is restarted.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChannelProcessor, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SOURCE_COUNTERS, type CounterGroup } from '../core/counters.js';
import { errorMessage } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { defineSource, type PropsOf } from '../core/spec.js';
import { compileJavaRegexFull as javaRegex } from '../interceptors/java-regex.js';
import { deliverBatch, PollLoop, refill, resetCursor, type ReadCursor } from './file-tracking.js';

const properties = {
  spoolDir: { type: 'string', required: true, description: 'Directory to read files from.' },
  fileSuffix: { type: 'string', default: '.COMPLETED', description: 'Suffix appended to a file fully ingested.' },
  deletePolicy: { type: 'enum', values: ['never', 'immediate'], default: 'never', description: 'Delete completed files (immediate) or rename them (never).' },
  trackingPolicy: {
    type: 'enum', values: ['rename', 'tracker_dir'], default: 'rename',
    description: 'rename: completed files get fileSuffix; tracker_dir: an empty <name><fileSuffix> marker is created in trackerDir and the file is left as is.',
  },
  trackerDir: { type: 'string', default: '.flumespool', description: 'Directory for progress metadata (relative to spoolDir unless absolute).' },
  fileHeader: { type: 'boolean', default: false, description: 'Add the absolute path of the file as a header.' },
  fileHeaderKey: { type: 'string', default: 'file', description: 'Header name for fileHeader.' },
  basenameHeader: { type: 'boolean', default: false, description: 'Add the file name as a header.' },
  basenameHeaderKey: { type: 'string', default: 'basename', description: 'Header name for basenameHeader.' },
  includePattern: { type: 'string', default: '^.*$', description: 'Regex of file names to read.' },
  ignorePattern: { type: 'string', default: '^$', description: 'Regex of file names to skip (wins over includePattern).' },
  consumeOrder: { type: 'enum', values: ['oldest', 'youngest', 'random'], default: 'oldest', description: 'Which file to read next, by modification time.' },
  recursiveDirectorySearch: { type: 'boolean', default: false, description: 'Also read files in subdirectories.' },
  pollDelay: { type: 'integer', default: 500, min: 1, description: 'Milliseconds between directory scans when idle.' },
  maxBackoff: { type: 'integer', default: 4000, min: 1, description: 'Maximum milliseconds to wait before retrying a batch the channel refused.' },
  batchSize: { type: 'integer', default: 100, min: 1, description: 'Lines per channel transaction.' },
  inputCharset: { type: 'string', default: 'UTF-8', description: 'Charset of the files (UTF-8, ISO-8859-1 or US-ASCII).' },
  decodeErrorPolicy: { type: 'enum', values: ['FAIL', 'REPLACE', 'IGNORE'], default: 'FAIL', description: 'What to do with bytes that are not valid in inputCharset.' },
  deserializer: { type: 'string', default: 'LINE', description: 'Deserializer: LINE (org.apache.flume.serialization.LineDeserializer$Builder).' },
  'deserializer.maxLineLength': { type: 'integer', default: 2048, min: 1, description: 'Maximum characters per event; longer lines are split.' },
  'deserializer.outputCharset': { type: 'string', default: 'UTF-8', description: 'Charset of event bodies.' },
} as const;

export type SpoolDirProps = PropsOf<typeof properties>;

const META = '.flumespool-main.meta';

function bufferEncoding(charset: string): BufferEncoding | undefined {
  const c = charset.trim().toLowerCase().replace(/_/g, '-');
  if (c === 'utf-8' || c === 'utf8') return 'utf8';
  if (c === 'iso-8859-1' || c === 'latin1' || c === 'iso8859-1') return 'latin1';
  if (c === 'us-ascii' || c === 'ascii') return 'latin1';
  return undefined;
}

class FatalSpoolError extends Error {}

interface Meta { file: string; size: number; mtimeMs: number; offset: number }

/** The file being read; readPos runs ahead of `committed` while a batch is in flight. */
interface Current extends ReadCursor {
  path: string;
  size: number;
  mtimeMs: number;
  /** Offset of the first byte not yet committed. */
  committed: number;
  eof: boolean;
}

export class SpoolDirSource implements Source {
  private processor: ChannelProcessor | undefined;
  private readonly poll = new PollLoop();
  private readonly dir: string;
  private readonly trackerDir: string;
  private readonly include: RegExp;
  private readonly ignore: RegExp;
  private readonly inEnc: BufferEncoding;
  private readonly outEnc: BufferEncoding;
  private current: Current | undefined;
  private readonly logger: Logger;
  readonly counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>;
  /** Set when the source stopped on a FATAL error. */
  fatal: string | undefined;

  constructor(private readonly ctx: ComponentContext<SpoolDirProps>) {
    const p = ctx.props;
    this.dir = path.resolve(p.spoolDir);
    this.trackerDir = path.isAbsolute(p.trackerDir) ? p.trackerDir : path.join(this.dir, p.trackerDir);
    this.include = javaRegex(p.includePattern);
    this.ignore = javaRegex(p.ignorePattern);
    this.inEnc = bufferEncoding(p.inputCharset)!;
    this.outEnc = bufferEncoding(p['deserializer.outputCharset'])!;
    this.logger = ctx.logger;
    this.counters = ctx.counters('SOURCE', SOURCE_COUNTERS);
  }

  start(processor: ChannelProcessor): void {
    let st: fs.Stats;
    try { st = fs.statSync(this.dir); } catch { throw new Error(`Directory does not exist: ${this.dir}`); }
    if (!st.isDirectory()) throw new Error(`Path is not a directory: ${this.dir}`);
    fs.mkdirSync(this.trackerDir, { recursive: true });
    // Flume's permission check: a canary file must be writable and deletable.
    const canary = path.join(this.dir, `flume-spooldir-perm-check-${process.pid}-${Date.now()}.canary`);
    try {
      fs.writeFileSync(canary, 'testing flume file permissions\n');
      fs.rmSync(canary);
    } catch (e) {
      throw new Error(`Unable to read and modify files in the spooling directory: ${this.dir} (${errorMessage(e)})`);
    }
    this.processor = processor;
    this.counters.start();
    this.fatal = undefined;
    this.poll.start(() => this.run());
  }

  async stop(): Promise<void> {
    await this.poll.stop();
    this.closeCurrent();
    this.counters.stop();
  }

  private async run(): Promise<void> {
    const poll = this.poll;
    let backoff = 250;
    while (poll.running) {
      try {
        const events = this.nextBatch();
        if (events === undefined) { await poll.sleep(this.ctx.props.pollDelay); continue; }
        if (events.length > 0) {
          const refused = await deliverBatch(this.processor!, this.counters, events);
          if (refused) {
            this.logger.warn(`The channel is full or unexpected failure. The source will try again after ${backoff} ms: ${errorMessage(refused.error)}`);
            this.rewind();
            await poll.sleep(backoff);
            backoff = Math.min(backoff * 2, this.ctx.props.maxBackoff);
            continue;
          }
          backoff = 250;
          this.commitPosition();
        }
        if (this.current?.eof && this.current.committed === this.current.readPos) this.completeCurrent();
      } catch (e) {
        if (e instanceof FatalSpoolError || (e instanceof Error && /modified|changed size|re-used/.test(e.message))) {
          this.fatal = errorMessage(e);
          this.logger.error(`FATAL: ${this.ctx.name}: Uncaught exception in SpoolDirectorySource thread. Restart or reconfigure Flume to continue processing. ${errorMessage(e)}`);
          poll.running = false;
          return;
        }
        this.counters.values.GenericProcessingFail++;
        this.logger.error(`${this.ctx.name}: error reading the spooling directory: ${errorMessage(e)}`);
        this.closeCurrent();
        await poll.sleep(this.ctx.props.pollDelay);
      }
    }
  }

  // --- file selection --------------------------------------------------------------------
  private candidates(): Array<{ path: string; mtimeMs: number; name: string }> {
    const out: Array<{ path: string; mtimeMs: number; name: string }> = [];
    const p = this.ctx.props;
    const markerDone = (name: string): boolean =>
      p.trackingPolicy === 'tracker_dir' && fs.existsSync(path.join(this.trackerDir, name + p.fileSuffix));
    const walk = (dir: string): void => {
      for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
        const name = d.name;
        if (name.startsWith('.')) continue;
        const full = path.join(dir, name);
        if (full === this.trackerDir) continue;
        if (d.isDirectory()) { if (p.recursiveDirectorySearch) walk(full); continue; }
        if (!d.isFile()) continue;
        if (name.endsWith(p.fileSuffix) || name.endsWith('.canary')) continue;
        if (!this.include.test(name) || this.ignore.test(name)) continue;
        if (markerDone(path.relative(this.dir, full).split(path.sep).join('_'))) continue;
        try { out.push({ path: full, mtimeMs: fs.statSync(full).mtimeMs, name }); } catch { /* vanished */ }
      }
    };
    walk(this.dir);
    return out;
  }

  private pickNext(): string | undefined {
    const c = this.candidates();
    if (c.length === 0) return undefined;
    const order = this.ctx.props.consumeOrder;
    if (order === 'random') return c[Math.floor(Math.random() * c.length)]!.path;
    c.sort((a, b) => (a.mtimeMs - b.mtimeMs) || a.path.localeCompare(b.path));
    return order === 'oldest' ? c[0]!.path : c[c.length - 1]!.path;
  }

  private readMeta(): Meta | undefined {
    try { return JSON.parse(fs.readFileSync(path.join(this.trackerDir, META), 'utf8')) as Meta; } catch { return undefined; }
  }

  private openNext(): boolean {
    // A file in progress at the last stop/crash comes first.
    const meta = this.readMeta();
    let file: string | undefined;
    let offset = 0;
    if (meta && fs.existsSync(meta.file)) {
      const st = fs.statSync(meta.file);
      if (st.size === meta.size && Math.abs(st.mtimeMs - meta.mtimeMs) < 1) { file = meta.file; offset = meta.offset; }
    }
    file ??= this.pickNext();
    if (file === undefined) return false;
    const fd = fs.openSync(file, 'r');
    const st = fs.fstatSync(fd);
    this.current = { path: file, size: st.size, mtimeMs: st.mtimeMs, fd, committed: offset, readPos: offset, buf: Buffer.alloc(0), bufStart: offset, eof: false };
    this.logger.info(`Preparing to move file ${file} to ${file}${this.ctx.props.fileSuffix}`);
    this.commitPosition();
    return true;
  }

  private closeCurrent(): void {
    if (this.current) { try { fs.closeSync(this.current.fd); } catch { /* closed */ } }
    this.current = undefined;
  }

  /** The next batch of events, [] when the current file is exhausted, undefined when idle. */
  private nextBatch(): Event[] | undefined {
    if (!this.current && !this.openNext()) return undefined;
    const cur = this.current!;
    const p = this.ctx.props;
    const max = p['deserializer.maxLineLength'];
    const events: Event[] = [];
    const headers: Record<string, string> = {};
    if (p.fileHeader) headers[p.fileHeaderKey] = cur.path;
    if (p.basenameHeader) headers[p.basenameHeaderKey] = path.basename(cur.path);
    while (events.length < p.batchSize) {
      let rel = cur.readPos - cur.bufStart;
      let nl = cur.buf.indexOf(10, rel);
      if (nl < 0 && !cur.eof) {
        if (refill(cur) === 0) cur.eof = true;
        continue;
      }
      rel = cur.readPos - cur.bufStart;
      const end = nl < 0 ? cur.buf.length : nl;
      if (nl < 0 && end === rel) break; // EOF, nothing left
      const raw = cur.buf.subarray(rel, end);
      let text = this.decode(raw);
      let consumed = end - rel + (nl < 0 ? 0 : 1);
      if (text.length > max) {
        // Flume splits an over-long line: the first maxLineLength chars are one event.
        this.logger.warn(`Line length exceeds max (${max}), truncating line!`);
        text = text.slice(0, max);
        consumed = Buffer.byteLength(text, this.inEnc);
      }
      events.push({ headers: { ...headers }, body: Buffer.from(text, this.outEnc) });
      cur.readPos += consumed;
    }
    return events;
  }

  private decode(raw: Buffer): string {
    if (this.inEnc !== 'utf8') return raw.toString(this.inEnc);
    const s = raw.toString('utf8');
    if (!s.includes('\uFFFD') || Buffer.from(s, 'utf8').equals(raw)) return s;
    const policy = this.ctx.props.decodeErrorPolicy;
    if (policy === 'FAIL') {
      this.counters.values.EventReadFail++;
      throw new FatalSpoolError(`Input length = 1: invalid ${this.ctx.props.inputCharset} in ${this.current?.path}`);
    }
    return policy === 'IGNORE' ? s.replace(/\uFFFD/g, '') : s;
  }

  private rewind(): void {
    const cur = this.current;
    if (!cur) return;
    resetCursor(cur, cur.committed);
    cur.eof = false;
  }

  private commitPosition(): void {
    const cur = this.current;
    if (!cur) return;
    cur.committed = cur.readPos;
    const meta: Meta = { file: cur.path, size: cur.size, mtimeMs: cur.mtimeMs, offset: cur.committed };
    const f = path.join(this.trackerDir, META);
    fs.writeFileSync(f + '.tmp', JSON.stringify(meta));
    fs.renameSync(f + '.tmp', f);
  }

  private completeCurrent(): void {
    const cur = this.current!;
    const p = this.ctx.props;
    const st = fs.statSync(cur.path);
    if (st.mtimeMs !== cur.mtimeMs) throw new FatalSpoolError(`File has been modified since being read: ${cur.path}`);
    if (st.size !== cur.size) throw new FatalSpoolError(`File has changed size since being read: ${cur.path}`);
    this.closeCurrent();
    if (p.deletePolicy === 'immediate') {
      this.logger.info(`Preparing to delete file ${cur.path}`);
      fs.rmSync(cur.path);
    } else if (p.trackingPolicy === 'tracker_dir') {
      const marker = path.join(this.trackerDir, path.relative(this.dir, cur.path).split(path.sep).join('_') + p.fileSuffix);
      fs.writeFileSync(marker, '');
    } else {
      const dest = cur.path + p.fileSuffix;
      if (fs.existsSync(dest)) {
        if (fs.readFileSync(dest).equals(fs.readFileSync(cur.path))) {
          this.logger.warn(`Completed file ${dest} already exists, but files match, so continuing.`);
          fs.rmSync(cur.path);
        } else {
          throw new FatalSpoolError(`File name has been re-used with different files. Spooling assumptions violated for ${dest}`);
        }
      } else {
        fs.renameSync(cur.path, dest);
      }
    }
    fs.rmSync(path.join(this.trackerDir, META), { force: true });
  }
}

export default defineSource({
  kind: 'source',
  type: 'spooldir',
  aliases: ['org.apache.flume.source.SpoolDirectorySource'],
  description: 'Reads complete files dropped into a directory, one event per line; renames (or deletes) each file once it is fully committed.',
  properties,
  batchSizeProperty: 'batchSize',
  check: (p) => {
    const out: Array<{ severity: 'error'; code: string; key: string; value: string; message: string; fix: string }> = [];
    for (const k of ['inputCharset', 'deserializer.outputCharset'] as const) {
      if (bufferEncoding(p[k]) === undefined) {
        out.push({ severity: 'error', code: 'BAD_VALUE', key: k, value: p[k], message: `unsupported charset '${p[k]}'`, fix: 'use UTF-8, ISO-8859-1 or US-ASCII' });
      }
    }
    const d = p.deserializer.trim();
    if (d.toUpperCase() !== 'LINE' && d !== 'org.apache.flume.serialization.LineDeserializer$Builder') {
      out.push({ severity: 'error', code: 'BAD_VALUE', key: 'deserializer', value: d, message: `deserializer '${d}' is not supported`, fix: 'use LINE' });
    }
    for (const k of ['includePattern', 'ignorePattern'] as const) {
      try { javaRegex(p[k]); } catch (e) {
        out.push({ severity: 'error', code: 'BAD_VALUE', key: k, value: p[k], message: `invalid regex: ${errorMessage(e)}`, fix: 'write a valid regular expression' });
      }
    }
    return out;
  },
  create: (ctx: ComponentContext<SpoolDirProps>) => new SpoolDirSource(ctx),
});

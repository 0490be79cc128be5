/**
 * Taildir source (`TAILDIR`, org.apache.flume.source.taildir.TaildirSource): tails every file
 * whose name matches a file group's regex, one event per line, and records the committed byte
 * offset of each file (by inode) in a JSON position file, as Flume does.
 *
 * Files are tracked by inode and read through an open descriptor, so rotation by rename loses
 * nothing: lines appended to the old file before or just after the rename are still read from
 * the renamed file (even when its new name no longer matches) and the recreated file is tailed
 * from its start. A file whose name stopped matching is closed once fully read and idle; a
 * partial last line (no newline yet) is held back until its newline arrives, or emitted as is
 * when the file has been idle for idleTimeout.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChannelProcessor, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SOURCE_COUNTERS, type CounterGroup } from '../core/counters.js';
import { errorMessage } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { defineSource, type PropsOf } from '../core/spec.js';
import { compileJavaRegexFull } from '../interceptors/java-regex.js';
import { deliverBatch, PollLoop, refill, resetCursor, type ReadCursor } from './file-tracking.js';
import { readPositions, writePositions, type PositionEntry } from './tail/position.js';
import { markHeadersCopied } from '../core/java-hashmap-order.js';

const properties = {
  filegroups: { type: 'list', required: true, description: 'Space-separated file group names.' },
  positionFile: { type: 'string', default: '~/.flume/taildir_position.json', description: 'JSON file with the inode and committed offset of each tailed file.' },
  batchSize: { type: 'integer', default: 100, min: 1, description: 'Lines per channel transaction.' },
  maxBatchCount: { type: 'integer', default: Number.MAX_SAFE_INTEGER, min: 1, description: 'Batches read from one file before moving to the next (fairness).' },
  skipToEnd: { type: 'boolean', default: false, description: 'Start at the end of files not in the position file.' },
  idleTimeout: { type: 'integer', default: 120000, min: 1, description: 'Milliseconds without growth after which a file is considered idle (partial line emitted, rotated file closed).' },
  writePosInterval: { type: 'integer', default: 3000, min: 1, description: 'Milliseconds between writes of the position file.' },
  byteOffsetHeader: { type: 'boolean', default: false, description: 'Add the byte offset of each line as header `byteoffset`.' },
  fileHeader: { type: 'boolean', default: false, description: 'Add the absolute path of the file as a header.' },
  fileHeaderKey: { type: 'string', default: 'file', description: 'Header name for fileHeader.' },
  cachePatternMatching: { type: 'boolean', default: true, description: 'Cache the list of matching files between directory changes.', ignored: 'directories are listed on every poll' },
  backoffSleepIncrement: { type: 'integer', default: 1000, min: 1, description: 'Milliseconds added to the wait after each poll that found nothing.' },
  maxBackoffSleep: { type: 'integer', default: 5000, min: 1, description: 'Maximum milliseconds between polls when nothing is found.' },
} as const;

export type TaildirProps = PropsOf<typeof properties>;

interface Group { name: string; dir: string; re: RegExp; headers: Record<string, string> }

/** A tailed file; readPos runs ahead of `pos` while a batch is in flight. */
interface TailFile extends ReadCursor {
  inode: number;
  path: string;
  group: Group;
  /** Committed offset (what the position file records). */
  pos: number;
  lastGrowth: number;
  size: number;
  matched: boolean;
}

function expandHome(p: string): string {
  const t = p.trim();
  return t === '~' || t.startsWith('~/') ? path.join(os.homedir(), t.slice(1)) : path.resolve(t);
}

export function parseGroups(filegroups: readonly string[], raw: ReadonlyMap<string, string>): { groups: Group[]; problems: string[] } {
  const groups: Group[] = [];
  const problems: string[] = [];
  for (const g of filegroups) {
    const spec = raw.get(`filegroups.${g}`);
    if (spec === undefined || spec.trim() === '') { problems.push(`filegroups.${g}`); continue; }
    const abs = spec.trim();
    const dir = path.dirname(abs);
    const headers: Record<string, string> = {};
    const pre = `headers.${g}.`;
    for (const [k, v] of raw) if (k.startsWith(pre)) headers[k.slice(pre.length)] = v;
    groups.push({ name: g, dir, re: compileJavaRegexFull(path.basename(abs)), headers });
  }
  return { groups, problems };
}

export class TaildirSource implements Source {
  private processor: ChannelProcessor | undefined;
  private readonly poll = new PollLoop();
  private readonly groups: Group[];
  private readonly files = new Map<number, TailFile>();
  private readonly positionFile: string;
  private saved = new Map<number, PositionEntry>();
  private lastPosWrite = 0;
  private readonly logger: Logger;
  readonly counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>;

  constructor(private readonly ctx: ComponentContext<TaildirProps>) {
    this.groups = parseGroups(ctx.props.filegroups, ctx.raw).groups;
    this.positionFile = expandHome(ctx.props.positionFile);
    this.logger = ctx.logger;
    this.counters = ctx.counters('SOURCE', SOURCE_COUNTERS);
  }

  start(processor: ChannelProcessor): void {
    this.processor = processor;
    const r = readPositions(this.positionFile);
    if (r.problem) this.logger.warn(`Failed loading positionFile: ${this.positionFile} (${r.problem}); starting without positions`);
    this.saved = new Map(r.entries.map((e) => [e.inode, e]));
    this.counters.start();
    this.poll.start(() => this.run());
  }

  async stop(): Promise<void> {
    await this.poll.stop();
    try { this.writePositionFile(); } catch (e) { this.logger.error(`Failed writing positionFile: ${errorMessage(e)}`); }
    for (const f of this.files.values()) fs.closeSync(f.fd);
    this.files.clear();
    this.counters.stop();
  }

  private async run(): Promise<void> {
    let idlePolls = 0;
    const p = this.ctx.props;
    const poll = this.poll;
    while (poll.running) {
      let read = 0;
      try {
        this.updateFiles();
        for (const f of [...this.files.values()]) {
          if (!poll.running) break;
          read += await this.tail(f);
        }
        this.closeDone();
      } catch (e) {
        this.counters.values.GenericProcessingFail++;
        this.logger.error(`Unable to tail files: ${errorMessage(e)}`);
      }
      if (Date.now() - this.lastPosWrite >= p.writePosInterval) {
        try { this.writePositionFile(); } catch (e) { this.logger.error(`Failed writing positionFile: ${errorMessage(e)}`); }
      }
      if (read > 0) { idlePolls = 0; continue; }
      idlePolls++;
      await poll.sleep(Math.min(idlePolls * p.backoffSleepIncrement, p.maxBackoffSleep));
    }
  }

  /** Lists the groups' directories; opens new inodes, follows renames, marks unmatched files. */
  private updateFiles(): void {
    const now = Date.now();
    const seen = new Set<number>();
    for (const g of this.groups) {
      let names: string[];
      try { names = fs.readdirSync(g.dir); } catch { continue; }
      for (const name of names) {
        if (!g.re.test(name)) continue;
        const full = path.join(g.dir, name);
        let st: fs.Stats;
        try { st = fs.statSync(full); } catch { continue; }
        if (!st.isFile()) continue;
        const ino = st.ino;
        seen.add(ino);
        const f = this.files.get(ino);
        if (f) {
          if (f.path !== full) { this.logger.info(`Re-opening file ${full} (renamed from ${f.path}, inode ${ino})`); f.path = full; }
          f.matched = true;
          continue;
        }
        let fd: number;
        try { fd = fs.openSync(full, 'r'); } catch { continue; }
        const saved = this.saved.get(ino);
        let pos = saved ? saved.pos : this.ctx.props.skipToEnd ? st.size : 0;
        if (pos > st.size) pos = 0; // truncated while we were away
        this.files.set(ino, {
          inode: ino, path: full, group: g, fd, pos, readPos: pos, buf: Buffer.alloc(0), bufStart: pos,
          lastGrowth: now, size: st.size, matched: true,
        });
        this.logger.info(`Opening file: ${full}, inode: ${ino}, pos: ${pos}`);
      }
    }
    for (const f of this.files.values()) if (!seen.has(f.inode)) f.matched = false;
  }

  /** Closes files that no longer match (rotated away or deleted) once fully read and idle. */
  private closeDone(): void {
    const now = Date.now();
    for (const f of [...this.files.values()]) {
      if (f.matched || f.pos < f.size) continue;
      const idle = now - f.lastGrowth >= Math.min(this.ctx.props.idleTimeout, 2000);
      if (!idle) continue;
      this.logger.info(`Closing file: ${f.path}, inode: ${f.inode}, pos: ${f.pos}`);
      fs.closeSync(f.fd);
      this.files.delete(f.inode);
    }
  }

  /** Reads and commits the new complete lines of one file; returns the number of events. */
  private async tail(f: TailFile): Promise<number> {
    const p = this.ctx.props;
    const st = fs.fstatSync(f.fd);
    const now = Date.now();
    if (st.size > f.size) f.lastGrowth = now;
    if (st.size < f.pos) {
      this.logger.warn(`File ${f.path} was truncated (size ${st.size} < position ${f.pos}); reading from the start`);
      f.pos = 0;
      resetCursor(f, 0);
      f.lastGrowth = now;
    }
    f.size = st.size;
    if (f.pos >= f.size) return 0;
    let total = 0;
    for (let batches = 0; batches < p.maxBatchCount && this.poll.running; batches++) {
      const idle = now - f.lastGrowth >= p.idleTimeout;
      const events = this.readBatch(f, idle);
      if (events.length === 0) break;
      const refused = await deliverBatch(this.processor!, this.counters, events);
      if (refused) {
        this.logger.warn(`Unable to put batch on the channel, retrying: ${errorMessage(refused.error)}`);
        resetCursor(f, f.pos); // read the same lines again next time
        await this.poll.sleep(p.backoffSleepIncrement);
        return total;
      }
      f.pos = f.readPos;
      total += events.length;
      if (events.length < p.batchSize) break;
    }
    return total;
  }

  private readBatch(f: TailFile, idle: boolean): Event[] {
    const p = this.ctx.props;
    const events: Event[] = [];
    while (events.length < p.batchSize) {
      let rel = f.readPos - f.bufStart;
      const nl = f.buf.indexOf(10, rel);
      if (nl < 0) {
        if (f.bufStart + f.buf.length < f.size && refill(f, f.size) > 0) continue;
        // No newline up to the end of the file: hold a partial line back unless idle.
        rel = f.readPos - f.bufStart;
        if (idle && rel < f.buf.length) {
          events.push(this.event(f, f.buf.subarray(rel), f.readPos));
          f.readPos = f.bufStart + f.buf.length;
        }
        break;
      }
      let end = nl;
      if (end > rel && f.buf[end - 1] === 13) end--; // CRLF
      events.push(this.event(f, f.buf.subarray(rel, end), f.readPos));
      f.readPos = f.bufStart + nl + 1;
    }
    return events;
  }

  private event(f: TailFile, line: Buffer, offset: number): Event {
    const p = this.ctx.props;
    // Flume's order: byteoffset on the event's own HashMap, putAll(group headers), file. A putAll
    // into a still empty HashMap sizes its table like a copy.
    const headers: Record<string, string> = {};
    if (p.byteOffsetHeader) headers.byteoffset = String(offset);
    Object.assign(headers, f.group.headers);
    if (!p.byteOffsetHeader) markHeadersCopied(headers, 0);
    if (p.fileHeader) headers[p.fileHeaderKey] = f.path;
    return { headers, body: Buffer.from(line) };
  }

  private writePositionFile(): void {
    this.lastPosWrite = Date.now();
    const entries: PositionEntry[] = [...this.files.values()].map((f) => ({ inode: f.inode, pos: f.pos, file: f.path }));
    writePositions(this.positionFile, entries);
    for (const e of entries) this.saved.set(e.inode, e);
  }
}

export default defineSource({
  kind: 'source',
  type: 'TAILDIR',
  aliases: ['org.apache.flume.source.taildir.TaildirSource'],
  description: 'Tails files matching regexes, one event per line; remembers positions by inode in a JSON file; follows rotation.',
  properties,
  passThrough: [
    { prefix: 'filegroups.', description: 'filegroups.<g> = /abs/dir/<file-name regex>' },
    { prefix: 'headers.', description: 'headers.<g>.<key> = <value>: static header for events of group <g>' },
  ],
  batchSizeProperty: 'batchSize',
  check: (p, raw) => {
    const out: Array<{ severity: 'error'; code: string; key: string; value?: string; message: string; fix: string }> = [];
    if (p.filegroups.length === 0) {
      out.push({ severity: 'error', code: 'MISSING_PROPERTY', key: 'filegroups', message: 'Filegroups must be specified', fix: 'set filegroups = g1 and filegroups.g1 = /var/log/app/.*\\.log' });
      return out;
    }
    for (const g of p.filegroups) {
      const v = raw.get(`filegroups.${g}`);
      if (v === undefined || v.trim() === '') {
        out.push({ severity: 'error', code: 'MISSING_PROPERTY', key: `filegroups.${g}`, message: `file group '${g}' has no path (filegroups.${g})`, fix: `add filegroups.${g} = /abs/dir/<file-name regex>` });
        continue;
      }
      if (!path.isAbsolute(v.trim())) {
        out.push({ severity: 'error', code: 'BAD_VALUE', key: `filegroups.${g}`, value: v, message: `filegroups.${g} must be an absolute path`, fix: 'use /abs/dir/<file-name regex>' });
      }
      try { compileJavaRegexFull(path.basename(v.trim())); } catch (e) {
        out.push({ severity: 'error', code: 'BAD_VALUE', key: `filegroups.${g}`, value: v, message: `invalid file name regex: ${errorMessage(e)}`, fix: 'the part after the last / is a regex on the file name' });
      }
    }
    return out;
  },
  create: (ctx: ComponentContext<TaildirProps>) => new TaildirSource(ctx),
});

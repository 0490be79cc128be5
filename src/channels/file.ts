/**
 * File channel (`file`, org.apache.flume.channel.file.FileChannel): durable across kill -9 with
 * Flume's guarantees (docs/file-channel.md):
 * - a put whose commit returned survives a crash (one write + fdatasync per commit);
 * - an event whose take was committed is never delivered again;
 * - puts of an uncommitted transaction are never delivered (nothing is written before commit);
 * - events taken by a transaction that did not commit come back.
 *
 * The on-disk format is tsagent's own (src/channels/file/format.ts): a write-ahead log of
 * committed transactions, an in-memory queue of pointers to PUT records (with the event itself
 * cached while the cache budget allows), and a periodic checkpoint of that queue.
 * Differences from Flume: "full" is detected at commit (like the memory channel, so the source
 * waits keep-alive and retries), not at put; encryption is not implemented.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConfigProblem } from '../config/problems.js';
import { ChannelException, ChannelFullException, errorMessage } from '../core/errors.js';
import type { Channel, Transaction } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { CHANNEL_COUNTERS, type CounterGroup, javaDouble } from '../core/counters.js';
import { Deque } from '../core/deque.js';
import type { Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { defineChannel, type PropsOf } from '../core/spec.js';
import { encodeCheckpoint, readCheckpointFile, writeCheckpointFile, type Checkpoint, type Ptr } from './file/checkpoint.js';
import { COMMIT_RECORD_SIZE, putRecordSize, takeRecordSize, writeCommit, writePut, writeTake } from './file/format.js';
import { Log } from './file/log.js';
import { ChannelTransaction, QueueChannel } from './transaction.js';

const MAX_FILE_SIZE = 2147483647 - 524288000;
const MIN_SPACE_FLOOR = 1024 * 1024;
/** Events kept in memory next to their pointers (a take then needs no read). */
const CACHE_BYTES = 64 * 1024 * 1024;
const SPACE_CHECK_MS = 1000;

const properties = {
  checkpointDir: {
    type: 'string', default: '~/.flume/file-channel/checkpoint',
    description: 'Directory of the checkpoint (queue snapshot) and the lock file.',
  },
  dataDirs: {
    type: 'string', default: '~/.flume/file-channel/data',
    description: 'Comma-separated directories for the log segments (segments are spread over them).',
  },
  capacity: { type: 'integer', default: 1000000, min: 1, description: 'Maximum number of events stored in the channel.' },
  transactionCapacity: {
    type: 'integer', default: 10000, min: 1,
    description: 'Maximum number of events a source puts or a sink takes in one transaction.',
  },
  'keep-alive': {
    type: 'integer', default: 3, min: 0, onInvalid: 'default',
    description: 'Seconds a put commit waits for free space before failing with ChannelFullException.',
  },
  checkpointInterval: { type: 'integer', default: 30000, min: 1, description: 'Milliseconds between checkpoints of the queue.' },
  maxFileSize: {
    type: 'integer', default: MAX_FILE_SIZE, min: 1, max: MAX_FILE_SIZE,
    description: 'Maximum size in bytes of one log segment before a new one is started.',
  },
  minimumRequiredSpace: {
    type: 'integer', default: 524288000, min: 0,
    description: 'Commits with puts fail when the data directory has less free space than this (bytes, at least 1 MiB).',
  },
  useDualCheckpoints: { type: 'boolean', default: false, description: 'Also write each checkpoint to backupCheckpointDir (used when the main one is unreadable).' },
  backupCheckpointDir: { type: 'string', description: 'Directory of the backup checkpoint (required with useDualCheckpoints; must differ from checkpointDir).' },
  compressBackupCheckpoint: { type: 'boolean', default: false, description: 'Compress the backup checkpoint.', ignored: 'the backup checkpoint is written uncompressed' },
  fsyncPerTransaction: { type: 'boolean', default: true, description: 'fdatasync the log at every commit (false: every fsyncInterval seconds; kill -9 loses nothing, a power loss may lose the last seconds).' },
  fsyncInterval: { type: 'integer', default: 5, min: 1, description: 'Seconds between syncs when fsyncPerTransaction is false.' },
  checkpointOnClose: { type: 'boolean', default: true, description: 'Write a checkpoint when the channel stops (faster next start).' },
  'use-log-replay-v1': { type: 'boolean', default: false, description: "Flume's old replay algorithm.", ignored: 'tsagent has one replay algorithm' },
  'use-fast-replay': { type: 'boolean', default: false, description: "Flume's replay without checkpoint.", ignored: 'tsagent has one replay algorithm' },
  'encryption.activeKey': { type: 'string', description: 'Encryption key alias.', ignored: 'encryption is not implemented: events are stored UNENCRYPTED' },
  'encryption.cipherProvider': { type: 'string', description: 'Cipher provider (AESCTRNOPADDING).', ignored: 'encryption is not implemented: events are stored UNENCRYPTED' },
  'encryption.keyProvider': { type: 'string', description: 'Key provider (JCEKSFILE).', ignored: 'encryption is not implemented: events are stored UNENCRYPTED' },
} as const;

export type FileChannelProps = PropsOf<typeof properties>;

const FILE_COUNTERS = [
  ...CHANNEL_COUNTERS, 'EventPutErrorCount', 'EventTakeErrorCount', 'CheckpointWriteErrorCount', 'CheckpointBackupWriteErrorCount',
] as const;
type FileCounter = (typeof FILE_COUNTERS)[number];

function expandHome(p: string): string {
  const t = p.trim();
  return t === '~' || t.startsWith('~/') ? path.join(os.homedir(), t.slice(1)) : path.resolve(t);
}

function fullMessage(name: string): string {
  return `The channel has reached it's capacity. This might be the result of a sink on the channel having too low of batch size, a downstream system running slower than normal, or that the channel capacity is just too low. [channel=${name}]`;
}

/** A queued event: pointer to its PUT record, plus the event while it is cached. */
interface Entry { seg: number; off: number; ev: Event | undefined; size: number }

export class FileChannel extends QueueChannel<Entry> implements Channel {
  readonly name: string;
  capacity: number;
  transactionCapacity: number;
  keepAliveMs: number;
  /** Contents survive a restart: the agent does not hold shutdown to drain it. */
  readonly durable = true;
  readonly checkpointDir: string;
  readonly backupDir: string | undefined;
  readonly dataDirs: string[];
  private props: FileChannelProps;
  private log: Log | undefined;
  /** Events taken by open transactions (they come back at a crash, so checkpoints keep them). */
  private readonly inFlight = new Set<Entry[]>();
  /** Live entries (queued or taken, not committed) per segment: a segment with 0 can go. */
  private readonly refs = new Map<number, number>();
  private cacheBytes = 0;
  /** Bytes of encoded events kept in memory (beyond it, takes read the log). */
  cacheLimit = CACHE_BYTES;
  private nextTxid = 1;
  private lastCheckpointPos = { seg: 0, off: 0 };
  private open = false;
  private unhealthy = false;
  private spaceCheckedAt = 0;
  private spaceLow: string | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private fsyncTimer: NodeJS.Timeout | undefined;
  private dirty = false;
  readonly counters: CounterGroup<FileCounter>;
  private readonly logger: Logger;
  private readonly locks: string[] = [];

  constructor(name: string, props: FileChannelProps, counters: CounterGroup<FileCounter>, logger: Logger) {
    super();
    this.name = name;
    this.props = props;
    this.counters = counters;
    this.logger = logger;
    this.capacity = props.capacity;
    this.transactionCapacity = props.transactionCapacity;
    this.keepAliveMs = props['keep-alive'] * 1000;
    this.checkpointDir = expandHome(props.checkpointDir);
    this.backupDir = props.useDualCheckpoints && props.backupCheckpointDir ? expandHome(props.backupCheckpointDir) : undefined;
    this.dataDirs = props.dataDirs.split(',').map((d) => d.trim()).filter((d) => d !== '').map(expandHome);
    counters.computed('ChannelFillPercentage', () => javaDouble((this.queue.length / this.capacity) * 100));
    counters.computed('Open', () => String(this.open));
    counters.computed('Closed', () => (this.open ? '0' : '1'));
    counters.computed('Unhealthy', () => (this.unhealthy ? '1' : '0'));
  }

  reconfigure(p: unknown): void {
    const props = p as FileChannelProps;
    if (props.checkpointDir !== this.props.checkpointDir || props.dataDirs !== this.props.dataDirs || props.backupCheckpointDir !== this.props.backupCheckpointDir) {
      this.logger.warn(`File channel ${this.name}: new checkpointDir/dataDirs/backupCheckpointDir take effect only after a restart of the agent`);
    }
    this.props = { ...props, checkpointDir: this.props.checkpointDir, dataDirs: this.props.dataDirs, backupCheckpointDir: this.props.backupCheckpointDir };
    this.capacity = props.capacity;
    this.transactionCapacity = props.transactionCapacity;
    this.keepAliveMs = props['keep-alive'] * 1000;
    this.spaceWaiters.wake();
  }

  private lock(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const f = path.join(dir, 'in_use.lock');
    try {
      const pid = Number(fs.readFileSync(f, 'utf8').trim());
      let alive = false;
      if (Number.isInteger(pid) && pid > 0) {
        try { process.kill(pid, 0); alive = true; } catch (e) { alive = (e as NodeJS.ErrnoException).code === 'EPERM'; }
      }
      if (alive) {
        throw new ChannelException(`Cannot lock ${dir}. The directory is already locked (by process ${pid}). [channel=${this.name}]`);
      }
    } catch (e) {
      if (e instanceof ChannelException) throw e;
    }
    fs.writeFileSync(f, `${process.pid}\n`);
    this.locks.push(f);
  }

  private unlock(): void {
    for (const f of this.locks.splice(0)) fs.rmSync(f, { force: true });
  }

  start(): void {
    if (this.open) return;
    this.counters.start();
    const t0 = Date.now();
    try {
      this.lock(this.checkpointDir);
      if (this.backupDir) this.lock(this.backupDir);
      for (const d of this.dataDirs) this.lock(d);
      this.replay();
    } catch (e) {
      this.log?.close();
      this.log = undefined;
      this.unlock();
      throw new ChannelException(`Failed to start file channel ${this.name}: ${errorMessage(e)}`, { cause: e });
    }
    this.open = true;
    this.unhealthy = false;
    this.counters.set('ChannelCapacity', this.capacity);
    this.counters.set('ChannelSize', this.queue.length);
    this.logger.info(`File channel ${this.name} started in ${Date.now() - t0} ms with ${this.queue.length} events (checkpoint ${this.checkpointDir}, data ${this.dataDirs.join(',')})`);
    this.checkpointTimer = setInterval(() => this.checkpointQuietly(), this.props.checkpointInterval);
    this.checkpointTimer.unref();
    if (!this.props.fsyncPerTransaction) {
      this.fsyncTimer = setInterval(() => { try { this.log?.sync(); } catch (e) { this.logger.error(`fsync failed: ${errorMessage(e)}`); } }, this.props.fsyncInterval * 1000);
      this.fsyncTimer.unref();
    }
  }

  private loadCheckpoint(): Checkpoint | undefined {
    const main = readCheckpointFile(this.checkpointDir);
    if (main !== 'corrupt') return main;
    this.logger.warn(`checkpoint in ${this.checkpointDir} is corrupt`);
    if (this.backupDir) {
      const b = readCheckpointFile(this.backupDir);
      if (b !== undefined && b !== 'corrupt') {
        this.logger.warn(`using the backup checkpoint in ${this.backupDir}`);
        return b;
      }
    }
    this.logger.warn('replaying every log segment');
    return undefined;
  }

  private replay(): void {
    const log = new Log(this.dataDirs, this.props.maxFileSize, this.logger);
    this.log = log;
    const segs = log.scan();
    let ck = this.loadCheckpoint();
    const have = new Set(segs);
    if (ck && ck.entries.some((p) => !have.has(p.seg))) {
      this.logger.warn('checkpoint refers to a missing log segment; replaying every log segment');
      ck = undefined;
    }
    // Insertion-ordered map: checkpoint order, then puts in log order; takes delete. Built only
    // when the log has transactions after the checkpoint (a clean restart needs none).
    let live: Map<number, Ptr> | undefined;
    const key = (p: Ptr): number => p.seg * 4294967296 + p.off;
    const liveMap = (): Map<number, Ptr> => {
      if (!live) {
        live = new Map<number, Ptr>();
        if (ck) for (const p of ck.entries) live.set(key(p), p);
      }
      return live;
    };
    let maxTx = ck ? ck.nextTxid - 1 : 0;
    const stats = log.replay(ck ? { seg: ck.seg, off: ck.off } : undefined, (txid, puts, takes) => {
      const l = liveMap();
      for (const t of takes) l.delete(key(t));
      for (const p of puts) l.set(key(p), p);
      if (txid > maxTx) maxTx = txid;
    });
    this.nextTxid = maxTx + 1;
    const entries: Iterable<Ptr> = live ? live.values() : (ck?.entries ?? []);
    const count = live ? live.size : (ck?.entries.length ?? 0);
    this.queue = new Deque<Entry>(Math.max(1024, count));
    this.refs.clear();
    let lastSeg = -1;
    let run = 0;
    for (const p of entries) {
      this.queue.push({ seg: p.seg, off: p.off, ev: undefined, size: 0 });
      if (p.seg !== lastSeg) {
        if (run > 0) this.refs.set(lastSeg, (this.refs.get(lastSeg) ?? 0) + run);
        lastSeg = p.seg;
        run = 0;
      }
      run++;
    }
    if (run > 0) this.refs.set(lastSeg, (this.refs.get(lastSeg) ?? 0) + run);
    this.used = this.queue.length;
    this.cacheBytes = 0;
    log.openNewSegment();
    this.logger.info(`File channel ${this.name}: replayed ${stats.transactions} transactions from ${stats.segments} segment(s)${ck ? ` after the checkpoint (${ck.entries.length} events)` : ''}${stats.tornAt ? `; torn write discarded at ${stats.tornAt}` : ''}`);
    // A checkpoint now makes the replayed segments deletable and the next start fast (not
    // needed when the checkpoint already describes everything).
    if (!ck || stats.transactions > 0 || stats.tornAt !== undefined) this.checkpoint();
  }

  /** Writes a checkpoint (queue + in-flight takes at the current log position), then deletes unneeded segments. */
  checkpoint(): void {
    const log = this.log;
    if (!log) return;
    const n = this.queue.length;
    let inflight = 0;
    for (const l of this.inFlight) inflight += l.length;
    const all = new Array<Ptr>(n + inflight);
    let i = 0;
    for (const l of this.inFlight) for (const e of l) all[i++] = e;
    for (let k = 0; k < n; k++) { const e = this.queue.shift()!; this.queue.push(e); all[i++] = e; }
    const pos = { seg: log.writeSeg, off: log.writeOff };
    if (!this.props.fsyncPerTransaction) log.sync();
    const data = encodeCheckpoint({ ...pos, nextTxid: this.nextTxid }, all, all.length);
    try {
      writeCheckpointFile(this.checkpointDir, data);
    } catch (e) {
      this.counters.values.CheckpointWriteErrorCount++;
      throw e;
    }
    if (this.backupDir) {
      try { writeCheckpointFile(this.backupDir, data); } catch (e) {
        this.counters.values.CheckpointBackupWriteErrorCount++;
        this.logger.error(`backup checkpoint write failed: ${errorMessage(e)}`);
      }
    }
    this.lastCheckpointPos = pos;
    this.dirty = false;
    // Delete the oldest segments while they hold no live event and lie before the checkpoint.
    for (const s of log.segments()) {
      if (s >= pos.seg || (this.refs.get(s) ?? 0) > 0) break;
      log.deleteSegment(s);
      this.refs.delete(s);
    }
  }

  private checkpointQuietly(): void {
    if (!this.open || !this.dirty) return;
    try { this.checkpoint(); } catch (e) { this.logger.error(`checkpoint failed: ${errorMessage(e)}`); }
  }

  stop(): void {
    if (!this.open) return;
    clearInterval(this.checkpointTimer);
    clearInterval(this.fsyncTimer);
    this.open = false;
    try {
      this.log?.sync();
      if (this.props.checkpointOnClose) this.checkpoint();
    } catch (e) {
      this.logger.error(`checkpoint at close failed: ${errorMessage(e)}`);
    }
    this.log?.close();
    this.log = undefined;
    this.unlock();
    this.stopped();
  }

  /** Test hook: drop everything as a kill -9 would (no checkpoint, no sync), release the locks. */
  simulateCrash(): void {
    clearInterval(this.checkpointTimer);
    clearInterval(this.fsyncTimer);
    this.open = false;
    this.log?.abandon();
    this.log = undefined;
    this.unlock();
  }

  /** Where the next transaction will be written (segment number, offset): for tests and tools. */
  logPosition(): { seg: number; off: number } | undefined {
    return this.log ? { seg: this.log.writeSeg, off: this.log.writeOff } : undefined;
  }
  createTransaction(): Transaction { return new FileTransaction(this); }
  override toString(): string { return `FileChannel ${this.name} { dataDirs: [${this.dataDirs.join(', ')}] }`; }

  private checkSpace(): void {
    const now = Date.now();
    if (now - this.spaceCheckedAt < SPACE_CHECK_MS) return;
    this.spaceCheckedAt = now;
    const need = Math.max(this.props.minimumRequiredSpace, MIN_SPACE_FLOOR);
    this.spaceLow = undefined;
    for (const d of this.dataDirs) {
      try {
        const s = fs.statfsSync(d);
        const usable = s.bavail * s.bsize;
        if (usable < need) {
          this.spaceLow = `Usable space exhausted, only ${usable} bytes remaining, required ${need} bytes [channel=${this.name}]`;
          return;
        }
      } catch { /* statfs unsupported: do not block */ }
    }
  }

  // --- used by FileTransaction -----------------------------------------------------------
  /** @internal */
  eventOf(e: Entry): Event {
    if (e.ev !== undefined) return e.ev;
    try {
      return this.log!.read(e);
    } catch (err) {
      this.counters.values.EventTakeErrorCount++;
      throw new ChannelException(`Unable to read event from the file channel log: ${errorMessage(err)} [channel=${this.name}]`, { cause: err });
    }
  }

  /** @internal */ trackInFlight(l: Entry[]): void { this.inFlight.add(l); }
  /** @internal */ untrackInFlight(l: Entry[]): void { this.inFlight.delete(l); }

  /** @internal */
  commitTx(puts: Event[], takes: Entry[]): void {
    if (!this.open || !this.log) throw new ChannelException(`Channel closed [channel=${this.name}]`);
    if (puts.length === 0 && takes.length === 0) return;
    const net = puts.length - takes.length;
    if (net > 0 && this.used + net > this.capacity) throw new ChannelFullException(fullMessage(this.name));
    if (puts.length > 0) {
      this.checkSpace();
      if (this.spaceLow !== undefined) {
        this.counters.values.EventPutErrorCount += puts.length;
        throw new ChannelException(this.spaceLow);
      }
    }
    const txid = this.nextTxid++;
    let bytes = COMMIT_RECORD_SIZE + (takes.length > 0 ? takeRecordSize(takes.length) : 0);
    const sizes = new Array<number>(puts.length);
    for (let i = 0; i < puts.length; i++) bytes += sizes[i] = putRecordSize(puts[i]!);
    const log = this.log;
    const base = log.reserve(bytes);
    const buf = Buffer.allocUnsafe(bytes);
    let o = 0;
    const added = new Array<Entry>(puts.length);
    for (let i = 0; i < puts.length; i++) {
      const ev = puts[i]!;
      added[i] = { seg: base.seg, off: base.off + o, ev, size: sizes[i]! };
      o = writePut(buf, o, txid, ev);
    }
    if (takes.length > 0) o = writeTake(buf, o, txid, takes);
    o = writeCommit(buf, o, txid, puts.length, takes.length);
    try {
      log.append(o === bytes ? buf : buf.subarray(0, o), this.props.fsyncPerTransaction);
    } catch (e) {
      this.unhealthy = true;
      if (puts.length > 0) this.counters.values.EventPutErrorCount += puts.length;
      throw new ChannelException(`Failed to write to the file channel log: ${errorMessage(e)} [channel=${this.name}]`, { cause: e });
    }
    this.unhealthy = false;
    this.dirty = true;
    // Durable: apply to memory.
    for (const t of takes) {
      const r = (this.refs.get(t.seg) ?? 1) - 1;
      this.refs.set(t.seg, r);
      if (t.ev !== undefined) { this.cacheBytes -= t.size; t.ev = undefined; }
    }
    if (puts.length > 0) {
      this.refs.set(base.seg, (this.refs.get(base.seg) ?? 0) + puts.length);
      for (const a of added) {
        if (this.cacheBytes + a.size <= this.cacheLimit) this.cacheBytes += a.size;
        else a.ev = undefined;
        this.queue.push(a);
      }
    }
    this.committed(puts.length, takes.length);
  }
}

class FileTransaction extends ChannelTransaction<FileChannel, Entry> {
  constructor(ch: FileChannel) { super(ch, 'FileBackedTransaction'); }

  protected override messageSuffix(): string { return `. [channel=${this.ch.name}]`; }
  protected takeNext(): Event | null {
    const e = this.ch.takeOne();
    if (e === undefined) return null;
    if (this.takes.length === 0) this.ch.trackInFlight(this.takes);
    this.takes.push(e);
    try {
      return this.ch.eventOf(e);
    } catch (err) {
      this.takes.pop();
      if (this.takes.length === 0) this.ch.untrackInFlight(this.takes);
      this.ch.rollbackTakes([e]);
      throw err;
    }
  }
  protected doCommit(): void {
    this.ch.commitTx(this.puts, this.takes); // may throw; stays OPEN
    this.ch.untrackInFlight(this.takes);
  }
  protected doRollback(): void {
    this.ch.untrackInFlight(this.takes);
    this.ch.rollbackTakes(this.takes);
  }
}

export default defineChannel({
  kind: 'channel',
  type: 'file',
  aliases: ['org.apache.flume.channel.file.FileChannel'],
  description: 'Durable channel: a write-ahead log with one fsync per commit; committed events survive kill -9 and power loss.',
  properties,
  passThrough: [{ prefix: 'encryption.', description: 'Encryption key provider settings (encryption is not implemented; accepted with a warning).' }],
  transactionCapacityProperty: 'transactionCapacity',
  check: (p) => {
    const out: Array<Omit<ConfigProblem, 'file' | 'line' | 'component' | 'type'>> = [];
    if (p.transactionCapacity > p.capacity) {
      out.push({
        severity: 'error', code: 'TX_CAPACITY_GT_CAPACITY', key: 'transactionCapacity', value: String(p.transactionCapacity),
        message: `File Channel transaction capacity cannot be greater than the capacity of the channel (${p.capacity})`,
        fix: 'set transactionCapacity <= capacity',
      });
    }
    if (p.useDualCheckpoints && !p.backupCheckpointDir) {
      out.push({
        severity: 'warning', code: 'BAD_VALUE', key: 'useDualCheckpoints', value: 'true',
        message: 'useDualCheckpoints is set but backupCheckpointDir is not: no backup checkpoint is written',
        fix: 'set backupCheckpointDir to a directory other than checkpointDir',
      });
    }
    if (p.backupCheckpointDir && expandHome(p.backupCheckpointDir) === expandHome(p.checkpointDir)) {
      out.push({
        severity: 'error', code: 'BAD_VALUE', key: 'backupCheckpointDir', value: p.backupCheckpointDir,
        message: 'Checkpoint dir and backup checkpoint dir cannot be the same',
        fix: 'use a different directory for backupCheckpointDir',
      });
    }
    return out;
  },
  create: (ctx: ComponentContext<FileChannelProps>) =>
    new FileChannel(ctx.name, ctx.props, ctx.counters('CHANNEL', FILE_COUNTERS), ctx.logger),
});

/**
 * The file channel's write-ahead log: numbered segments `log-<n>` spread over the data
 * directories (segment n lives in dataDirs[n % dirs]), appended with one write + fdatasync per
 * transaction, read back by pointer (segment, offset) and replayed at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { COMMIT, HEADER_BYTES, LOG_MAGIC, PUT, TAKE, decodePut, decodeTake, readRecord } from './format.js';
import type { Ptr } from './checkpoint.js';
import { fsyncDir } from './checkpoint.js';
import type { Event } from '../../core/event.js';
import type { Logger } from '../../core/logger.js';

const SEG_RE = /^log-(\d+)$/;
const READ_CHUNK = 8 * 1024 * 1024;
/** Segments grow in zero-filled steps of this size (or maxFileSize when smaller). */
const PREALLOC = 4 * 1024 * 1024;
/** Bytes read at once when a take needs an event from disk. */
const READ_AHEAD = 256 * 1024;
/** Largest record we accept when reading (guards against a garbage length field). */
const MAX_RECORD = 1024 * 1024 * 1024;

export interface ReplayStats { segments: number; records: number; transactions: number; tornAt?: string }

export class Log {
  private readonly paths = new Map<number, string>();
  private readonly readFds = new Map<number, number>();
  private writeFd: number | undefined;
  writeSeg = 0;
  writeOff = 0;
  /** Size the current segment was extended to with zeros (fdatasync of overwrites is cheaper than of appends). */
  private allocEnd = 0;
  private zeros: Buffer | undefined;

  constructor(private readonly dirs: readonly string[], private readonly maxFileSize: number, private readonly logger: Logger) {}

  /** Finds the existing segments. */
  scan(): number[] {
    for (const d of this.dirs) {
      fs.mkdirSync(d, { recursive: true });
      for (const f of fs.readdirSync(d)) {
        const m = SEG_RE.exec(f);
        if (m) this.paths.set(Number(m[1]), path.join(d, f));
      }
    }
    return [...this.paths.keys()].sort((a, b) => a - b);
  }

  segments(): number[] { return [...this.paths.keys()].sort((a, b) => a - b); }

  /**
   * Replays committed transactions from `from` (or from the first segment). A record that is
   * cut short or fails its CRC ends the valid log of that segment: in the last segment this is
   * a write torn by a crash and the file is truncated there; elsewhere it is reported.
   */
  replay(from: Ptr | undefined, onTx: (txid: number, puts: Ptr[], takes: Ptr[]) => void): ReplayStats {
    const segs = this.segments();
    const stats: ReplayStats = { segments: 0, records: 0, transactions: 0 };
    const last = segs[segs.length - 1];
    for (const seg of segs) {
      if (from && seg < from.seg) continue;
      stats.segments++;
      const start = from && seg === from.seg ? Math.max(from.off, LOG_MAGIC.length) : LOG_MAGIC.length;
      const p = this.paths.get(seg)!;
      const fd = fs.openSync(p, 'r+');
      try {
        const size = fs.fstatSync(fd).size;
        const magic = Buffer.alloc(LOG_MAGIC.length);
        if (size < LOG_MAGIC.length || fs.readSync(fd, magic, 0, magic.length, 0) !== magic.length || !magic.equals(LOG_MAGIC)) {
          if (seg === last && size < LOG_MAGIC.length) {
            // Crash while creating the segment: nothing in it was ever committed.
            fs.ftruncateSync(fd, 0);
            fs.writeSync(fd, LOG_MAGIC, 0, LOG_MAGIC.length, 0);
            fs.fsyncSync(fd);
            continue;
          }
          if (fs.existsSync(`${p}.meta`)) {
            throw new Error(
              `${p} is an Apache Flume file channel log; tsagent cannot read Flume's format. Drain the channel with Flume first, or point checkpointDir and dataDirs at new directories`,
            );
          }
          throw new Error(`${p} is not a tsagent file channel log (bad magic)`);
        }
        let pos = start; // file offset of buf[0]
        let buf = Buffer.alloc(0);
        let at = 0;
        let txid = -1;
        let puts: Ptr[] = [];
        let takes: Ptr[] = [];
        let goodEnd = start;
        let eof = false;
        let bad = false;
        let end = false;
        for (;;) {
          const r = readRecord(buf, at, MAX_RECORD);
          if (r === 'short') {
            if (eof) break;
            // Refill: keep the unparsed rest, read the next chunk.
            const rest = buf.subarray(at);
            const want = Math.max(READ_CHUNK, rest.length >= 4 ? rest.readUInt32LE(0) + 8 : 0);
            const chunk = Buffer.allocUnsafe(rest.length + want);
            rest.copy(chunk, 0);
            const n = fs.readSync(fd, chunk, rest.length, want, pos + at + rest.length);
            pos += at;
            at = 0;
            buf = chunk.subarray(0, rest.length + n);
            if (n === 0) eof = true;
            continue;
          }
          if (r === 'bad') { bad = true; break; }
          if (r === 'end') { end = true; break; }
          stats.records++;
          if (r.txid !== txid) { txid = r.txid; puts = []; takes = []; }
          if (r.type === PUT) puts.push({ seg, off: pos + r.start });
          else if (r.type === TAKE) for (const t of decodeTake(buf, r.start)) takes.push(t);
          else if (r.type === COMMIT) {
            onTx(txid, puts, takes);
            stats.transactions++;
            txid = -1; puts = []; takes = [];
            goodEnd = pos + r.end;
          }
          at = r.end;
        }
        const fileEnd = size;
        if (goodEnd < fileEnd && end && txid === -1) {
          // Only preallocated zeros after the last transaction: cut them off quietly.
          fs.ftruncateSync(fd, goodEnd);
        } else if (goodEnd < fileEnd) {
          const what = bad ? 'a corrupt or torn record' : 'an incomplete transaction';
          if (seg === last) {
            this.logger.warn(`file channel log ${p}: ${what} at offset ${goodEnd} (${fileEnd - goodEnd} bytes, a write cut by a crash); discarded`);
            stats.tornAt = `${p}:${goodEnd}`;
            fs.ftruncateSync(fd, goodEnd);
            fs.fsyncSync(fd);
          } else {
            this.logger.error(`file channel log ${p}: ${what} at offset ${goodEnd}; the rest of this segment (${fileEnd - goodEnd} bytes) is skipped`);
          }
        }
      } finally {
        fs.closeSync(fd);
      }
    }
    return stats;
  }

  /** Starts a new segment after the highest existing one. */
  /** Cuts the preallocated zeros off the current segment (at roll and close). */
  private trimCurrent(): void {
    if (this.writeFd === undefined) return;
    try {
      if (this.allocEnd > this.writeOff) fs.ftruncateSync(this.writeFd, this.writeOff);
    } catch { /* replay skips zeros anyway */ }
  }

  openNewSegment(): void {
    if (this.writeFd !== undefined) {
      this.trimCurrent();
      fs.closeSync(this.writeFd);
    }
    const segs = this.segments();
    const seg = (segs.length ? segs[segs.length - 1]! : 0) + 1;
    const dir = this.dirs[seg % this.dirs.length]!;
    const p = path.join(dir, `log-${seg}`);
    const fd = fs.openSync(p, 'wx');
    fs.writeSync(fd, LOG_MAGIC, 0, LOG_MAGIC.length, 0);
    fs.fsyncSync(fd);
    fsyncDir(dir);
    this.paths.set(seg, p);
    this.writeFd = fd;
    this.writeSeg = seg;
    this.writeOff = LOG_MAGIC.length;
    this.allocEnd = LOG_MAGIC.length;
  }

  private preallocate(end: number): void {
    const chunk = Math.max(64 * 1024, Math.min(PREALLOC, this.maxFileSize));
    const target = Math.max(end, this.allocEnd + chunk);
    if (!this.zeros || this.zeros.length < chunk) this.zeros = Buffer.alloc(chunk);
    let o = this.allocEnd;
    while (o < target) o += fs.writeSync(this.writeFd!, this.zeros, 0, Math.min(this.zeros.length, target - o), o);
    this.allocEnd = target;
  }

  /** Where a write of `bytes` will land (rolls to a new segment first when it would not fit). */
  reserve(bytes: number): Ptr {
    if (this.writeFd === undefined || (this.writeOff > LOG_MAGIC.length && this.writeOff + bytes > this.maxFileSize)) {
      this.openNewSegment();
    }
    return { seg: this.writeSeg, off: this.writeOff };
  }

  /**
   * Appends `buf` at the reserved position and syncs it when `sync`. On failure the segment is
   * cut back to where it was and a new segment is started, so no partial transaction stays.
   */
  append(buf: Buffer, sync: boolean): void {
    const fd = this.writeFd!;
    const at = this.writeOff;
    try {
      if (at + buf.length > this.allocEnd) this.preallocate(at + buf.length);
      let o = 0;
      while (o < buf.length) o += fs.writeSync(fd, buf, o, buf.length - o, at + o);
      if (sync) fs.fdatasyncSync(fd);
    } catch (e) {
      try {
        fs.ftruncateSync(fd, at);
        this.allocEnd = at;
        fs.fdatasyncSync(fd);
      } catch {
        /* the CRC still rejects a torn tail at replay */
      }
      try { this.openNewSegment(); } catch { this.writeFd = undefined; }
      throw e;
    }
    this.writeOff = at + buf.length;
  }

  sync(): void { if (this.writeFd !== undefined) fs.fdatasyncSync(this.writeFd); }

  private readFd(seg: number): number {
    let fd = this.readFds.get(seg);
    if (fd === undefined) {
      const p = this.paths.get(seg);
      if (p === undefined) throw new Error(`file channel log segment ${seg} is missing`);
      fd = fs.openSync(p, 'r');
      this.readFds.set(seg, fd);
    }
    return fd;
  }

  /** Read-ahead: the last chunk read, valid up to `end` (takes are mostly sequential). */
  private ra: { seg: number; start: number; end: number; buf: Buffer } | undefined;

  /** Reads the event of the PUT record at `ptr` (verifying its CRC). */
  read(ptr: Ptr): Event {
    const ra = this.ra;
    if (ra && ra.seg === ptr.seg && ptr.off >= ra.start && ptr.off + 8 <= ra.end) {
      const rel = ptr.off - ra.start;
      const len = ra.buf.readUInt32LE(rel);
      if (ptr.off + 8 + len <= ra.end) return this.parse(ra.buf.subarray(0, ra.end - ra.start), rel, ptr);
    }
    const fd = this.readFd(ptr.seg);
    // Only bytes already written count (the rest of the segment may be preallocated zeros).
    const limit = ptr.seg === this.writeSeg && this.writeFd !== undefined ? this.writeOff : Number.MAX_SAFE_INTEGER;
    let buf = Buffer.allocUnsafe(READ_AHEAD);
    let n = fs.readSync(fd, buf, 0, Math.min(buf.length, Math.max(8, limit - ptr.off)), ptr.off);
    if (n >= 8) {
      const need = buf.readUInt32LE(0) + 8;
      if (need > n && need <= MAX_RECORD) {
        const big = Buffer.allocUnsafe(need);
        buf.copy(big, 0, 0, n);
        while (n < need) {
          const k = fs.readSync(fd, big, n, need - n, ptr.off + n);
          if (k === 0) break;
          n += k;
        }
        buf = big;
      }
    }
    this.ra = { seg: ptr.seg, start: ptr.off, end: ptr.off + Math.min(n, limit - ptr.off), buf };
    return this.parse(buf.subarray(0, n), 0, ptr);
  }

  private parse(buf: Buffer, at: number, ptr: Ptr): Event {
    const r = readRecord(buf, at, MAX_RECORD);
    if (typeof r === 'string' || r.type !== PUT) {
      throw new Error(`file channel log ${this.paths.get(ptr.seg)}: no valid event at offset ${ptr.off}`);
    }
    return decodePut(buf, at, r.end);
  }

  deleteSegment(seg: number): void {
    if (this.ra?.seg === seg) this.ra = undefined;
    const fd = this.readFds.get(seg);
    if (fd !== undefined) { fs.closeSync(fd); this.readFds.delete(seg); }
    const p = this.paths.get(seg);
    if (p === undefined) return;
    this.paths.delete(seg);
    fs.rmSync(p, { force: true });
  }

  close(): void {
    for (const fd of this.readFds.values()) fs.closeSync(fd);
    this.readFds.clear();
    if (this.writeFd !== undefined) {
      this.trimCurrent();
      fs.closeSync(this.writeFd);
    }
    this.writeFd = undefined;
  }

  /** Closes without trimming (what a kill -9 leaves). */
  abandon(): void {
    for (const fd of this.readFds.values()) fs.closeSync(fd);
    this.readFds.clear();
    if (this.writeFd !== undefined) fs.closeSync(this.writeFd);
    this.writeFd = undefined;
  }
}

export { HEADER_BYTES };

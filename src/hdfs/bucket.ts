/**
 * Bucket writers and open files of the HDFS sink, and durable writes over WebHDFS.
 *
 * One BucketWriter per resolved `<path>/<prefix>` (Flume's key) owns a counter seeded from the
 * clock in ms and incremented before each file open; a file is `<inUsePrefix><prefix>.<counter>
 * <suffix><inUseSuffix>` while open and `<prefix>.<counter><suffix>` once finalised.
 *
 * Durability: a batch's bytes for one file are sent in ONE request (CREATE for the first batch,
 * APPEND after). `length` is what is durable in HDFS, `committedLength` what belongs to committed
 * channel transactions. A failed or unanswered request is checked with GETFILESTATUS: if the
 * length already includes the batch, it is not sent again (a lost answer); if it is unchanged,
 * the request is retried; anything else leaves the file dirty and it is repaired (truncated back
 * to committedLength) before being finalised.
 */
import type { Event } from '../core/event.js';
import type { FileFormat, FileState } from './formats.js';
import { WebHdfsError, type TargetFs } from './webhdfs.js';

export interface OpenFile {
  readonly inUsePath: string;
  readonly finalPath: string;
  /** Whether the file exists in the target FS (after its first successful write). */
  exists: boolean;
  /** Bytes durable in the file. */
  length: number;
  /** Bytes that belong to committed transactions. */
  committedLength: number;
  /** Events and body bytes in the file, including this batch's pending ones (roll checks). */
  events: number;
  bytes: number;
  openedAt: number;
  lastWriteAt: number;
  /** Events of the current batch not yet written. */
  pending: Event[];
  readonly fmt: FileState;
}

export class BucketWriter {
  counter: number;
  file: OpenFile | undefined;
  constructor(readonly key: string, readonly dir: string, readonly name: string, seedMs: number) {
    this.counter = seedMs;
  }

  /** Opens the next file (lazily created in the target on its first write). */
  open(names: FileNames, now: number): OpenFile {
    this.counter++;
    const base = `${this.name}.${this.counter}${names.suffix}`;
    const dir = this.dir.endsWith('/') ? this.dir.slice(0, -1) : this.dir;
    this.file = {
      inUsePath: `${dir}/${names.inUsePrefix}${base}${names.inUseSuffix}`,
      finalPath: `${dir}/${base}`,
      exists: false, length: 0, committedLength: 0, events: 0, bytes: 0,
      openedAt: now, lastWriteAt: now, pending: [], fmt: { length: 0 },
    };
    return this.file;
  }
}

export interface FileNames {
  suffix: string;
  inUsePrefix: string;
  inUseSuffix: string;
}

export interface CallStats {
  created: () => void;
  failed: () => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lease still held after an interrupted write: worth waiting for, not a dirty file. */
function leaseBusy(e: unknown): boolean {
  return e instanceof WebHdfsError && /AlreadyBeingCreated|RecoveryInProgress|LeaseExpired/.test(e.exception + e.message);
}

/**
 * Writes `buf` at the end of `f` exactly once or throws. Never leaves a partial batch behind
 * without throwing (the caller then repairs the file).
 */
export async function writeDurable(fs: TargetFs, f: OpenFile, buf: Buffer, stats: CallStats, tries = 3): Promise<void> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < tries; attempt++) {
    try {
      if (!f.exists) await fs.create(f.inUsePath, buf);
      else await fs.append(f.inUsePath, buf);
      if (!f.exists) stats.created();
      f.exists = true;
      f.length += buf.length;
      f.fmt.length = f.length;
      return;
    } catch (e) {
      stats.failed();
      lastErr = e;
      if (e instanceof WebHdfsError && !e.maybeApplied) {
        // Nothing was written: safe to send again (after a short pause).
        if (attempt + 1 < tries) await sleep(leaseBusy(e) ? 1000 : 200 * (attempt + 1));
        continue;
      }
      // The request may have been (partly) applied, or may even still be running on the
      // DataNode: never resend into this file. Accept only a length that shows the whole batch.
      const wasNew = !f.exists;
      f.exists = true; // (maybe) created: the repair must look at it
      let st;
      try {
        st = await fs.status(f.inUsePath);
      } catch {
        throw e;
      }
      if (st !== null && st.length === f.length + buf.length) {
        if (wasNew) stats.created();
        f.exists = true;
        f.length = st.length;
        f.fmt.length = st.length;
        return;
      }
      throw e;
    }
  }
  throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
}

/**
 * Brings an in-use file to its final state: truncated to `target` bytes (torn or uncommitted
 * data removed), then renamed to its final name (an empty file is deleted instead).
 * Returns 'done' or 'again' (truncate recovery still running, or a call failed).
 */
export interface FinalizeJob {
  inUsePath: string;
  finalPath: string;
  /** Bytes to keep; undefined = decide from the content (leftovers after a crash). */
  target: number | undefined;
  tries: number;
  nextAt: number;
  /** Only rename (no content check). */
  cleanClose: boolean;
  /** Dirty files: the lease was recovered / the file is known to be closed. */
  closed?: boolean;
  /**
   * Dirty files: until this time (ms) the job keeps watching the file, because a write whose
   * answer was lost may still be running on a DataNode and land late (re-creating a deleted
   * file, or growing a truncated one).
   */
  graceUntil?: number;
  /** The in-use path under which the local state records this file. */
  stateKey?: string;
}

export type FinalizeResult = 'done' | 'again';

export async function finalizeFile(fs: TargetFs, job: FinalizeJob, format: FileFormat | undefined, log: (lvl: 'info' | 'warn' | 'error', m: string) => void, now = Date.now()): Promise<FinalizeResult> {
  const watching = !job.cleanClose && now < (job.graceUntil ?? 0);
  const settled: FinalizeResult = watching ? 'again' : 'done';
  let st = await fs.status(job.inUsePath);
  if (st === null) {
    // Already finalised (answer of an earlier RENAME lost) or never created (yet).
    return settled;
  }
  if (!job.cleanClose) {
    if (job.target === 0) {
      // Nothing committed: delete (works even while an interrupted write still holds the lease).
      await fs.delete(job.inUsePath);
      log('info', `Deleted ${job.inUsePath} (no committed data)`);
      return settled;
    }
    if (!job.closed) {
      // An interrupted write can leave the file under construction, and then the NameNode's
      // length is not final. TRUNCATE to the current length is a no-op on a closed file and
      // makes the NameNode recover the lease (AlreadyBeingCreated / RecoveryInProgress until done).
      try {
        if (!(await fs.truncate(job.inUsePath, st.length))) return 'again';
      } catch (e) {
        if (leaseBusy(e)) return 'again';
        throw e;
      }
      job.closed = true;
      st = await fs.status(job.inUsePath);
      if (st === null) return 'done';
    }
    let target = job.target;
    if (target === undefined) {
      if (!format) return 'done';
      const data = await fs.read(job.inUsePath);
      target = format.validPrefix(data);
      if (target !== data.length) log('warn', `Leftover ${job.inUsePath}: ${data.length - target} bytes after the last complete record are removed`);
      job.target = target;
    }
    if (st.length < target) {
      log('error', `${job.inUsePath} has ${st.length} bytes, expected ${target}; finalising it as it is`);
    } else if (st.length > target) {
      if (target === 0) {
        await fs.delete(job.inUsePath);
        log('info', `Deleted ${job.inUsePath} (no complete record)`);
        return 'done';
      }
      log('info', `Truncating ${job.inUsePath} from ${st.length} to ${target} bytes (uncommitted or torn data)`);
      let done: boolean;
      try {
        done = await fs.truncate(job.inUsePath, target);
      } catch (e) {
        if (leaseBusy(e)) return 'again';
        throw e;
      }
      if (!done) return 'again';
      const st2 = await fs.status(job.inUsePath);
      if (st2?.length !== target) return 'again';
    }
    if (st.length === 0) {
      await fs.delete(job.inUsePath);
      return 'done';
    }
  }
  if (job.inUsePath === job.finalPath) return settled;
  log('info', `Renaming ${job.inUsePath} to ${job.finalPath}`);
  const ok = await fs.rename(job.inUsePath, job.finalPath);
  if (ok) {
    if (watching) job.inUsePath = job.finalPath; // keep checking its length until the grace ends
    return settled;
  }
  const [src, dst] = await Promise.all([fs.status(job.inUsePath), fs.status(job.finalPath)]);
  if (src === null && dst !== null) return 'done';
  throw new Error(`Rename ${job.inUsePath} to ${job.finalPath} answered false${dst !== null ? ' (the target exists)' : ''}`);
}

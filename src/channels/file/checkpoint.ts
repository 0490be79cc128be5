/**
 * File channel checkpoint: a snapshot of the queue (pointers to PUT records, in delivery order)
 * and the log position it is valid at. Replay starts there.
 *
 *   magic `TSFCCKP1` | u32 version (1) | u32 segment | u32 offset | f64 next txid | u32 count |
 *   count × (u32 segment, u32 offset) | u32 CRC-32 of everything before it
 *
 * Written to `checkpoint.tmp`, fsync'd, renamed over `checkpoint`, directory fsync'd: a crash
 * leaves either the old or the new checkpoint, never a mix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('TSFCCKP1', 'latin1');
const FIXED = 8 + 4 + 4 + 4 + 8 + 4;

export interface Ptr { seg: number; off: number }

export interface Checkpoint {
  /** Log position (segment, offset) the snapshot is valid at: replay starts here. */
  seg: number;
  off: number;
  nextTxid: number;
  entries: Ptr[];
}

export const CHECKPOINT_FILE = 'checkpoint';

export function encodeCheckpoint(c: { seg: number; off: number; nextTxid: number }, entries: ArrayLike<Ptr>, count: number): Buffer {
  const buf = Buffer.allocUnsafe(FIXED + 8 * count + 4);
  MAGIC.copy(buf, 0);
  buf.writeUInt32LE(1, 8);
  buf.writeUInt32LE(c.seg, 12);
  buf.writeUInt32LE(c.off, 16);
  buf.writeDoubleLE(c.nextTxid, 20);
  buf.writeUInt32LE(count, 28);
  let o = FIXED;
  for (let i = 0; i < count; i++, o += 8) {
    const p = entries[i]!;
    buf.writeUInt32LE(p.seg, o);
    buf.writeUInt32LE(p.off, o + 4);
  }
  buf.writeUInt32LE(crc32(buf.subarray(0, o)), o);
  return buf;
}

export function decodeCheckpoint(buf: Buffer): Checkpoint | undefined {
  if (buf.length < FIXED + 4 || !buf.subarray(0, 8).equals(MAGIC) || buf.readUInt32LE(8) !== 1) return undefined;
  const count = buf.readUInt32LE(28);
  if (buf.length !== FIXED + 8 * count + 4) return undefined;
  const end = FIXED + 8 * count;
  if (crc32(buf.subarray(0, end)) !== buf.readUInt32LE(end)) return undefined;
  const entries = new Array<Ptr>(count);
  for (let i = 0, o = FIXED; i < count; i++, o += 8) entries[i] = { seg: buf.readUInt32LE(o), off: buf.readUInt32LE(o + 4) };
  return { seg: buf.readUInt32LE(12), off: buf.readUInt32LE(16), nextTxid: buf.readDoubleLE(20), entries };
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* some file systems refuse a directory fsync; the rename is still atomic */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Atomically replaces `<dir>/checkpoint` with `data` (write tmp, fsync, rename, fsync dir). */
export function writeCheckpointFile(dir: string, data: Buffer): void {
  const tmp = path.join(dir, CHECKPOINT_FILE + '.tmp');
  const fd = fs.openSync(tmp, 'w');
  try {
    let o = 0;
    while (o < data.length) o += fs.writeSync(fd, data, o, data.length - o);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(dir, CHECKPOINT_FILE));
  fsyncDir(dir);
}

/** Reads `<dir>/checkpoint`: undefined when absent, 'corrupt' when it does not verify. */
export function readCheckpointFile(dir: string): Checkpoint | 'corrupt' | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path.join(dir, CHECKPOINT_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return decodeCheckpoint(buf) ?? 'corrupt';
}

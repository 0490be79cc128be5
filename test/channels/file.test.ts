import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import file, { FileChannel } from '../../src/channels/file.js';
import { ChannelException, ChannelFullException, ConfigurationError } from '../../src/core/errors.js';
import { createEvent } from '../../src/core/event.js';
import { buildComponent } from '../../src/engine/build.js';
import { DefaultChannelProcessor, replicatingSelector } from '../../src/engine/channel-processor.js';
import { ConsoleLogger } from '../../src/core/logger.js';

const dirs: string[] = [];
const open: FileChannel[] = [];
afterEach(() => {
  for (const c of open.splice(0)) { try { c.stop(); } catch { /* already stopped */ } }
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-test-'));
  dirs.push(d);
  return d;
}

function channel(dir: string, props: Record<string, string> = {}, start = true): FileChannel {
  const { instance } = buildComponent(file, 'c1', {
    checkpointDir: path.join(dir, 'ck'), dataDirs: path.join(dir, 'data'), minimumRequiredSpace: '0', ...props,
  });
  const ch = instance as FileChannel;
  if (start) ch.start();
  open.push(ch);
  return ch;
}

function putCommit(ch: FileChannel, bodies: string[], headers?: Record<string, string>): void {
  const tx = ch.createTransaction();
  tx.begin();
  for (const b of bodies) tx.put(createEvent(b, headers ? { ...headers } : undefined));
  tx.commit();
  tx.close();
}

function takeCommit(ch: FileChannel, n: number): string[] {
  const tx = ch.createTransaction();
  tx.begin();
  const out: string[] = [];
  for (let i = 0; i < n; i++) { const e = tx.take(); if (!e) break; out.push(e.body.toString()); }
  tx.commit();
  tx.close();
  return out;
}

function drain(ch: FileChannel): string[] {
  const out: string[] = [];
  for (;;) { const b = takeCommit(ch, Math.min(1000, ch.transactionCapacity)); if (b.length === 0) return out; out.push(...b); }
}

/** Restarts from disk as after kill -9 (no checkpoint at close, nothing flushed beyond commits). */
function crashAndReopen(dir: string, ch: FileChannel, props: Record<string, string> = {}): FileChannel {
  ch.simulateCrash();
  return channel(dir, props);
}

function segmentFiles(dir: string): string[] {
  return fs.readdirSync(path.join(dir, 'data')).filter((f) => f.startsWith('log-')).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
}

describe('file channel', () => {
  it("applies Flume's defaults", () => {
    const ch = channel(tmp(), {}, false);
    expect(ch.capacity).toBe(1000000);
    expect(ch.transactionCapacity).toBe(10000);
    expect(ch.keepAliveMs).toBe(3000);
    expect(String(ch)).toContain('FileChannel c1');
  });

  it('rejects transactionCapacity > capacity and equal checkpoint/backup dirs with Flume-like messages', () => {
    expect(() => buildComponent(file, 'c1', { capacity: '10', transactionCapacity: '20' })).toThrow(/transaction capacity cannot be greater than the capacity/);
    expect(() => buildComponent(file, 'c1', { checkpointDir: '/tmp/x', backupCheckpointDir: '/tmp/x', useDualCheckpoints: 'true' }))
      .toThrow(ConfigurationError);
  });

  it('warns that encryption is not implemented', () => {
    const { problems } = buildComponent(file, 'c1', { 'encryption.activeKey': 'k1' });
    expect(problems.map((p) => p.message).join('\n')).toMatch(/UNENCRYPTED/);
  });

  it('delivers committed events FIFO with headers, nothing before commit', () => {
    const ch = channel(tmp());
    const tx = ch.createTransaction();
    tx.begin();
    tx.put(createEvent('a', { h: 'x', 'ü': 'é' }));
    tx.put(createEvent(''));
    expect(ch.size()).toBe(0);
    tx.commit();
    tx.close();
    expect(ch.size()).toBe(2);
    const t = ch.createTransaction();
    t.begin();
    const a = t.take()!;
    expect(a.body.toString()).toBe('a');
    expect(a.headers).toEqual({ h: 'x', 'ü': 'é' });
    expect(t.take()!.body.length).toBe(0);
    expect(t.take()).toBeNull();
    t.commit();
    t.close();
    expect(ch.size()).toBe(0);
  });

  it('rollback discards puts and returns taken events to the head in order', () => {
    const ch = channel(tmp());
    putCommit(ch, ['1', '2', '3']);
    const t = ch.createTransaction();
    t.begin();
    t.take(); t.take();
    t.put(createEvent('never'));
    t.rollback();
    t.close();
    expect(drain(ch)).toEqual(['1', '2', '3']);
  });

  it('keeps everything across a clean stop/start (and reads events back from disk)', () => {
    const dir = tmp();
    let ch = channel(dir);
    putCommit(ch, ['a', 'b', 'c'], { k: 'v' });
    expect(takeCommit(ch, 1)).toEqual(['a']);
    ch.stop();
    ch = channel(dir);
    expect(ch.size()).toBe(2);
    const tx = ch.createTransaction();
    tx.begin();
    const b = tx.take()!;
    expect(b.headers).toEqual({ k: 'v' });
    expect(b.body.toString()).toBe('b');
    tx.commit();
    tx.close();
    expect(drain(ch)).toEqual(['c']);
  });

  it('after a crash: committed puts back, committed takes gone, uncommitted puts absent, uncommitted takes back', () => {
    const dir = tmp();
    let ch = channel(dir);
    putCommit(ch, ['1', '2', '3', '4', '5']);
    expect(takeCommit(ch, 2)).toEqual(['1', '2']);
    const open1 = ch.createTransaction();
    open1.begin();
    open1.take(); // '3' taken, never committed
    const open2 = ch.createTransaction();
    open2.begin();
    open2.put(createEvent('uncommitted'));
    ch = crashAndReopen(dir, ch);
    expect(drain(ch)).toEqual(['3', '4', '5']);
  });

  it('replays the log after a checkpoint (checkpoint + tail)', () => {
    const dir = tmp();
    let ch = channel(dir);
    putCommit(ch, Array.from({ length: 10 }, (_, i) => `e${i}`));
    takeCommit(ch, 3);
    ch.checkpoint();
    takeCommit(ch, 2);
    putCommit(ch, ['x', 'y']);
    ch = crashAndReopen(dir, ch);
    expect(drain(ch)).toEqual(['e5', 'e6', 'e7', 'e8', 'e9', 'x', 'y']);
  });

  it('keeps in-flight takes in a checkpoint (they come back after a crash)', () => {
    const dir = tmp();
    let ch = channel(dir);
    putCommit(ch, ['a', 'b', 'c']);
    const t = ch.createTransaction();
    t.begin();
    t.take();
    ch.checkpoint();
    ch = crashAndReopen(dir, ch);
    expect(drain(ch)).toEqual(['a', 'b', 'c']);
  });

  it('ignores a torn last write (partial record) and a corrupt record, and keeps appending after them', () => {
    const dir = tmp();
    let ch = channel(dir);
    putCommit(ch, ['ok1']);
    putCommit(ch, ['lost-by-torn-write']);
    const end1 = ch.logPosition()!.off;
    ch.simulateCrash();
    // Cut the last transaction in the middle (as a crash during write would); the zeros of the
    // preallocated rest of the segment follow it.
    const seg = path.join(dir, 'data', segmentFiles(dir).at(-1)!);
    const b1 = fs.readFileSync(seg);
    expect(b1.length).toBeGreaterThan(end1); // preallocated
    b1.fill(0, end1 - 10);
    fs.writeFileSync(seg, b1);
    ch = channel(dir);
    expect(ch.size()).toBe(1);
    putCommit(ch, ['ok2']);
    const end2 = ch.logPosition()!.off;
    ch.simulateCrash();
    // Flip a byte inside the COMMIT record of the last transaction: CRC rejects it.
    const seg2 = path.join(dir, 'data', segmentFiles(dir).at(-1)!);
    const b = fs.readFileSync(seg2);
    b[end2 - 3] = b[end2 - 3]! ^ 0xff;
    fs.writeFileSync(seg2, b);
    ch = channel(dir);
    putCommit(ch, ['ok3']);
    expect(drain(ch)).toEqual(['ok1', 'ok3']);
  });

  it('full is detected at commit with Flume\'s message; the transaction stays open', () => {
    const ch = channel(tmp(), { capacity: '3', transactionCapacity: '3' });
    putCommit(ch, ['1', '2']);
    const tx = ch.createTransaction();
    tx.begin();
    tx.put(createEvent('3'));
    tx.put(createEvent('4'));
    expect(() => tx.commit()).toThrow(ChannelFullException);
    expect(() => tx.commit()).toThrow(/The channel has reached it's capacity.*\[channel=c1\]/);
    expect(takeCommit(ch, 1)).toEqual(['1']);
    tx.commit();
    tx.close();
    expect(drain(ch)).toEqual(['2', '3', '4']);
  });

  it('enforces transactionCapacity for puts and takes', () => {
    const ch = channel(tmp(), { capacity: '10', transactionCapacity: '2' });
    const tx = ch.createTransaction();
    tx.begin();
    tx.put(createEvent('a')); tx.put(createEvent('b'));
    expect(() => tx.put(createEvent('c'))).toThrow(/Put queue for FileBackedTransaction of capacity 2 full/);
    tx.commit(); tx.close();
    putCommit(ch, ['c']);
    const t = ch.createTransaction();
    t.begin();
    t.take(); t.take();
    expect(() => t.take()).toThrow(ChannelException);
    t.rollback(); t.close();
  });

  it('rolls segments at maxFileSize and deletes fully taken ones after a checkpoint', () => {
    const dir = tmp();
    let ch = channel(dir, { maxFileSize: '2000' });
    for (let i = 0; i < 50; i++) putCommit(ch, [`event-${i}-${'x'.repeat(100)}`]);
    expect(segmentFiles(dir).length).toBeGreaterThan(3);
    const got = drain(ch);
    expect(got.length).toBe(50);
    ch.checkpoint();
    expect(segmentFiles(dir).length).toBe(1); // only the segment being written
    ch = crashAndReopen(dir, ch, { maxFileSize: '2000' });
    expect(ch.size()).toBe(0);
  });

  it('a segment with one live event stays; later ones too (replay from scratch stays correct)', () => {
    const dir = tmp();
    let ch = channel(dir, { maxFileSize: '600' });
    for (let i = 0; i < 20; i++) putCommit(ch, [`e${i}-${'y'.repeat(100)}`]);
    // Take all but the first (take 20, put the first back by rolling back a single take).
    const t = ch.createTransaction();
    t.begin();
    const first = t.take()!;
    t.rollback(); t.close();
    expect(first.body.toString()).toMatch(/^e0-/);
    // Take e0 in an open tx and commit the others via another tx.
    const hold = ch.createTransaction();
    hold.begin();
    hold.take();
    expect(drain(ch).length).toBe(19);
    hold.rollback(); hold.close();
    ch.checkpoint();
    fs.rmSync(path.join(dir, 'ck', 'checkpoint'));
    ch = crashAndReopen(dir, ch, { maxFileSize: '600' });
    expect(drain(ch).map((b) => b.slice(0, 3))).toEqual(['e0-']);
  });

  it('falls back to the backup checkpoint, or to a full replay, when the checkpoint is corrupt', () => {
    const dir = tmp();
    const props = { useDualCheckpoints: 'true', backupCheckpointDir: path.join(dir, 'backup') };
    let ch = channel(dir, props);
    putCommit(ch, ['a', 'b', 'c']);
    takeCommit(ch, 1);
    ch.checkpoint();
    putCommit(ch, ['d']);
    ch.simulateCrash();
    fs.writeFileSync(path.join(dir, 'ck', 'checkpoint'), 'garbage');
    ch = channel(dir, props);
    expect(drain(ch)).toEqual(['b', 'c', 'd']);
    putCommit(ch, ['e']);
    ch.simulateCrash();
    fs.writeFileSync(path.join(dir, 'ck', 'checkpoint'), 'garbage');
    fs.writeFileSync(path.join(dir, 'backup', 'checkpoint'), 'garbage');
    ch = channel(dir, props);
    expect(drain(ch)).toEqual(['e']);
  });

  it('refuses directories locked by a live process', () => {
    const dir = tmp();
    channel(dir);
    const second = channel(dir, {}, false);
    expect(() => second.start()).toThrow(/already locked/);
  });

  it('fails puts with a ChannelException when the disk has less than minimumRequiredSpace', () => {
    const ch = channel(tmp(), { minimumRequiredSpace: String(Number.MAX_SAFE_INTEGER) });
    expect(() => putCommit(ch, ['a'])).toThrow(/Usable space exhausted/);
    expect(ch.counters.values.EventPutErrorCount).toBe(1);
  });

  it("counts like Flume's channel counters, plus the file channel's", () => {
    const ch = channel(tmp(), { capacity: '100', transactionCapacity: '10' });
    putCommit(ch, ['a', 'b']);
    const tx = ch.createTransaction();
    tx.begin(); tx.take(); tx.take(); tx.take(); tx.commit(); tx.close();
    const j = ch.counters.toJSON();
    expect(j).toMatchObject({
      EventPutAttemptCount: '2', EventPutSuccessCount: '2', EventTakeAttemptCount: '3', EventTakeSuccessCount: '2',
      ChannelSize: '0', ChannelCapacity: '100', ChannelFillPercentage: '0.0', Open: 'true', Unhealthy: '0',
      EventPutErrorCount: '0', CheckpointWriteErrorCount: '0', Type: 'CHANNEL',
    });
  });

  it('wakes sinks waiting for events and sources waiting for space', async () => {
    const ch = channel(tmp(), { capacity: '1', transactionCapacity: '1' });
    const t0 = Date.now();
    const w = ch.waitForEvents(5000);
    putCommit(ch, ['a']);
    await w;
    const s = ch.waitForSpace(5000);
    takeCommit(ch, 1);
    await s;
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('through the ChannelProcessor: a full channel is waited on for keep-alive, then fails with Flume\'s message', async () => {
    const ch = channel(tmp(), { capacity: '2', transactionCapacity: '2', 'keep-alive': '1' });
    const proc = new DefaultChannelProcessor(replicatingSelector([ch], []), [], ConsoleLogger.create('OFF'));
    await proc.processEventBatch([createEvent('a'), createEvent('b')]);
    // Room appears within keep-alive: the batch commits.
    setTimeout(() => takeCommit(ch, 1), 200);
    await proc.processEventBatch([createEvent('c')]);
    expect(drain(ch)).toEqual(['b', 'c']);
    putCommit(ch, ['d', 'e']);
    const t0 = Date.now();
    await expect(proc.processEventBatch([createEvent('f')])).rejects.toThrow(/reached it's capacity/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(drain(ch)).toEqual(['d', 'e']);
  });

  it("refuses Apache Flume's own log files with a message saying what to do", () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'data', 'log-1'), Buffer.from([0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]));
    fs.writeFileSync(path.join(dir, 'data', 'log-1.meta'), 'x');
    const ch = channel(dir, {}, false);
    expect(() => ch.start()).toThrow(/Apache Flume file channel log; tsagent cannot read Flume's format. Drain the channel with Flume first/);
    // The locks were released: a fresh directory works.
    const ok = channel(tmp());
    putCommit(ok, ['a']);
    expect(ok.size()).toBe(1);
  });

  it('preallocates segments with zeros, trims them at close, and replays a crashed (untrimmed) segment quietly', () => {
    const dir = tmp();
    const warnings: string[] = [];
    let ch = channel(dir);
    putCommit(ch, ['a', 'b']);
    const end = ch.logPosition()!;
    const seg = path.join(dir, 'data', `log-${end.seg}`);
    expect(fs.statSync(seg).size).toBeGreaterThan(end.off);
    ch.stop();
    expect(fs.statSync(seg).size).toBe(end.off);
    ch = channel(dir);
    putCommit(ch, ['c']);
    const end2 = ch.logPosition()!;
    ch.simulateCrash();
    const seg2 = path.join(dir, 'data', `log-${end2.seg}`);
    expect(fs.statSync(seg2).size).toBeGreaterThan(end2.off);
    const { instance } = buildComponent(file, 'c1', { checkpointDir: path.join(dir, 'ck'), dataDirs: path.join(dir, 'data'), minimumRequiredSpace: '0' }, {
      logger: { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m), child() { return this; }, isDebug: () => false },
    });
    ch = instance as FileChannel;
    open.push(ch);
    ch.start();
    expect(drain(ch)).toEqual(['a', 'b', 'c']);
    expect(warnings).toEqual([]);
    expect(fs.statSync(seg2).size).toBe(end2.off);
  });

  it('reads events back from the segment being written (no cache) while new ones are appended', () => {
    const ch = channel(tmp(), { capacity: '1000', transactionCapacity: '100' });
    ch.cacheLimit = 0;
    const got: string[] = [];
    for (let i = 0; i < 50; i++) {
      putCommit(ch, [`e${i}`, `f${i}`], { i: String(i) });
      got.push(...takeCommit(ch, 1));
    }
    got.push(...drain(ch));
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => [`e${i}`, `f${i}`]).flat().sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)) || a.localeCompare(b)));
  });

  it('fsyncPerTransaction = false still survives a process crash (the page cache keeps the writes)', () => {
    const dir = tmp();
    let ch = channel(dir, { fsyncPerTransaction: 'false' });
    putCommit(ch, ['a', 'b']);
    takeCommit(ch, 1);
    ch = crashAndReopen(dir, ch, { fsyncPerTransaction: 'false' });
    expect(drain(ch)).toEqual(['b']);
  });
});

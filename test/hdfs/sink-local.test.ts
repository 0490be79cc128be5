import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import memory from '../../src/channels/memory.js';
import type { Channel } from '../../src/core/contracts.js';
import { createEvent, type Event } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import hdfs, { type HdfsSink } from '../../src/sinks/hdfs.js';
import { SequenceFileFormat } from '../../src/hdfs/formats.js';

const T0 = 1_800_000_000_000; // agent clock
const TS = 1_700_000_000_000; // event time: 2023-11-14 22:13:20 UTC

function fill(ch: Channel, events: Event[]): void {
  const tx = ch.createTransaction();
  tx.begin();
  for (const e of events) tx.put(e);
  tx.commit();
  tx.close();
}

function lines(n: number, from = 0, headers: Record<string, string> = { timestamp: String(TS) }): Event[] {
  return Array.from({ length: n }, (_, i) => createEvent(`line ${from + i}`, { ...headers }));
}

interface Setup { sink: HdfsSink; ch: Channel; clock: { t: number; now(): number }; dir: string; logger: MemoryLogger }

const started: HdfsSink[] = [];
afterEach(async () => { for (const s of started.splice(0)) await s.stop(); });

async function setup(props: Record<string, string>, dir = mkdtempSync(path.join(tmpdir(), 'hdfs-sink-')), stateDir = mkdtempSync(path.join(tmpdir(), 'hdfs-state-'))): Promise<Setup> {
  const clock = { t: T0, now(): number { return this.t; } };
  const logger = new MemoryLogger();
  const ch = buildComponent(memory, 'c1', { capacity: '100000', transactionCapacity: '1000' }).instance;
  await ch.start();
  const { instance } = buildComponent(hdfs, 'k1', {
    'hdfs.path': `file://${dir}/%y-%m-%d`, 'hdfs.timeZone': 'UTC', 'hdfs.fileType': 'DataStream', 'hdfs.stateDir': stateDir, ...props,
  }, { clock, logger });
  const sink = instance as HdfsSink;
  await sink.start(ch);
  started.push(sink);
  return { sink, ch, clock, dir, logger };
}

const ls = (d: string): string[] => (existsSync(d) ? readdirSync(d).sort() : []);
const day = (dir: string): string => path.join(dir, '23-11-14');

describe('hdfs sink on file:/// (naming, rolling, escapes)', () => {
  it('writes Flume names: <prefix>.<clock ms + 1><suffix>.tmp while open, renamed on stop', async () => {
    const s = await setup({ 'hdfs.filePrefix': 'apache_logs', 'hdfs.fileSuffix': '.log', 'hdfs.rollInterval': '300', 'hdfs.rollSize': '0', 'hdfs.rollCount': '0', 'hdfs.writeFormat': 'Text' });
    fill(s.ch, lines(5));
    expect(await s.sink.process()).toBe('READY');
    expect(ls(day(s.dir))).toEqual([`apache_logs.${T0 + 1}.log.tmp`]);
    expect(readFileSync(path.join(day(s.dir), `apache_logs.${T0 + 1}.log.tmp`), 'utf8')).toBe('line 0\nline 1\nline 2\nline 3\nline 4\n');
    expect(await s.sink.process()).toBe('BACKOFF');
    await s.sink.stop();
    expect(ls(day(s.dir))).toEqual([`apache_logs.${T0 + 1}.log`]);
  });

  it('rollCount: a file holds exactly rollCount events; the counter increments per file', async () => {
    const s = await setup({ 'hdfs.rollCount': '3', 'hdfs.rollSize': '0', 'hdfs.rollInterval': '0' });
    fill(s.ch, lines(7));
    await s.sink.process();
    expect(ls(day(s.dir))).toEqual([`FlumeData.${T0 + 1}`, `FlumeData.${T0 + 2}`, `FlumeData.${T0 + 3}.tmp`]);
    expect(readFileSync(path.join(day(s.dir), `FlumeData.${T0 + 2}`), 'utf8')).toBe('line 3\nline 4\nline 5\n');
  });

  it('rollSize counts body bytes and rolls before the event that finds the file full', async () => {
    const s = await setup({ 'hdfs.rollCount': '0', 'hdfs.rollSize': '10', 'hdfs.rollInterval': '0' });
    fill(s.ch, lines(4)); // 6-byte bodies: 6, 12 >= 10 → roll before the 3rd
    await s.sink.process();
    expect(ls(day(s.dir))).toEqual([`FlumeData.${T0 + 1}`, `FlumeData.${T0 + 2}.tmp`]);
    expect(readFileSync(path.join(day(s.dir), `FlumeData.${T0 + 1}`), 'utf8')).toBe('line 0\nline 1\n');
  });

  it('rollInterval closes the file without new events; the next event starts a new writer seeded from the clock', async () => {
    const s = await setup({ 'hdfs.rollCount': '0', 'hdfs.rollSize': '0', 'hdfs.rollInterval': '30' });
    fill(s.ch, lines(2));
    await s.sink.process();
    s.clock.t += 29_000;
    await s.sink.process();
    expect(ls(day(s.dir))).toEqual([`FlumeData.${T0 + 1}.tmp`]);
    s.clock.t += 1_000;
    await s.sink.process();
    expect(ls(day(s.dir))).toEqual([`FlumeData.${T0 + 1}`]);
    fill(s.ch, lines(1, 2));
    await s.sink.process();
    expect(ls(day(s.dir))).toEqual([`FlumeData.${T0 + 1}`, `FlumeData.${T0 + 30_000 + 1}.tmp`]);
  });

  it('idleTimeout closes a file that got no writes', async () => {
    const s = await setup({ 'hdfs.rollCount': '0', 'hdfs.rollSize': '0', 'hdfs.rollInterval': '0', 'hdfs.idleTimeout': '5' });
    fill(s.ch, lines(1));
    await s.sink.process();
    s.clock.t += 4_000;
    fill(s.ch, lines(1, 1));
    await s.sink.process();
    s.clock.t += 4_000;
    await s.sink.process();
    expect(ls(day(s.dir))).toEqual([`FlumeData.${T0 + 1}.tmp`]);
    s.clock.t += 1_000;
    await s.sink.process();
    expect(ls(day(s.dir))).toEqual([`FlumeData.${T0 + 1}`]);
    expect(readFileSync(path.join(day(s.dir), `FlumeData.${T0 + 1}`), 'utf8')).toBe('line 0\nline 1\n');
  });

  it('maxOpenFiles closes the least recently used writer', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'hdfs-sink-'));
    const s2 = await setup({ 'hdfs.path': `file://${d}/%{host}`, 'hdfs.rollCount': '0', 'hdfs.rollSize': '0', 'hdfs.rollInterval': '0', 'hdfs.maxOpenFiles': '2' }, d);
    for (const h of ['a', 'b', 'a', 'c']) fill(s2.ch, [createEvent(`x${h}`, { host: h })]);
    await s2.sink.process();
    // a, b open; a touched again; c opens → b (least recently used) is closed.
    expect(ls(path.join(d, 'a'))).toEqual([`FlumeData.${T0 + 1}.tmp`]);
    expect(ls(path.join(d, 'b'))).toEqual([`FlumeData.${T0 + 1}`]);
    expect(ls(path.join(d, 'c'))).toEqual([`FlumeData.${T0 + 1}.tmp`]);
  });

  it('a header cannot move files out of the path', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'hdfs-sink-'));
    const s = await setup({ 'hdfs.path': `file://${d}/out/%{h}`, 'hdfs.filePrefix': '%{h}', 'hdfs.rollCount': '0', 'hdfs.rollSize': '0', 'hdfs.rollInterval': '0' }, d);
    fill(s.ch, [createEvent('evil', { h: '../..' })]);
    await s.sink.process();
    expect(ls(d)).toEqual(['out']);
    expect(ls(path.join(d, 'out'))).toEqual(['_____']);
  });

  it('missing timestamp: rollback, clear error naming the event, the event stays in the channel', async () => {
    const s = await setup({});
    fill(s.ch, [createEvent('no time', { topic: 't' })]);
    await expect(s.sink.process()).rejects.toThrow(/Expected timestamp in the Flume event headers, but it was null.*"topic":"t".*no time/);
    expect(s.ch.size()).toBe(1);
    expect(s.sink.counters.values.EventWriteFail).toBe(1);
  });

  it('useLocalTimeStamp uses the agent clock', async () => {
    const s = await setup({ 'hdfs.useLocalTimeStamp': 'true', 'hdfs.rollCount': '0' });
    fill(s.ch, [createEvent('x', {})]);
    await s.sink.process();
    expect(ls(s.dir)).toEqual(['27-01-15']); // T0 = 2027-01-15 08:00 UTC
  });

  it('counters follow Flume', async () => {
    const s = await setup({ 'hdfs.batchSize': '4', 'hdfs.rollCount': '0', 'hdfs.rollSize': '0', 'hdfs.batchesPerWrite': '1' });
    fill(s.ch, lines(6));
    await s.sink.process();
    await s.sink.process();
    await s.sink.process();
    const v = s.sink.counters.values;
    expect([v.BatchCompleteCount, v.BatchUnderflowCount, v.BatchEmptyCount, v.EventDrainAttemptCount, v.EventDrainSuccessCount, v.ConnectionCreatedCount])
      .toEqual([1, 1, 1, 6, 6, 1]);
    await s.sink.stop();
    expect(v.ConnectionClosedCount).toBe(1);
  });

  it('group commit: with a backlog, several transactions share one write and commit together', async () => {
    const s = await setup({ 'hdfs.batchSize': '4', 'hdfs.rollCount': '0', 'hdfs.rollSize': '0', 'hdfs.batchesPerWrite': '2' });
    fill(s.ch, lines(10));
    expect(await s.sink.process()).toBe('READY');
    expect(s.ch.size()).toBe(2);
    const v = s.sink.counters.values;
    expect([v.BatchCompleteCount, v.EventDrainSuccessCount, v.ConnectionCreatedCount]).toEqual([2, 8, 1]);
    await s.sink.process();
    expect(readFileSync(path.join(day(s.dir), `FlumeData.${T0 + 1}.tmp`), 'utf8')).toBe(lines(10).map((e) => `${e.body.toString()}\n`).join(''));
  });

  it('finalises its own leftover .tmp at start, cutting a torn last record', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'hdfs-sink-'));
    mkdirSync(path.join(d, '27-01-15'));
    writeFileSync(path.join(d, '27-01-15', 'apache_logs.123.log.tmp'), 'a\nb\ntor');
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(path.join(d, '27-01-15', 'apache_logs.123.log.tmp'), old, old);
    writeFileSync(path.join(d, '27-01-15', 'apache_logs.456.log.tmp'), 'recent: maybe another agent is writing it\n');
    writeFileSync(path.join(d, '27-01-15', 'other.5.log.tmp'), 'not ours');
    await setup({ 'hdfs.filePrefix': 'apache_logs', 'hdfs.fileSuffix': '.log' }, d);
    expect(ls(path.join(d, '27-01-15'))).toEqual(['apache_logs.123.log', 'apache_logs.456.log.tmp', 'other.5.log.tmp']);
    expect(readFileSync(path.join(d, '27-01-15', 'apache_logs.123.log'), 'utf8')).toBe('a\nb\n');
  });

  it('after a crash, the local record gives the exact committed length of its own in-use files', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'hdfs-sink-'));
    const st = mkdtempSync(path.join(tmpdir(), 'hdfs-state-'));
    const props = { 'hdfs.filePrefix': 'apache_logs', 'hdfs.fileSuffix': '.log', 'hdfs.rollCount': '0', 'hdfs.rollSize': '0', 'hdfs.rollInterval': '0' };
    const a = await setup(props, d, st);
    started.splice(started.indexOf(a.sink), 1); // "crashes": never stopped
    fill(a.ch, lines(3));
    await a.sink.process();
    const tmp = path.join(day(d), `apache_logs.${T0 + 1}.log.tmp`);
    appendFileSync(tmp, 'line 3\nline 4\n'); // written, but the transaction never committed
    // The crashed process: its record now belongs to a pid that does not exist.
    const [rec] = readdirSync(st);
    renameSync(path.join(st, rec!), path.join(st, rec!.replace(`.${process.pid}.json`, '.99999999.json')));
    const b = await setup(props, d, st);
    expect(ls(day(d))).toEqual([`apache_logs.${T0 + 1}.log`]);
    expect(readFileSync(path.join(day(d), `apache_logs.${T0 + 1}.log`), 'utf8')).toBe('line 0\nline 1\nline 2\n');
    expect(b.logger.lines.join('\n')).toMatch(/of a previous run \(21 committed bytes\)/);
    expect(readdirSync(st)).toEqual([]);
  });

  it('CompressedStream gzip: one member per batch, the file decompresses to the lines', async () => {
    const s = await setup({ 'hdfs.fileType': 'CompressedStream', 'hdfs.codeC': 'gzip', 'hdfs.batchSize': '2', 'hdfs.rollCount': '0', 'hdfs.rollSize': '0' });
    fill(s.ch, lines(3));
    await s.sink.process();
    await s.sink.process();
    await s.sink.stop();
    expect(ls(day(s.dir))).toEqual([`FlumeData.${T0 + 1}.gz`]);
    expect(gunzipSync(readFileSync(path.join(day(s.dir), `FlumeData.${T0 + 1}.gz`))).toString()).toBe('line 0\nline 1\nline 2\n');
  });

  it('SequenceFile: records parse back (keys = timestamp header, BytesWritable values)', async () => {
    const s = await setup({ 'hdfs.fileType': 'SequenceFile', 'hdfs.rollCount': '0', 'hdfs.rollSize': '0' });
    fill(s.ch, lines(3));
    await s.sink.process();
    await s.sink.stop();
    const buf = readFileSync(path.join(day(s.dir), `FlumeData.${T0 + 1}`));
    expect(buf.subarray(0, 4).toString('latin1')).toBe('SEQ\x06');
    expect(new SequenceFileFormat('Writable').validPrefix(buf)).toBe(buf.length);
    expect(new SequenceFileFormat('Writable').validPrefix(buf.subarray(0, buf.length - 2))).toBeLessThan(buf.length - 2);
    const i = buf.indexOf('line 1');
    expect(buf.readBigInt64BE(i - 12)).toBe(BigInt(TS));
    expect(buf.readInt32BE(i - 4)).toBe(6);
  });
});

describe('hdfs sink configuration', () => {
  const CASES: Array<[string, Record<string, string>, RegExp]> = [
    ['DataStream with codec', { 'hdfs.fileType': 'DataStream', 'hdfs.codeC': 'gzip' }, /DataStream which does NOT support compressed output/],
    ['CompressedStream without codec', { 'hdfs.fileType': 'CompressedStream' }, /essential to set compress codec/],
    ['unknown codec', { 'hdfs.fileType': 'CompressedStream', 'hdfs.codeC': 'foo' }, /Unsupported compression codec foo/],
    ['bad static escape', { 'hdfs.filePrefix': '%[nope]' }, /static escape string 'nope'/],
    ['roundValue out of range', { 'hdfs.round': 'true', 'hdfs.roundUnit': 'hour', 'hdfs.roundValue': '25' }, /Round value must be > 0 and <= 24/],
    ['empty path', { 'hdfs.path': ' ' }, /hdfs.path is required/],
  ];
  it.each(CASES)('%s is an error', (_n, props, re) => {
    expect(() => buildComponent(hdfs, 'k1', { 'hdfs.path': 'file:///tmp/x', ...props })).toThrow(re);
  });
  it('unsupported-but-accepted properties warn', () => {
    const { problems } = buildComponent(hdfs, 'k1', { 'hdfs.path': 'file:///tmp/x', 'hdfs.kerberosPrincipal': 'a@B', 'hdfs.timeZone': 'Not/AZone' });
    expect(problems.map((p) => p.message).join('\n')).toMatch(/Kerberos.*not supported[\s\S]*unknown time zone 'Not\/AZone'/);
  });
});

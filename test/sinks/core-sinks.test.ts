import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import memory, { MemoryChannel } from '../../src/channels/memory.js';
import { createEvent, type Event } from '../../src/core/event.js';
import { markHeadersCopied } from '../../src/core/java-hashmap-order.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import fileRoll, { FileRollSink } from '../../src/sinks/file-roll.js';
import logger, { formatEvent, hexDump, LoggerSink } from '../../src/sinks/logger.js';
import nullSink, { NullSink } from '../../src/sinks/null.js';

function chan(events: string[]): MemoryChannel {
  const ch = buildComponent(memory, 'c1', { capacity: '10000', transactionCapacity: '1000' }).instance as MemoryChannel;
  ch.start();
  const tx = ch.createTransaction();
  tx.begin();
  for (const e of events) tx.put(createEvent(e));
  tx.commit();
  tx.close();
  return ch;
}

describe('logger sink format (Flume EventHelper.dumpEvent)', () => {
  it.each([
    ['hello', {}, 16, 'Event: { headers:{} body: 68 65 6C 6C 6F ' + ' '.repeat(33) + 'hello }'],
    ['Hello world!\r', {}, 16, 'Event: { headers:{} body: 48 65 6C 6C 6F 20 77 6F 72 6C 64 21 0D          Hello world!. }'],
    ['', {}, 16, 'Event: { headers:{} body: }'],
    ['x', { a: '1', b: '2' }, 16, 'Event: { headers:{a=1, b=2} body: 78 ' + ' '.repeat(45) + 'x }'],
    ['0123456789abcdefXYZ', {}, 16, 'Event: { headers:{} body: 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 0123456789abcdef }'],
  ])('%j', (body, headers, max, expected) => {
    expect(formatEvent(createEvent(body, headers), max)).toBe(expected);
  });

  // Header order is java.util.HashMap's (orders from a JDK 17 run of the same puts; the syslog one
  // also from Flume 1.11's logger sink).
  it.each([
    ['timestamp, host on a new HashMap', { timestamp: '1', host: 'h' }, false, '{host=h, timestamp=1}'],
    ['spooldir file, basename', { file: '/d/a.log', basename: 'a.log' }, false, '{file=/d/a.log, basename=a.log}'],
    ['Facility, Severity, status on a new HashMap', { Facility: '0', Severity: '0', 'flume.syslog.status': 'Invalid' }, false, '{flume.syslog.status=Invalid, Severity=0, Facility=0}'],
    ['syslog: the same keys copied by EventBuilder.withBody', { Facility: '0', Severity: '0', 'flume.syslog.status': 'Invalid' }, true, '{Severity=0, Facility=0, flume.syslog.status=Invalid}'],
    ['five keys', { a: '1', b: '2', timestamp: '3', host: '4', datacenter: '5' }, false, '{a=1, b=2, host=4, datacenter=5, timestamp=3}'],
  ])('headers in HashMap order: %s', (_name, headers, copied, expected) => {
    const h: Record<string, string> = { ...headers };
    if (copied) markHeadersCopied(h);
    expect(formatEvent(createEvent('x', h), 16)).toBe(`Event: { headers:${expected} body: 78 ${' '.repeat(45)}x }`);
  });

  it('keeps offsets on lines after the first when maxBytesToLog > 16', () => {
    const d = hexDump(Buffer.from('0123456789abcdefXY'), 32);
    expect(d.split('\n')[1]).toBe('00000010 58 59 ' + ' '.repeat(42) + 'XY');
  });

  it('logs one event per transaction at INFO', async () => {
    const log = new MemoryLogger();
    const s = buildComponent(logger, 'k1', {}, { logger: log }).instance as LoggerSink;
    const ch = chan(['a', 'b']);
    s.start(ch);
    expect(await s.process()).toBe('READY');
    expect(ch.size()).toBe(1);
    expect(await s.process()).toBe('READY');
    expect(await s.process()).toBe('BACKOFF');
    expect(log.lines.filter((l) => l.startsWith('INFO')).length).toBe(2);
  });
});

describe('null sink', () => {
  it('discards in batches of batchSize', async () => {
    const s = buildComponent(nullSink, 'k1', { batchSize: '3' }).instance as NullSink;
    const ch = chan(['1', '2', '3', '4']);
    s.start(ch);
    await s.process();
    expect(ch.size()).toBe(1);
    await s.process();
    expect(ch.size()).toBe(0);
    expect(await s.process()).toBe('BACKOFF');
  });
});

describe('file_roll sink', () => {
  it('writes bodies with newlines to <startMillis>-1 and counts like Flume', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fr-'));
    const clock = { now: () => 1700000000123 };
    const s = buildComponent(fileRoll, 'k1', { 'sink.directory': dir, 'sink.batchSize': '2' }, { clock }).instance as FileRollSink;
    const ch = chan(['a', 'b', 'c']);
    s.start(ch);
    await s.process();
    await s.process();
    expect(await s.process()).toBe('BACKOFF');
    s.stop();
    expect(readdirSync(dir)).toEqual(['1700000000123-1']);
    expect(readFileSync(path.join(dir, '1700000000123-1'), 'utf8')).toBe('a\nb\nc\n');
    expect(s.counters.toJSON()).toMatchObject({ BatchCompleteCount: '1', BatchUnderflowCount: '1', BatchEmptyCount: '1', EventDrainSuccessCount: '3', ConnectionCreatedCount: '1', ConnectionClosedCount: '1' });
  });

  it('rolls to -2 after rollInterval and applies prefix and extension', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fr-'));
    const clock = { now: () => 1000 };
    const s = buildComponent(fileRoll, 'k1', { 'sink.directory': dir, 'sink.rollInterval': '1', 'sink.pathManager.prefix': 'log-', 'sink.pathManager.extension': 'txt' }, { clock }).instance as FileRollSink;
    const ch = chan(['a']);
    s.start(ch);
    await s.process();
    await new Promise((r) => setTimeout(r, 1100));
    await s.process();
    s.stop();
    expect(readdirSync(dir).sort()).toEqual(['log-1000-1.txt', 'log-1000-2.txt']);
  });

  it('HEADER_AND_TEXT writes the headers in HashMap order', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fr-'));
    const clock = { now: () => 1000 };
    const s = buildComponent(fileRoll, 'k1', { 'sink.directory': dir, 'sink.serializer': 'HEADER_AND_TEXT' }, { clock }).instance as FileRollSink;
    const ch = buildComponent(memory, 'c1', {}).instance as MemoryChannel;
    ch.start();
    const events: Event[] = [
      createEvent('line', { timestamp: '7', topic: 't', partition: '0', offset: '42', key: 'k' }),
      createEvent('kafka', markHeadersCopied({ timestamp: '7', topic: 't', partition: '0', offset: '42', key: 'k' }, 4)),
    ];
    const tx = ch.createTransaction();
    tx.begin();
    for (const e of events) tx.put(e);
    tx.commit();
    tx.close();
    s.start(ch);
    await s.process();
    s.stop();
    expect(readFileSync(path.join(dir, '1000-1'), 'utf8')).toBe(
      '{partition=0, offset=42, topic=t, key=k, timestamp=7} line\n{topic=t, partition=0, offset=42, key=k, timestamp=7} kafka\n');
  });

  it('requires sink.directory', () => {
    expect(() => buildComponent(fileRoll, 'k1', {})).toThrow(/required property 'sink.directory' is missing/);
  });
});

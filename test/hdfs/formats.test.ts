import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createEvent } from '../../src/core/event.js';
import { AvroEventFormat, AVRO_EVENT_SCHEMA, DataStreamFormat, GzipStreamFormat, SequenceFileFormat, SEQ_SYNC_INTERVAL, readVLong, writeVLong } from '../../src/hdfs/formats.js';

describe('Hadoop VLong (WritableUtils)', () => {
  // Expected bytes from WritableUtils.writeVLong.
  const CASES: Array<[number, string]> = [
    [0, '00'], [127, '7f'], [-112, '90'], [128, '8f80'], [255, '8fff'], [256, '8e0100'], [-113, '8770'], [65536, '8d010000'], [2 ** 31, '8c80000000'],
  ];
  it.each(CASES)('%d -> %s and back', (n, hex) => {
    expect(writeVLong(n).toString('hex')).toBe(hex);
    expect(readVLong(Buffer.from(hex, 'hex'), 0)).toEqual([n, hex.length / 2]);
  });
});

describe('DataStream header_and_text', () => {
  it('writes headers in java.util.HashMap order (as Flume), then the body', async () => {
    const f = new DataStreamFormat('header_and_text', true);
    const b = await f.encode([createEvent('GET /', { timestamp: '1', host: 'h', status: '200' }), createEvent('x', {})]);
    // Order from a JDK 17 HashMap with the same puts.
    expect(b.toString()).toBe('{host=h, timestamp=1, status=200} GET /\n{} x\n');
  });
});

describe('validPrefix finds the last complete record', () => {
  const events = ['alpha', 'beta', 'gamma'].map((b) => createEvent(b, { timestamp: '1700000000000' }));
  it('text: after the last newline; without appendNewline the whole file', async () => {
    const f = new DataStreamFormat('text', true);
    const b = await f.encode(events);
    expect(f.validPrefix(b.subarray(0, b.length - 2))).toBe('alpha\nbeta\n'.length);
    expect(new DataStreamFormat('text', false).validPrefix(Buffer.from('abc'))).toBe(3);
  });
  it('gzip: the last complete member', async () => {
    const f = new GzipStreamFormat('text', true);
    const m1 = await f.encode(events.slice(0, 2), { length: 0 }, true, 0);
    const m2 = await f.encode(events.slice(2), { length: 0 }, false, 0);
    const file = Buffer.concat([m1, m2]);
    expect(f.validPrefix(file)).toBe(file.length);
    expect(f.validPrefix(file.subarray(0, file.length - 3))).toBe(m1.length);
    expect(f.validPrefix(m1.subarray(0, 5))).toBe(0);
    expect(gunzipSync(file).toString()).toBe('alpha\nbeta\ngamma\n');
  });
  it('SequenceFile: complete records and sync markers; Text values with multi-byte lengths', async () => {
    const f = new SequenceFileFormat('Text');
    const st = { length: 0 };
    const big = createEvent('x'.repeat(SEQ_SYNC_INTERVAL + 300), { timestamp: '5' });
    const b1 = await f.encode([big, ...events], st, true, 0);
    st.length = b1.length;
    const b2 = await f.encode(events, st, false, 0);
    const file = Buffer.concat([b1, b2]);
    expect(file.subarray(0, 4).toString('latin1')).toBe('SEQ\x06');
    expect(file.includes(Buffer.from('org.apache.hadoop.io.Text'))).toBe(true);
    // a sync marker (escape -1 + the header's 16-byte sync) follows the big record
    const sync = b1.subarray(b1.indexOf(Buffer.from('org.apache.hadoop.io.Text')) + 'org.apache.hadoop.io.Text'.length + 6, b1.indexOf(Buffer.from('org.apache.hadoop.io.Text')) + 'org.apache.hadoop.io.Text'.length + 22);
    expect(file.indexOf(Buffer.concat([Buffer.from('ffffffff', 'hex'), sync]))).toBeGreaterThan(SEQ_SYNC_INTERVAL);
    expect(f.validPrefix(file)).toBe(file.length);
    expect(f.validPrefix(file.subarray(0, file.length - 1))).toBe(b1.length + (b2.length - (8 + 8 + 1 + 5)));
    expect(f.validPrefix(file.subarray(0, 10))).toBe(0);
  });
  it('avro_event: header once, one block per batch, the last complete block', async () => {
    const f = new AvroEventFormat();
    const st = { length: 0 };
    const b1 = await f.encode(events.slice(0, 2), st, true, 0);
    const b2 = await f.encode(events.slice(2), st, false, 0);
    const file = Buffer.concat([b1, b2]);
    expect(file.subarray(0, 4)).toEqual(Buffer.from('Obj\x01', 'latin1'));
    expect(file.includes(Buffer.from(AVRO_EVENT_SCHEMA))).toBe(true);
    expect(b2.includes(Buffer.from('avro.schema'))).toBe(false);
    expect(f.validPrefix(file)).toBe(file.length);
    expect(f.validPrefix(file.subarray(0, file.length - 1))).toBe(b1.length);
    expect(f.validPrefix(file.subarray(0, 20))).toBe(0);
  });
});

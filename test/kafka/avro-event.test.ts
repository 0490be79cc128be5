import { describe, expect, it } from 'vitest';
import { AvroDecodeError, decodeAvroFlumeEvent, encodeAvroFlumeEvent } from '../../src/kafka/avro-event.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('AvroFlumeEvent codec (flume-compat §6.3)', () => {
  it.each<{ name: string; headers: Record<string, string>; body: string; expected: string }>([
    { name: 'empty headers, body "hi" (the §6.3 vector)', headers: {}, body: 'hi', expected: '00046869' },
    { name: 'empty headers, empty body', headers: {}, body: '', expected: '0000' },
    { name: 'one header', headers: { a: 'b' }, body: 'x', expected: '02' + '0261' + '0262' + '00' + '0278' },
    { name: 'two headers in key order', headers: { k1: 'v1', k2: '' }, body: '', expected: '04' + '046b31' + '047631' + '046b32' + '00' + '00' + '00' },
    { name: 'UTF-8 header and body', headers: { 'é': 'ü' }, body: 'ø', expected: '02' + '04c3a9' + '04c3bc' + '00' + '04c3b8' },
  ])('encodes $name', ({ headers, body, expected }) => {
    const enc = encodeAvroFlumeEvent(headers, Buffer.from(body, 'utf8'));
    expect(hex(enc)).toBe(expected);
    const dec = decodeAvroFlumeEvent(enc);
    expect(dec.headers).toEqual(headers);
    expect(dec.body.toString('utf8')).toBe(body);
  });

  it('uses multi-byte zigzag varints for lengths >= 64', () => {
    const body = Buffer.alloc(300, 0x41);
    const enc = encodeAvroFlumeEvent({}, body);
    // 300 → zigzag 600 → varint d8 04
    expect(hex(enc.subarray(0, 3))).toBe('00d804');
    expect(enc.length).toBe(3 + 300);
    expect(decodeAvroFlumeEvent(enc).body.equals(body)).toBe(true);
  });

  it('round-trips many headers and a large body', () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 100; i++) headers[`h${i}`] = 'v'.repeat(i);
    const body = Buffer.alloc(100_000, 7);
    const dec = decodeAvroFlumeEvent(encodeAvroFlumeEvent(headers, body));
    expect(dec.headers).toEqual(headers);
    expect(dec.body.equals(body)).toBe(true);
  });

  it('decodes map blocks with a negative count followed by a byte size (legal Avro)', () => {
    // block count -1 (zigzag 01), byte size 4 (08), "a"→"b", end block, body "z"
    const buf = Buffer.from('01' + '08' + '0261' + '0262' + '00' + '027a', 'hex');
    const dec = decodeAvroFlumeEvent(buf);
    expect(dec.headers).toEqual({ a: 'b' });
    expect(dec.body.toString()).toBe('z');
  });

  it('decodes several map blocks', () => {
    const buf = Buffer.from('02' + '0261' + '0262' + '02' + '0263' + '0264' + '00' + '00', 'hex');
    expect(decodeAvroFlumeEvent(buf).headers).toEqual({ a: 'b', c: 'd' });
  });

  it('ignores bytes after the record, as the Java reader does', () => {
    expect(decodeAvroFlumeEvent(Buffer.from('00046869ffff', 'hex')).body.toString()).toBe('hi');
  });

  it.each([
    { name: 'empty input', bytes: '' },
    { name: 'body longer than the input', bytes: '0010' + '41' },
    { name: 'truncated header string', bytes: '02' + '0a61' },
    { name: 'unterminated varint', bytes: '00' + 'ff' },
    { name: 'negative body length', bytes: '00' + '03' },
  ])('rejects $name', ({ bytes }) => {
    expect(() => decodeAvroFlumeEvent(Buffer.from(bytes, 'hex'))).toThrow(AvroDecodeError);
  });
});

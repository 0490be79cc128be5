import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PartitionerArgs, PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { FlumePartitioner, tlsOptions } from '../../src/kafka/client.js';

const md = (n: number, down: number[] = []): PartitionMetadata[] =>
  Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: down.includes(i) ? -1 : 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
const args = (message: PartitionerArgs['message'], partitionMetadata = md(3), topic = 't'): PartitionerArgs => ({ topic, partitionMetadata, message });

describe('FlumePartitioner (records without a key stick to one partition per batch)', () => {
  it('keeps one partition for a whole batch and moves to the next one per batch, covering all partitions', () => {
    const p = new FlumePartitioner(() => { throw new Error('not keyed'); });
    const seen: number[] = [];
    for (let b = 0; b < 6; b++) {
      p.newBatch();
      const first = p.partition(args({ value: 'x' }));
      for (let i = 0; i < 50; i++) expect(p.partition(args({ value: 'x' }))).toBe(first);
      seen.push(first);
    }
    expect(new Set(seen)).toEqual(new Set([0, 1, 2]));
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
  });

  it('skips partitions without a leader', () => {
    const p = new FlumePartitioner(() => 0);
    for (let b = 0; b < 10; b++) {
      p.newBatch();
      expect(p.partition(args({ value: 'x' }, md(3, [1])))).not.toBe(1);
    }
  });

  it('is sticky per topic', () => {
    const p = new FlumePartitioner(() => 0);
    p.newBatch();
    const a = p.partition(args({ value: 'x' }, md(3), 'a'));
    const b = p.partition(args({ value: 'x' }, md(3), 'b'));
    expect(p.partition(args({ value: 'y' }, md(3), 'a'))).toBe(a);
    expect(p.partition(args({ value: 'y' }, md(3), 'b'))).toBe(b);
  });

  it('delegates keyed records to the murmur2 partitioner and honours an explicit partition', () => {
    const p = new FlumePartitioner(() => 2);
    expect(p.partition(args({ key: 'k', value: 'x' }))).toBe(2);
    expect(p.partition(args({ value: 'x', partition: 1 }))).toBe(1);
  });

  it('throws (so the batch fails instead of being dropped) for a partition that does not exist', () => {
    const p = new FlumePartitioner(() => 0);
    expect(() => p.partition(args({ value: 'x', partition: 7 }))).toThrow('Invalid partition given with record: 7 is not in the range [0...2].');
    expect(() => p.partition(args({ value: 'x', partition: -1 }))).toThrow(/Invalid partition/);
  });
});

describe('tlsOptions', () => {
  it('reads PEM/PKCS12 files and applies hostname and version settings', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsagent-tls-'));
    const ca = path.join(dir, 'ca.pem');
    const p12 = path.join(dir, 'client.p12');
    writeFileSync(ca, 'CA-PEM');
    writeFileSync(p12, Buffer.from([1, 2, 3]));
    const o = tlsOptions({ caFile: ca, caPem: 'INLINE', pfxFile: p12, passphrase: 'pw', rejectUnauthorized: true, checkHostname: false, minVersion: 'TLSv1.2' });
    expect(o.ca).toEqual([Buffer.from('CA-PEM'), 'INLINE']);
    expect(o.pfx).toEqual(Buffer.from([1, 2, 3]));
    expect(o.passphrase).toBe('pw');
    expect(o.minVersion).toBe('TLSv1.2');
    expect(o.checkServerIdentity?.('h', {} as never)).toBeUndefined();
    expect(tlsOptions({ rejectUnauthorized: true, checkHostname: true }).checkServerIdentity).toBeUndefined();
  });

  it('names the property of a file that cannot be read', () => {
    expect(() => tlsOptions({ caFile: '/nonexistent/ca.pem', rejectUnauthorized: true, checkHostname: true })).toThrow("cannot read ssl.truststore.location '/nonexistent/ca.pem'");
  });
});

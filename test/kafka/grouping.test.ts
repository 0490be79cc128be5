import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadKafkaJs } from '../../src/kafka/client.js';

type Args = { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: (a: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number };

// kafkajs 2.2.4's own implementation (quadratic), as the reference for the result.
const reference = ({ topic, partitionMetadata, messages, partitioner }: Args): Record<string, unknown[]> => {
  if (partitionMetadata.length === 0) return {};
  return messages.reduce<Record<string, unknown[]>>((result, message) => {
    const partition = partitioner({ topic, partitionMetadata, message });
    const current = result[partition] || [];
    return Object.assign(result, { [partition]: [...current, message] });
  }, {});
};

describe('kafkajs per-partition grouping (linear replacement installed by loadKafkaJs)', async () => {
  await loadKafkaJs();
  const req = createRequire(import.meta.url);
  const group = req('kafkajs/src/producer/groupMessagesPerPartition.js') as (a: Args) => Record<string, unknown[]>;
  const md = [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }];

  it.each([
    ['one partition (sticky batch)', () => 1],
    ['round robin', (i: number) => i % 3],
    ['random', () => Math.floor(Math.random() * 3)],
  ])('same result as kafkajs: %s', (_name, pick) => {
    const messages = Array.from({ length: 500 }, (_, i) => ({ value: `m${i}` }));
    const seq: number[] = messages.map((_, i) => (pick as (i: number) => number)(i));
    const calls: unknown[] = [];
    const mk = () => { let i = 0; return (a: { message: unknown }) => { calls.push(a.message); return seq[i++]!; }; };
    const got = group({ topic: 't', partitionMetadata: md, messages, partitioner: mk() });
    const want = reference({ topic: 't', partitionMetadata: md, messages, partitioner: mk() });
    expect(got).toEqual(want);
    expect(calls.slice(0, 500)).toEqual(messages); // partitioner called once per message, in order
  });

  it('no partition metadata: empty result, partitioner not called', () => {
    let called = 0;
    expect(group({ topic: 't', partitionMetadata: [], messages: [{ value: 'x' }], partitioner: () => { called++; return 0; } })).toEqual({});
    expect(called).toBe(0);
  });

  it('is linear: 20,000 messages on one partition group in well under a second', () => {
    const messages = Array.from({ length: 20000 }, (_, i) => ({ value: i }));
    const t0 = performance.now();
    const got = group({ topic: 't', partitionMetadata: md, messages, partitioner: () => 2 });
    expect(performance.now() - t0).toBeLessThan(1000); // kafkajs' own version copies 2e8 elements here (seconds)
    expect(got['2']).toHaveLength(20000);
  });
});

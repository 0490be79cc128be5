import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadKafkaJs } from '../../src/kafka/client.js';
import {
  crc32c, encodeProduceRequest, kafkajsProduceRequestFactory, wrapProduceRequestFactory,
  type KafkaJsEncoder, type ProduceRequestArgs, type ProduceRequestFactory,
} from '../../src/kafka/produce-encoder.js';

// Differential test: the one-buffer Produce encoder against kafkajs 2.2.4's own encoder (no broker).

const req = createRequire(import.meta.url);
type EncoderClass = new (initialSize?: number) => KafkaJsEncoder;
const Encoder = req('kafkajs/src/protocol/encoder.js') as EncoderClass;
const kafkajsCrc32c = req('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
const original = kafkajsProduceRequestFactory();
const fast = wrapProduceRequestFactory(original, Encoder);

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UTF8_SAMPLES = ['', 'a', 'héllo wörld', '日本語のログ行', 'emoji 😀🚀', 'lone \ud800 surrogate', 'x'.repeat(200)];

interface GenOptions { messages: number; valueSize?: number; keys?: boolean; headers?: number }

function genMessages(r: () => number, o: GenOptions): Array<Record<string, unknown>> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < o.messages; i++) {
    const m: Record<string, unknown> = {};
    const size = o.valueSize ?? Math.floor(r() * 300);
    const vk = r();
    m['value'] = vk < 0.45 ? bytes(size) : vk < 0.8 ? pick(UTF8_SAMPLES) + String(i) : vk < 0.9 ? Buffer.alloc(0) : vk < 0.95 ? null : undefined;
    if (o.keys) {
      const kk = r();
      if (kk < 0.3) m['key'] = null;
      else if (kk < 0.6) m['key'] = bytes(Math.floor(r() * 20));
      else if (kk < 0.9) m['key'] = pick(UTF8_SAMPLES);
      // else: no key property at all
    }
    const nh = o.headers === undefined ? 0 : Math.floor(r() * (o.headers + 1));
    if (nh > 0 || (o.headers !== undefined && r() < 0.3)) {
      const h: Record<string, unknown> = {};
      for (let j = 0; j < nh; j++) {
        const name = pick(['flume.host', 'trace-id', 'ключ', 'k']) + j;
        const hv = r();
        h[name] = hv < 0.4 ? bytes(Math.floor(r() * 40)) : hv < 0.8 ? pick(UTF8_SAMPLES) : [pick(UTF8_SAMPLES), bytes(3)];
      }
      m['headers'] = h; // sometimes {} (zero headers)
    }
    out.push(m);
  }
  return out;
}

async function bytesOf(f: ProduceRequestFactory, args: ProduceRequestArgs): Promise<Buffer> {
  const enc = await f(args).encode();
  expect(enc).toBeInstanceOf(Encoder);
  return Buffer.from(enc.buffer);
}

/** Both encoders under the same clock: a counter starting at the same value for each. */
async function compare(args: ProduceRequestArgs, clock: 'fixed' | 'counting' = 'fixed'): Promise<{ want: Buffer; got: Buffer }> {
  let t = 1_732_579_200_123;
  const spy = vi.spyOn(Date, 'now').mockImplementation(() => (clock === 'fixed' ? t : t++));
  const want = await bytesOf(original, args);
  t = 1_732_579_200_123;
  const got = await bytesOf(fast, args);
  spy.mockRestore();
  return { want, got };
}

afterEach(() => { vi.restoreAllMocks(); });

describe('CRC-32C', () => {
  it('matches the standard check value and kafkajs on random data, also on sub-ranges', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    const r = rng(7);
    for (let n = 0; n < 200; n += 1 + Math.floor(n / 10)) {
      const b = Buffer.from(Array.from({ length: n + 16 }, () => Math.floor(r() * 256)));
      expect(crc32c(b, 0, n)).toBe(kafkajsCrc32c(b.subarray(0, n)));
      expect(crc32c(b, 5, n + 11)).toBe(kafkajsCrc32c(b.subarray(5, n + 11)));
    }
  });
});

describe('Produce request encoder: byte-identical to kafkajs', () => {
  const base = { acks: -1, timeout: 30000, compression: 0 };

  it.each([
    // name, messages per partition, partitions per topic, topics, generator options
    ['1 message, no key, no headers', 1, 1, 1, {}],
    ['2 messages', 2, 1, 1, { keys: true }],
    ['63/64 messages (offsetDelta varint 1 → 2 bytes)', 64, 1, 1, { keys: true, headers: 2 }],
    ['100 messages (the sink default batch)', 100, 1, 1, {}],
    ['1000 messages, keys and 0..5 headers', 1000, 1, 1, { keys: true, headers: 5 }],
    ['several topics and partitions', 37, 3, 3, { keys: true, headers: 5 }],
    ['empty values', 50, 2, 1, { valueSize: 0, keys: true }],
    ['large values (multi-byte length varints)', 5, 1, 1, { valueSize: 70_000, headers: 1 }],
  ] as const)('%s', async (_name, perPartition, partitions, topics, gen) => {
    const r = rng(perPartition * 31 + partitions * 7 + topics);
    const topicData = Array.from({ length: topics }, (_, ti) => ({
      topic: ti === 1 ? 'tópico-ü' : `topic-${ti}`,
      partitions: Array.from({ length: partitions }, (_, pi) => ({
        partition: pi * 2 + ti, messages: genMessages(r, { messages: perPartition, ...gen }),
      })),
    }));
    for (const acks of [-1, 0, 1]) {
      const args: ProduceRequestArgs = { ...base, acks, topicData };
      expect(encodeProduceRequest(args)).toBeInstanceOf(Buffer); // the fast path, not the fallback
      const { want, got } = await compare(args);
      expect(got.length).toBe(want.length);
      expect(got.equals(want)).toBe(true);
      expect(fast(args).expectResponse()).toBe(acks !== 0);
    }
  });

  it('many random message sets (seeded)', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(seed);
      const topicData = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, ti) => ({
        topic: `t${seed}-${ti}`,
        partitions: Array.from({ length: 1 + Math.floor(r() * 3) }, (_, pi) => ({
          partition: pi,
          messages: genMessages(r, { messages: 1 + Math.floor(r() * (seed % 10 === 0 ? 1000 : 120)), keys: r() < 0.5, headers: 5 }),
        })),
      }));
      const args: ProduceRequestArgs = { acks: [-1, 0, 1][seed % 3]!, timeout: 1000 + seed, topicData };
      expect(encodeProduceRequest(args)).toBeInstanceOf(Buffer);
      const { want, got } = await compare(args, seed % 2 === 0 ? 'fixed' : 'counting');
      expect(got.equals(want), `seed ${seed}`).toBe(true);
    }
  });

  it.each([
    ['transactionalId null, defaults', { transactionalId: null }],
    ['transactionalId undefined, producerId -1 number', { transactionalId: undefined, producerId: -1, producerEpoch: 0 }],
    ['transactional: id, producerId as string, epoch, firstSequence', { transactionalId: 'tx-1', producerId: '9007199254740993', producerEpoch: 3, firstSequence: 1234 }],
    ['empty transactionalId (written, not transactional)', { transactionalId: '', producerId: 42, producerEpoch: 1, firstSequence: 0 }],
    ['idempotent: large producerId, big epoch', { producerId: '1234567890123456789', producerEpoch: 32767, firstSequence: 2147483000 }],
  ] as const)('producer fields: %s', async (_name, extra) => {
    const r = rng(99);
    const { firstSequence, ...top } = extra as { firstSequence?: number } & Record<string, unknown>;
    const p: Record<string, unknown> = { partition: 1, messages: genMessages(r, { messages: 20, keys: true, headers: 2 }) };
    if (firstSequence !== undefined) p['firstSequence'] = firstSequence;
    const args = { acks: -1, timeout: 30000, ...top, topicData: [{ topic: 'a', partitions: [p] }] } as ProduceRequestArgs;
    expect(encodeProduceRequest(args)).toBeInstanceOf(Buffer);
    const { want, got } = await compare(args);
    expect(got.equals(want)).toBe(true);
  });

  it.each([
    ['empty header object', {}],
    ['empty string and empty Buffer values', { a: '', b: Buffer.alloc(0) }],
    ['array values: empty, one, several', { none: [], one: ['x'], many: [Buffer.from('1'), '2', 'drei'] }],
    ['UTF-8 and empty header names', { 'ü-name': 'v', '': 'empty name', 日本: Buffer.from([0, 255]) }],
    ['integer-like names (JS orders them first)', { b: '1', 10: 'ten', 2: 'two', a: '0' }],
    ['a 300-byte header value', { big: 'h'.repeat(300) }],
  ] as const)('header shapes: %s', async (_name, headers) => {
    const messages = [{ value: 'v1', headers }, { value: Buffer.from('v2'), key: 'k', headers }, { value: null }];
    const args: ProduceRequestArgs = { acks: 1, timeout: 100, topicData: [{ topic: 'h', partitions: [{ partition: 0, messages }] }] };
    expect(encodeProduceRequest(args)).toBeInstanceOf(Buffer);
    const { want, got } = await compare(args);
    expect(got.equals(want)).toBe(true);
  });

  it('a partition with no messages and a topic with no partitions', async () => {
    const args: ProduceRequestArgs = {
      acks: 1, timeout: 5000,
      topicData: [{ topic: 'a', partitions: [{ partition: 0, messages: [] }] }, { topic: 'b', partitions: [] }],
    };
    expect(encodeProduceRequest(args)).toBeInstanceOf(Buffer);
    const { want, got } = await compare(args);
    expect(got.equals(want)).toBe(true);
  });

  it('keeps the request object: apiKey, apiName, apiVersion', () => {
    const args: ProduceRequestArgs = { acks: 1, timeout: 1, topicData: [] };
    const a = original(args);
    const b = fast(args);
    expect([b.apiKey, b.apiName, b.apiVersion]).toEqual([a.apiKey, a.apiName, a.apiVersion]);
    expect([b.apiKey, b.apiName, b.apiVersion]).toEqual([0, 'Produce', 3]);
  });
});

describe('Produce request encoder: everything else goes to kafkajs unchanged', () => {
  const msgs = (): Array<Record<string, unknown>> => genMessages(rng(5), { messages: 30, keys: true, headers: 3 });

  it.each([
    ['gzip compression', { compression: 1 }, msgs()],
    ['a message with a numeric timestamp', {}, [...msgs(), { value: 'ts', timestamp: 1_600_000_000_000 }]],
    ['messages with string timestamps (the sink\'s timestampHeader)', {}, msgs().map((m, i) => ({ ...m, timestamp: String(1_600_000_000_000 + i * 7) }))],
    ['a Uint8Array value (not a Buffer)', {}, [{ value: new Uint8Array([1, 2, 3]) }]],
    ['producerEpoch null', { producerEpoch: null }, msgs()],
  ] as const)('%s: same bytes as kafkajs', async (_name, extra, messages) => {
    const args = { acks: -1, timeout: 30000, ...extra, topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }] } as ProduceRequestArgs;
    expect(encodeProduceRequest(args)).toBeUndefined(); // delegated
    const { want, got } = await compare(args);
    expect(got.equals(want)).toBe(true);
  });

  it.each([
    ['a null header value', [{ value: 'x', headers: { a: null } }]],
    ['null headers', [{ value: 'x', headers: null }]],
    ['a numeric key', [{ value: 'x', key: 5 }]],
    ['compression null (not None to kafkajs)', [{ value: 'x' }], { compression: null }],
  ] as ReadonlyArray<readonly [string, unknown[], Record<string, unknown>?]>)('%s: fails exactly as kafkajs does', async (_name, messages, extra) => {
    const args: ProduceRequestArgs = { acks: 1, timeout: 100, ...(extra as Record<string, unknown> | undefined), topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }] };
    expect(encodeProduceRequest(args)).toBeUndefined();
    const wantErr = await original(args).encode().then(() => undefined, (e: unknown) => e as Error);
    const gotErr = await fast(args).encode().then(() => undefined, (e: unknown) => e as Error);
    expect(wantErr).toBeInstanceOf(Error);
    expect(gotErr?.message).toBe(wantErr?.message);
  });
});

describe('installed by loadKafkaJs', () => {
  it('kafkajs\'s produce v3 module is the wrapper, and its v7 request (what Kafka 4.x gets) uses it', async () => {
    await loadKafkaJs();
    const v3 = req('kafkajs/src/protocol/requests/produce/v3/request.js') as ProduceRequestFactory;
    expect(v3).not.toBe(original);
    const produce = req('kafkajs/src/protocol/requests/produce/index.js') as {
      protocol: (a: { version: number }) => (args: ProduceRequestArgs) => { request: ReturnType<ProduceRequestFactory> };
    };
    const args: ProduceRequestArgs = {
      acks: -1, timeout: 30000,
      topicData: [{ topic: 'x', partitions: [{ partition: 2, messages: genMessages(rng(3), { messages: 10, headers: 2 }) }] }],
    };
    const { request } = produce.protocol({ version: 7 })(args);
    expect(request.apiVersion).toBe(7);
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    const got = Buffer.from((await request.encode()).buffer);
    const want = Buffer.from((await original(args).encode()).buffer);
    expect(got.equals(want)).toBe(true);
    // The installed path really is ours: kafkajs's encoder allocates its Encoders with spare room;
    // ours hands back a buffer of exactly the request's size.
    expect((await v3(args).encode()).buf.length).toBe(want.length);
  });
});

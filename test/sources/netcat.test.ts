import { afterEach, describe, expect, it } from 'vitest';
import memory, { MemoryChannel } from '../../src/channels/memory.js';
import type { Event } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import { DefaultChannelProcessor, replicatingSelector } from '../../src/engine/channel-processor.js';
import netcat, { NetcatSource } from '../../src/sources/netcat.js';
import { exchange } from '../helpers/netcat-client.js';

const running: NetcatSource[] = [];
afterEach(async () => { for (const s of running.splice(0)) await s.stop(); });

async function setup(srcProps: Record<string, string> = {}, chProps: Record<string, string> = { capacity: '1000', transactionCapacity: '1000' }) {
  const ch = buildComponent(memory, 'c1', chProps).instance as MemoryChannel;
  ch.start();
  const src = buildComponent(netcat, 'r1', { bind: '127.0.0.1', port: '0', ...srcProps }, { logger: new MemoryLogger() }).instance as NetcatSource;
  await src.start(new DefaultChannelProcessor(replicatingSelector([ch], []), [], new MemoryLogger()));
  running.push(src);
  return { ch, src, port: src.port! };
}

function drain(ch: MemoryChannel): Event[] {
  const out: Event[] = [];
  while (ch.size() > 0) {
    const tx = ch.createTransaction();
    tx.begin();
    for (let i = 0; i < ch.transactionCapacity; i++) {
      const e = tx.take();
      if (!e) break;
      out.push(e);
    }
    tx.commit();
    tx.close();
  }
  return out;
}

describe('netcat source', () => {
  it('turns each line into an event and replies OK per event', async () => {
    const { ch, port } = await setup();
    const r = await exchange(port, 'hello\nworld\n', 2);
    expect(r.replies).toEqual(['OK', 'OK']);
    expect(drain(ch).map((e) => e.body.toString())).toEqual(['hello', 'world']);
  });

  it.each([
    ['CR before LF is kept', 'a\r\n', ['a\r']],
    ['empty line gives an empty body', '\n', ['']],
    ['UTF-8 text is kept byte for byte', 'héllo ✓\n', ['héllo ✓']],
    ['no headers are added', 'x\n', ['x']],
  ])('%s', async (_name, input, bodies) => {
    const { ch, port } = await setup();
    await exchange(port, input, bodies.length);
    const events = drain(ch);
    expect(events.map((e) => e.body.toString('utf8'))).toEqual(bodies);
    expect(events.every((e) => Object.keys(e.headers).length === 0)).toBe(true);
  });

  it('Flume test vector: max-line-length=10 accepts 9 chars, rejects a long line and closes', async () => {
    const { ch, port } = await setup({ 'max-line-length': '10' });
    const ok = await exchange(port, '123456789\n', 1);
    expect(ok.replies).toEqual(['OK']);
    const bad = await exchange(port, 'x'.repeat(50) + '\n', 1, { timeoutMs: 3000 });
    expect(bad.replies).toEqual(['FAILED: Event exceeds the maximum length (10 chars, including newline)']);
    expect(drain(ch).map((e) => e.body.toString())).toEqual(['123456789']);
  });

  it('processes complete lines before an over-long one, then closes the connection', async () => {
    const { ch, port } = await setup({ 'max-line-length': '10' });
    const r = await exchange(port, 'ok1\nok2\n' + 'y'.repeat(30), 3, { timeoutMs: 3000 });
    expect(r.replies).toEqual(['OK', 'OK', 'FAILED: Event exceeds the maximum length (10 chars, including newline)']);
    expect(drain(ch)).toHaveLength(2);
  });

  it('counts max-line-length in characters, not bytes', async () => {
    const { ch, port } = await setup({ 'max-line-length': '5' });
    const r = await exchange(port, 'éééé\n', 1); // 4 chars, 8 bytes
    expect(r.replies).toEqual(['OK']);
    expect(drain(ch)[0]!.body.toString()).toBe('éééé');
  });

  it('replies FAILED with Flume\'s message when the channel is full', async () => {
    const { port } = await setup({}, { capacity: '1', transactionCapacity: '1', 'keep-alive': '0' });
    const r = await exchange(port, 'a\nb\n', 2);
    expect(r.replies[0]).toBe('OK');
    expect(r.replies[1]).toBe(
      "FAILED: Space for commit to queue couldn't be acquired. Sinks are likely not keeping up with sources, or the buffer size is too tight",
    );
  });

  it('ack-every-event=false sends no OK', async () => {
    const { ch, port } = await setup({ 'ack-every-event': 'false' });
    const r = await exchange(port, 'a\nb\n', 0, { end: true, timeoutMs: 1000 });
    expect(r.replies).toEqual([]);
    expect(drain(ch)).toHaveLength(2);
  });

  it('discards an unterminated fragment at EOF', async () => {
    const { ch, port } = await setup();
    await exchange(port, 'a\nfragment', 1, { end: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(drain(ch).map((e) => e.body.toString())).toEqual(['a']);
  });

  it('decodes UTF-16BE input and stores UTF-8 bodies', async () => {
    const { ch, port } = await setup({ encoding: 'UTF-16BE' });
    const b = Buffer.from('hé\n', 'utf16le').swap16();
    await exchange(port, b, 0, { timeoutMs: 500 });
    expect(drain(ch).map((e) => e.body.toString('utf8'))).toEqual(['hé']);
  });

  it('keeps per-connection order across many concurrent connections', async () => {
    const { ch, port } = await setup({}, { capacity: '100000', transactionCapacity: '1000' });
    const conns = 10;
    const per = 2000;
    const results = await Promise.all(
      Array.from({ length: conns }, (_, c) => {
        let s = '';
        for (let i = 0; i < per; i++) s += `c${c}-${i}\n`;
        return exchange(port, s, per, { timeoutMs: 20000 });
      }),
    );
    for (const r of results) expect(r.replies.filter((x) => x === 'OK')).toHaveLength(per);
    const events = drain(ch).map((e) => e.body.toString());
    expect(events).toHaveLength(conns * per);
    for (let c = 0; c < conns; c++) {
      const mine = events.filter((e) => e.startsWith(`c${c}-`)).map((e) => Number(e.split('-')[1]));
      expect(mine).toEqual(Array.from({ length: per }, (_, i) => i));
    }
  });

  it('refuses a missing bind/port with Flume-like messages', () => {
    expect(() => buildComponent(netcat, 'r1', { port: '1' })).toThrow(/required property 'bind' is missing/);
    expect(() => buildComponent(netcat, 'r1', { bind: 'x', port: 'abc' })).toThrow(/is not an integer/);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import memory, { MemoryChannel } from '../../src/channels/memory.js';
import type { Event } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import { DefaultChannelProcessor, replicatingSelector } from '../../src/engine/channel-processor.js';
import httpSrc, { HTTPSource, parseJsonEvents } from '../../src/sources/http.js';

const running: Array<{ stop(): unknown }> = [];
afterEach(async () => { for (const s of running.splice(0)) await s.stop(); });

async function setup(ch: Record<string, string> = { capacity: '1000', transactionCapacity: '1000' }) {
  const c = buildComponent(memory, 'c1', ch).instance as MemoryChannel;
  c.start();
  const src = buildComponent(httpSrc, 'r1', { bind: '127.0.0.1', port: '0' }, { logger: new MemoryLogger() }).instance as HTTPSource;
  await src.start(new DefaultChannelProcessor(replicatingSelector([c], []), [], new MemoryLogger()));
  running.push(src);
  return { c, src, url: `http://127.0.0.1:${src.port}/` };
}

function drain(ch: MemoryChannel): Event[] {
  const out: Event[] = [];
  const tx = ch.createTransaction();
  tx.begin();
  for (let e = tx.take(); e; e = tx.take()) out.push(e);
  tx.commit();
  tx.close();
  return out;
}

describe('http source (JSONHandler)', () => {
  it('200 and one batch per request: headers and bodies as sent', async () => {
    const { c, src, url } = await setup();
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ headers: { a: 'b', n: 1 }, body: 'hello' }, { body: 'world ✓' }, { headers: { only: 'h' } }]) });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('');
    const ev = drain(c);
    expect(ev.map((e) => [e.headers, e.body.toString()])).toEqual([[{ a: 'b', n: '1' }, 'hello'], [{}, 'world ✓'], [{ only: 'h' }, '']]);
    expect(src.counters.get('AppendBatchAcceptedCount')).toBe(1);
    expect(src.counters.get('EventAcceptedCount')).toBe(3);
  });

  it.each([
    ['not JSON', '{oops', 400, 'Bad request from client. Request has invalid JSON Syntax.'],
    ['an object instead of an array', '{"body":"x"}', 400, 'Bad request from client. Request has invalid JSON Syntax.'],
    ['a header value that is an object', '[{"headers":{"a":{"b":1}},"body":"x"}]', 400, 'Bad request from client. Request has invalid JSON Syntax.'],
    ['an empty request (Flume: NullPointerException)', '', 500, 'Deserializer threw unexpected exception. empty request: expected a JSON array of events'],
    ['null', 'null', 500, 'Deserializer threw unexpected exception. null request: expected a JSON array of events'],
    ['a null event', '[null]', 500, 'Deserializer threw unexpected exception. null event in the array'],
  ])('%s -> %i', async (_n, body, status, msg) => {
    const { c, src, url } = await setup();
    const r = await fetch(url, { method: 'POST', body });
    expect(r.status).toBe(status);
    expect((await r.text()).trim()).toBe(msg);
    expect(c.size()).toBe(0);
    expect(src.counters.get('EventReadFail')).toBe(1);
  });

  it('an empty array is a 200 with nothing put', async () => {
    const { c, url } = await setup();
    expect((await fetch(url, { method: 'POST', body: '[]' })).status).toBe(200);
    expect(c.size()).toBe(0);
  });

  it('503 when the channel is full (ChannelException), and nothing of the batch is kept', async () => {
    const { c, src, url } = await setup({ capacity: '3', transactionCapacity: '3', 'keep-alive': '0' });
    const ok = await fetch(url, { method: 'POST', body: JSON.stringify([{ body: '1' }, { body: '2' }]) });
    expect(ok.status).toBe(200);
    const r = await fetch(url, { method: 'POST', body: JSON.stringify([{ body: '3' }, { body: '4' }]) });
    expect(r.status).toBe(503);
    expect(await r.text()).toMatch(/^Error appending event to channel\. Channel might be full\./);
    expect(drain(c).map((e) => e.body.toString())).toEqual(['1', '2']);
    expect(src.counters.get('ChannelWriteFail')).toBe(1);
  });

  it('GET is handled as POST (no body: 500 as Flume); other methods get 405', async () => {
    const { c, url } = await setup();
    expect((await fetch(url, { method: 'PUT', body: '[]' })).status).toBe(405);
    expect((await fetch(url)).status).toBe(500);
    expect(c.size()).toBe(0);
  });

  it('unsupported request charset -> 500 (Flume: UnsupportedCharsetException)', async () => {
    const { url } = await setup();
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json; charset=ISO-8859-1' }, body: '[]' });
    expect(r.status).toBe(500);
    expect((await r.text()).trim()).toBe('Deserializer threw unexpected exception. JSON handler supports UTF-8, UTF-16 and UTF-32 only.');
  });

  it('parseJsonEvents: a null body or missing fields give empty values; numbers/booleans become strings', () => {
    expect(parseJsonEvents('[{"headers":{"b":true,"x":null},"body":null},{"body":5},{}]', 'utf8').map((e) => [e.headers, e.body.toString()]))
      .toEqual([[{ b: 'true' }, ''], [{}, '5'], [{}, '']]);
  });

  it.each([
    ['unknown handler', { port: '1', handler: 'org.apache.flume.source.http.BLOBHandler' }, /handler .* is not available/],
    ['ssl without keystore', { port: '1', ssl: 'true', 'keystore-type': 'PKCS12' }, /Keystore must be set/],
    ['ssl with a JKS keystore', { port: '1', ssl: 'true', keystore: '/x.jks' }, /keytool -importkeystore/],
    ['missing port', {}, /required property 'port'/],
  ])('validation: %s', (_n, props, msg) => {
    expect(() => buildComponent(httpSrc, 'r1', props)).toThrow(msg);
  });
});

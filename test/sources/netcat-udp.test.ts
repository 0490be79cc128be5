import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelProcessor } from '../../src/core/contracts.js';
import type { Event } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import netcatUdp, { NetcatUdpSource } from '../../src/sources/netcat-udp.js';

class Collect implements ChannelProcessor {
  events: Event[] = [];
  readonly maxBatchSize = 10000;
  async processEventBatch(e: Event[]): Promise<void> { this.events.push(...e); }
  processEvent(e: Event): Promise<void> { return this.processEventBatch([e]); }
}
const running: NetcatUdpSource[] = [];
afterEach(async () => { for (const s of running.splice(0)) await s.stop(); });

async function setup(props: Record<string, string> = {}) {
  const src = buildComponent(netcatUdp, 'r1', { bind: '127.0.0.1', port: '0', ...props }, { logger: new MemoryLogger() }).instance as NetcatUdpSource;
  const cp = new Collect();
  await src.start(cp);
  running.push(src);
  return { src, cp };
}
async function send(port: number, msgs: string[]): Promise<number> {
  const c = dgram.createSocket('udp4');
  await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
  for (const m of msgs) await new Promise<void>((r) => c.send(m, port, '127.0.0.1', () => r()));
  const p = c.address().port;
  c.close();
  return p;
}
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timeout'); await new Promise((r) => setTimeout(r, 10)); }
}

describe('netcatudp source', () => {
  it('one event per datagram; bytes after the first newline are dropped; no header by default', async () => {
    const { src, cp } = await setup();
    await send(src.port!, ['hello', 'two\nlines', 'trailing\n', '']);
    await until(() => cp.events.length === 4);
    expect(cp.events.map((e) => e.body.toString())).toEqual(['hello', 'two', 'trailing', '']);
    expect(cp.events.every((e) => Object.keys(e.headers).length === 0)).toBe(true);
  });
  it('remoteAddress names the header that receives /ip:port of the sender', async () => {
    const { src, cp } = await setup({ remoteAddress: 'sender' });
    const from = await send(src.port!, ['x']);
    await until(() => cp.events.length === 1);
    expect(cp.events[0]!.headers).toEqual({ sender: `/127.0.0.1:${from}` });
  });
  it('validation: port is required', () => {
    expect(() => buildComponent(netcatUdp, 'r1', {})).toThrow(/required property 'port'/);
  });
});

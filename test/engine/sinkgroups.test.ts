import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import memory, { MemoryChannel } from '../../src/channels/memory.js';
import { builtinRegistry } from '../../src/builtins.js';
import { loadConfig } from '../../src/config/load.js';
import type { Channel } from '../../src/core/contracts.js';
import { createEvent } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import type { ComponentSpec } from '../../src/core/spec.js';
import { Agent } from '../../src/engine/agent.js';
import { buildComponent } from '../../src/engine/build.js';
import { FailoverSinkProcessor, LoadBalancingSinkProcessor, type GroupMember } from '../../src/engine/sink-processors.js';
import { FlakySink, flakySinkSpec, flakyState, flakyStates } from './flaky.js';

beforeEach(() => flakyStates.clear());

function channelWith(n: number): MemoryChannel {
  const c = buildComponent(memory, 'c', { capacity: '100000', transactionCapacity: '100000' }).instance as MemoryChannel;
  c.start();
  const tx = c.createTransaction();
  tx.begin();
  for (let i = 0; i < n; i++) tx.put(createEvent(String(i)));
  tx.commit();
  tx.close();
  return c;
}
function members(ch: Channel, ...names: string[]): GroupMember[] {
  return names.map((n) => { const sink = new FlakySink(n, 10); sink.start(ch); return { name: n, sink, channel: ch }; });
}
const clock = { t: 1_000_000, now() { return this.t; } };

describe('failover sink processor', () => {
  beforeEach(() => { clock.t = 1_000_000; });

  it('the highest priority sink takes all traffic', async () => {
    const ch = channelWith(30);
    const p = new FailoverSinkProcessor(members(ch, 'k1', 'k2'), new Map([['priority.k1', '5'], ['priority.k2', '10']]), 30000, clock, new MemoryLogger());
    for (let i = 0; i < 3; i++) await p.process();
    expect(flakyState('k2').delivered).toHaveLength(30);
    expect(flakyState('k1').calls).toBe(0);
  });

  it('without priorities the first listed sink is the primary (decreasing negative priorities)', async () => {
    const ch = channelWith(10);
    const p = new FailoverSinkProcessor(members(ch, 'k1', 'k2'), new Map(), 30000, clock, new MemoryLogger());
    await p.process();
    expect(flakyState('k1').delivered).toHaveLength(10);
  });

  it('primary failing mid-stream: the same call moves to the backup, nothing lost; penalty 2 s then 4 s..., capped by maxpenalty', async () => {
    const ch = channelWith(100);
    const log = new MemoryLogger();
    const p = new FailoverSinkProcessor(members(ch, 'k1', 'k2'), new Map([['priority.k1', '10'], ['priority.k2', '5']]), 5000, clock, log);
    await p.process(); await p.process(); // 20 to k1
    flakyState('k1').failing = true;
    await p.process(); // k1 fails, k2 delivers the same batch
    expect(flakyState('k2').delivered).toEqual(['20', '21', '22', '23', '24', '25', '26', '27', '28', '29']);
    expect(log.lines.join('\n')).toMatch(/Sink k1 failed and has been sent to failover list/);
    clock.t += 1999;
    await p.process(); // k1 still penalised (2 s): k2
    expect(flakyState('k1').calls).toBe(3);
    clock.t += 2;
    await p.process(); // k1 retried, fails again -> penalty 4 s; k2 serves
    expect(flakyState('k1').calls).toBe(4);
    clock.t += 3999;
    await p.process();
    expect(flakyState('k1').calls).toBe(4);
    clock.t += 2;
    flakyState('k1').failing = false;
    await p.process(); // k1 recovered and is primary again
    await p.process();
    expect(flakyState('k1').delivered.length).toBe(40);
    const all = [...flakyState('k1').delivered, ...flakyState('k2').delivered].map(Number).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 80 }, (_, i) => i));
  });

  it('maxpenalty caps the penalty', async () => {
    const ch = channelWith(100);
    const p = new FailoverSinkProcessor(members(ch, 'k1', 'k2'), new Map(), 1500, clock, new MemoryLogger());
    flakyState('k1').failing = true;
    await p.process();
    flakyState('k1').failing = false;
    clock.t += 1501;
    await p.process();
    expect(flakyState('k1').delivered).toHaveLength(10);
  });

  it('all sinks failing: All sinks failed to process, nothing left to failover to; events stay in the channel', async () => {
    const ch = channelWith(5);
    const p = new FailoverSinkProcessor(members(ch, 'k1', 'k2'), new Map(), 30000, clock, new MemoryLogger());
    flakyState('k1').failing = true;
    flakyState('k2').failing = true;
    await expect(p.process()).rejects.toThrow('All sinks failed to process, nothing left to failover to');
    expect(ch.size()).toBe(5);
  });

  it('a duplicate priority drops the later sink with a warning', async () => {
    const ch = channelWith(5);
    const log = new MemoryLogger();
    const p = new FailoverSinkProcessor(members(ch, 'k1', 'k2'), new Map([['priority.k1', '1'], ['priority.k2', '1']]), 30000, clock, log);
    flakyState('k1').failing = true;
    await expect(p.process()).rejects.toThrow(/All sinks failed/);
    expect(flakyState('k2').calls).toBe(0);
    expect(log.lines.join('\n')).toMatch(/Sink k2 not added/);
  });
});

describe('load_balance sink processor', () => {
  beforeEach(() => { clock.t = 1_000_000; });

  it('round_robin: each call starts at the next sink', async () => {
    const ch = channelWith(90);
    const p = new LoadBalancingSinkProcessor(members(ch, 'k1', 'k2', 'k3'), 'round_robin', false, 30000, clock, new MemoryLogger());
    for (let i = 0; i < 9; i++) await p.process();
    expect(['k1', 'k2', 'k3'].map((n) => flakyState(n).delivered.length)).toEqual([30, 30, 30]);
    expect(flakyState('k1').delivered.slice(0, 10)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(flakyState('k2').delivered[0]).toBe('10');
    expect(flakyState('k3').delivered[0]).toBe('20');
  });

  it('random: every sink is used, roughly evenly', async () => {
    const ch = channelWith(3000);
    const p = new LoadBalancingSinkProcessor(members(ch, 'k1', 'k2', 'k3'), 'random', false, 30000, clock, new MemoryLogger());
    for (let i = 0; i < 300; i++) await p.process();
    for (const n of ['k1', 'k2', 'k3']) expect(flakyState(n).delivered.length).toBeGreaterThan(500);
  });

  it('a failing sink: the next sink takes the batch (no loss); without backoff it is tried again in every round it comes first', async () => {
    const ch = channelWith(60);
    const p = new LoadBalancingSinkProcessor(members(ch, 'k1', 'k2'), 'round_robin', false, 30000, clock, new MemoryLogger());
    flakyState('k1').failing = true;
    for (let i = 0; i < 6; i++) await p.process();
    expect(flakyState('k2').delivered).toHaveLength(60);
    // Rounds alternate their first sink: k1 is tried (and fails) in the rounds that start with it.
    expect(flakyState('k1').calls).toBe(3);
  });

  it('backoff: a failing sink is skipped for min(maxTimeOut, 2^n s), then tried again', async () => {
    const ch = channelWith(200);
    const p = new LoadBalancingSinkProcessor(members(ch, 'k1', 'k2'), 'round_robin', true, 30000, clock, new MemoryLogger());
    flakyState('k1').failing = true;
    for (let i = 0; i < 4; i++) await p.process();
    expect(flakyState('k1').calls).toBe(1);
    clock.t += 2001;
    for (let i = 0; i < 2; i++) await p.process();
    expect(flakyState('k1').calls).toBe(2); // retried once, failed again: now 4 s
    clock.t += 3000;
    for (let i = 0; i < 2; i++) await p.process();
    expect(flakyState('k1').calls).toBe(2);
    flakyState('k1').failing = false;
    clock.t += 1001;
    for (let i = 0; i < 4; i++) await p.process();
    expect(flakyState('k1').delivered.length).toBeGreaterThan(0);
    const all = [...flakyState('k1').delivered, ...flakyState('k2').delivered];
    expect(new Set(all).size).toBe(all.length);
  });

  it('selector.maxTimeOut caps the backoff', async () => {
    const ch = channelWith(200);
    const p = new LoadBalancingSinkProcessor(members(ch, 'k1', 'k2'), 'round_robin', true, 500, clock, new MemoryLogger());
    flakyState('k1').failing = true;
    await p.process();
    flakyState('k1').failing = false;
    clock.t += 501;
    for (let i = 0; i < 2; i++) await p.process();
    expect(flakyState('k1').delivered).toHaveLength(10);
  });

  it('all sinks failing: All configured sinks have failed', async () => {
    const ch = channelWith(5);
    const p = new LoadBalancingSinkProcessor(members(ch, 'k1', 'k2'), 'round_robin', false, 30000, clock, new MemoryLogger());
    flakyState('k1').failing = true;
    flakyState('k2').failing = true;
    await expect(p.process()).rejects.toThrow('All configured sinks have failed');
    expect(ch.size()).toBe(5);
  });
});

describe('sink groups in a running agent (real time)', () => {
  async function start(conf: string): Promise<Agent> {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-'));
    const f = path.join(dir, 'a.conf');
    writeFileSync(f, conf);
    const registry = builtinRegistry();
    registry.register(flakySinkSpec as unknown as ComponentSpec);
    const r = await loadConfig({ files: [f], agentName: 'a', registry });
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const agent = new Agent({ logger: new MemoryLogger(), retryMs: 200 });
    await agent.apply(r.plan!);
    return agent;
  }
  const until = async (cond: () => boolean, ms = 15000): Promise<void> => {
    const end = Date.now() + ms;
    while (!cond()) { if (Date.now() > end) throw new Error('timeout'); await new Promise((r) => setTimeout(r, 10)); }
  };
  const conf = (processor: string, total = 3000, delayMs = 2) => `a.sources = r
a.channels = c
a.sinks = k1 k2
a.sinkgroups = g
a.sources.r.type = seq
a.sources.r.totalEvents = ${total}
a.sources.r.batchSize = 10
a.sources.r.channels = c
a.channels.c.type = memory
a.channels.c.capacity = 100
a.channels.c.transactionCapacity = 10
a.sinks.k1.type = test_flaky
a.sinks.k1.delayMs = ${delayMs}
a.sinks.k1.channel = c
a.sinks.k2.type = test_flaky
a.sinks.k2.delayMs = ${delayMs}
a.sinks.k2.channel = c
a.sinkgroups.g.sinks = k1 k2
${processor}
`;

  it('failover: the primary fails mid-stream, the backup takes over with no loss, the primary returns after maxpenalty', async () => {
    const agent = await start(conf('a.sinkgroups.g.processor.type = failover\na.sinkgroups.g.processor.priority.k1 = 10\na.sinkgroups.g.processor.priority.k2 = 5\na.sinkgroups.g.processor.maxpenalty = 1000', 6000, 5));
    const k1 = flakyState('k1');
    const k2 = flakyState('k2');
    await until(() => k1.delivered.length >= 500);
    expect(k2.delivered).toHaveLength(0);
    k1.failing = true;
    const failedAt = Date.now();
    await until(() => k2.delivered.length >= 300);
    k1.failing = false;
    const before = k1.delivered.length;
    await until(() => k1.delivered.length > before);
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(1000); // not before maxpenalty
    await until(() => k1.delivered.length + k2.delivered.length === 6000);
    await agent.shutdown();
    const all = [...k1.delivered, ...k2.delivered].map(Number).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 6000 }, (_, i) => i));
    expect(k1.delivered.length - before).toBeGreaterThan(0);
  });

  it('load_balance round_robin spreads the stream over both sinks, exactly once', async () => {
    const agent = await start(conf('a.sinkgroups.g.processor.type = load_balance\na.sinkgroups.g.processor.selector = round_robin', 2000));
    await until(() => flakyState('k1').delivered.length + flakyState('k2').delivered.length === 2000);
    await agent.shutdown();
    const [a, b] = [flakyState('k1').delivered, flakyState('k2').delivered];
    expect(a.length).toBeGreaterThan(400);
    expect(b.length).toBeGreaterThan(400);
    expect([...a, ...b].map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it('load_balance with backoff: a dead sink gets almost no calls, nothing is lost', async () => {
    flakyState('k1').failing = true;
    const agent = await start(conf('a.sinkgroups.g.processor.type = load_balance\na.sinkgroups.g.processor.backoff = true\na.sinkgroups.g.processor.selector.maxTimeOut = 10000', 1000));
    await until(() => flakyState('k2').delivered.length === 1000);
    await agent.shutdown();
    expect(flakyState('k1').calls).toBeLessThanOrEqual(2);
    expect(flakyState('k2').delivered.map(Number)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('Flume processor class names are accepted as processor.type', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-'));
    const f = path.join(dir, 'a.conf');
    writeFileSync(f, conf('a.sinkgroups.g.processor.type = org.apache.flume.sink.FailoverSinkProcessor'));
    const registry = builtinRegistry();
    registry.register(flakySinkSpec as unknown as ComponentSpec);
    const r = await loadConfig({ files: [f], agentName: 'a', registry });
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(r.plan!.sinkgroups.get('g')!.processor.get('type')).toBe('failover');
  });

  it.each([
    ['load_balance with one sink', 'a.sinkgroups.g.processor.type = load_balance', 'a.sinkgroups.g.sinks = k1', /cannot be used for a single sink/],
    ['unknown processor type', 'a.sinkgroups.g.processor.type = roundrobin', '', /unknown sink processor type 'roundrobin'/],
    ['unknown load_balance selector', 'a.sinkgroups.g.processor.type = load_balance\na.sinkgroups.g.processor.selector = weighted', '', /unknown sink selector 'weighted'/],
  ])('validation: %s', async (_n, line, sinks, msg) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-'));
    const f = path.join(dir, 'a.conf');
    writeFileSync(f, conf(line).replace('a.sinkgroups.g.sinks = k1 k2', sinks || 'a.sinkgroups.g.sinks = k1 k2'));
    const registry = builtinRegistry();
    registry.register(flakySinkSpec as unknown as ComponentSpec);
    const r = await loadConfig({ files: [f], agentName: 'a', registry });
    expect(r.problems.filter((p) => p.severity === 'error').map((p) => p.message).join('\n')).toMatch(msg);
  });
});

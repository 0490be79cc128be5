import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import memory, { MemoryChannel } from '../../src/channels/memory.js';
import { builtinRegistry } from '../../src/builtins.js';
import { loadConfig } from '../../src/config/load.js';
import type { Channel, Transaction } from '../../src/core/contracts.js';
import { ChannelException, ChannelFullException } from '../../src/core/errors.js';
import { createEvent, type Event } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import { DefaultChannelProcessor, multiplexingSelector, replicatingSelector } from '../../src/engine/channel-processor.js';
import regexFilter from '../../src/interceptors/regex-filter.js';
import staticI from '../../src/interceptors/static.js';

function mem(name: string, props: Record<string, string> = { capacity: '100', transactionCapacity: '100', 'keep-alive': '0' }): MemoryChannel {
  const c = buildComponent(memory, name, props).instance as MemoryChannel;
  c.start();
  return c;
}
function drain(ch: Channel): string[] {
  const tx = ch.createTransaction();
  tx.begin();
  const out: string[] = [];
  for (let e = tx.take(); e; e = tx.take()) out.push(e.body.toString());
  tx.commit();
  tx.close();
  return out;
}
/** A channel whose commits fail on demand (with a ChannelException or another error). */
function broken(inner: MemoryChannel, mode: { fail: 'none' | 'channel' | 'other' }): Channel {
  return new Proxy(inner, {
    get(t, p, r) {
      if (p === 'createTransaction') {
        return (): Transaction => {
          const tx = t.createTransaction();
          return new Proxy(tx, { get(tt, pp) {
            if (pp === 'commit') return () => {
              if (mode.fail === 'channel') throw new ChannelFullException('Space for commit to queue couldn\'t be acquired.');
              if (mode.fail === 'other') throw new Error('disk on fire');
              tt.commit();
            };
            const v = Reflect.get(tt, pp) as unknown;
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(tt) : v;
          } });
        };
      }
      if (p === 'toString') return () => `broken{name: ${t.name}}`;
      const v = Reflect.get(t, p, r) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}
const evs = (...b: Array<[string, Record<string, string>?]>): Event[] => b.map(([s, h]) => createEvent(s, { ...(h ?? {}) }));

describe('replicating selector', () => {
  it('every event to every channel', async () => {
    const [a, b] = [mem('a'), mem('b')];
    await new DefaultChannelProcessor(replicatingSelector([a, b], []), [], new MemoryLogger()).processEventBatch(evs(['1'], ['2']));
    expect([drain(a), drain(b)]).toEqual([['1', '2'], ['1', '2']]);
  });

  it('a required channel failure reaches the source; earlier required channels stay committed', async () => {
    const [a, bi] = [mem('a'), mem('b')];
    const mode = { fail: 'channel' as 'none' | 'channel' | 'other' };
    const b = broken(bi, mode);
    const c = mem('c');
    const cp = new DefaultChannelProcessor(replicatingSelector([a, b, c], []), [], new MemoryLogger());
    await expect(cp.processEventBatch(evs(['x']))).rejects.toBeInstanceOf(ChannelFullException);
    expect([drain(a), drain(bi), drain(c)]).toEqual([['x'], [], []]);
  });

  it('a non-channel error on a required channel is wrapped: Unable to put batch on required channel', async () => {
    const b = broken(mem('b'), { fail: 'other' });
    const cp = new DefaultChannelProcessor(replicatingSelector([b], []), [], new MemoryLogger());
    const err = await cp.processEventBatch(evs(['x'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelException);
    expect((err as Error).message).toMatch(/^Unable to put batch on required channel: broken\{name: b\}/);
  });

  it('selector.optional: an optional channel failure is only logged; the source sees success', async () => {
    const a = mem('a');
    const oi = mem('o');
    const o = broken(oi, { fail: 'channel' });
    const log = new MemoryLogger();
    const cp = new DefaultChannelProcessor(replicatingSelector([a, o], [o]), [], log);
    await expect(cp.processEventBatch(evs(['x']))).resolves.toBeUndefined();
    expect(drain(a)).toEqual(['x']);
    expect(log.lines.join('\n')).toMatch(/ERROR .*Unable to put batch on optional channel: broken\{name: o\}/);
  });

  it('a full required channel fails after keep-alive with Flume\'s message', async () => {
    const a = mem('a', { capacity: '1', transactionCapacity: '1', 'keep-alive': '0' });
    const cp = new DefaultChannelProcessor(replicatingSelector([a], []), [], new MemoryLogger());
    await cp.processEvent(createEvent('1'));
    await expect(cp.processEvent(createEvent('2'))).rejects.toThrow(/Space for commit to queue couldn't be acquired/);
  });
});

describe('multiplexing selector', () => {
  const setup = (optionalFail = false) => {
    const [us, eu, def, audit] = [mem('us'), mem('eu'), mem('def'), mem('audit')];
    const auditCh = optionalFail ? broken(audit, { fail: 'channel' }) : audit;
    const sel = multiplexingSelector({
      header: 'region',
      mapping: new Map([['US', [us]], ['EU', [eu]], ['BOTH', [us, eu]]]),
      optional: new Map([['EU', [auditCh, eu]]]),
      defaults: [def],
      allChannels: [us, eu, def, auditCh],
    });
    return { us, eu, def, audit, cp: new DefaultChannelProcessor(sel, [], new MemoryLogger()) };
  };
  it.each([
    ['mapped value', [['a', { region: 'US' }]], { us: ['a'], eu: [], def: [], audit: [] }],
    ['value mapped to two channels', [['b', { region: 'BOTH' }]], { us: ['b'], eu: ['b'], def: [], audit: [] }],
    ['unmapped value -> default', [['c', { region: 'APAC' }]], { us: [], eu: [], def: ['c'], audit: [] }],
    ['missing header -> default', [['d', {}]], { us: [], eu: [], def: ['d'], audit: [] }],
    ['blank header -> default', [['e', { region: '  ' }]], { us: [], eu: [], def: ['e'], audit: [] }],
    ['header values are case-sensitive', [['f', { region: 'us' }]], { us: [], eu: [], def: ['f'], audit: [] }],
    ['optional.<value> minus the required channels', [['g', { region: 'EU' }]], { us: [], eu: ['g'], def: [], audit: ['g'] }],
    ['one batch split by header, order kept per channel', [['1', { region: 'US' }], ['2', { region: 'EU' }], ['3', { region: 'US' }], ['4', {}]],
      { us: ['1', '3'], eu: ['2'], def: ['4'], audit: ['2'] }],
  ])('%s', async (_n, input, want) => {
    const s = setup();
    await s.cp.processEventBatch(evs(...(input as Array<[string, Record<string, string>]>)));
    expect({ us: drain(s.us), eu: drain(s.eu), def: drain(s.def), audit: drain(s.audit) }).toEqual(want);
  });
  it('optional channel failure is logged, required delivery stands', async () => {
    const s = setup(true);
    await s.cp.processEventBatch(evs(['g', { region: 'EU' }]));
    expect(drain(s.eu)).toEqual(['g']);
  });
  it('interceptors run before the selector (a static header routes the event)', async () => {
    const [us, def] = [mem('us'), mem('def')];
    const sel = multiplexingSelector({ header: 'region', mapping: new Map([['US', [us]]]), optional: new Map(), defaults: [def], allChannels: [us, def] });
    const chain = [buildComponent(regexFilter, 'f', { regex: 'keep' }).instance, buildComponent(staticI, 's', { key: 'region', value: 'US' }).instance];
    await new DefaultChannelProcessor(sel, chain, new MemoryLogger()).processEventBatch(evs(['keep 1'], ['drop 2'], ['keep 3', { region: 'EU' }]));
    expect([drain(us), drain(def)]).toEqual([['keep 1'], ['keep 3']]);
  });
});

describe('selector configuration (validate)', () => {
  const base = `a.sources = r
a.channels = c1 c2
a.sinks = k
a.sources.r.type = seq
a.sources.r.channels = c1 c2
a.channels.c1.type = memory
a.channels.c2.type = memory
a.sinks.k.type = null
a.sinks.k.channel = c1
`;
  async function load(extra: string) {
    const dir = mkdtempSync(path.join(tmpdir(), 'sel-'));
    const f = path.join(dir, 'a.conf');
    writeFileSync(f, base + extra);
    return loadConfig({ files: [f], agentName: 'a', registry: builtinRegistry() });
  }
  it('multiplexing is planned with header, mapping, optional and default', async () => {
    const r = await load(`a.sources.r.selector.type = multiplexing
a.sources.r.selector.header = state
a.sources.r.selector.mapping.CZ = c1
a.sources.r.selector.mapping.US = c1 c2
a.sources.r.selector.optional.CZ = c2
a.sources.r.selector.default = c2
`);
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const sel = r.plan!.sources.get('r')!.selector;
    expect(sel).toEqual({ type: 'multiplexing', header: 'state', mapping: new Map([['CZ', ['c1']], ['US', ['c1', 'c2']]]), optional: new Map([['CZ', ['c2']]]), defaults: ['c2'] });
  });
  it('selector.header defaults to flume.selector.header', async () => {
    const r = await load('a.sources.r.selector.type = multiplexing\na.sources.r.selector.default = c1\n');
    expect((r.plan!.sources.get('r')!.selector as { header: string }).header).toBe('flume.selector.header');
  });
  it('replicating selector.optional is planned; FQCN selector types are accepted', async () => {
    const r = await load('a.sources.r.selector.type = org.apache.flume.channel.ReplicatingChannelSelector\na.sources.r.selector.optional = c2\n');
    expect(r.plan!.sources.get('r')!.selector).toEqual({ type: 'replicating', optional: ['c2'] });
  });
  it.each([
    ['mapping to an unknown channel', 'a.sources.r.selector.mapping.X = c9', /Selector channel not found: c9/],
    ['default to an unknown channel', 'a.sources.r.selector.default = c9', /Selector channel not found: c9/],
    ['optional to an unknown channel', 'a.sources.r.selector.optional.X = c9', /Selector channel not found: c9/],
  ])('error: %s', async (_n, line, msg) => {
    const r = await load(`a.sources.r.selector.type = multiplexing\n${line}\n`);
    const errs = r.problems.filter((p) => p.severity === 'error');
    expect(errs.map((p) => p.message).join('\n')).toMatch(msg);
    expect(r.plan!.sources.has('r')).toBe(false);
  });
  it('a mapping with an empty value is ignored with a warning, as Flume ignores empty properties', async () => {
    const r = await load('a.sources.r.selector.type = multiplexing\na.sources.r.selector.mapping.X =\na.sources.r.selector.default = c1\n');
    expect(r.problems.filter((p) => p.severity === 'warning').map((p) => p.message).join('\n')).toMatch(/selector\.mapping\.X has an empty value/);
    expect((r.plan!.sources.get('r')!.selector as { mapping: Map<string, string[]> }).mapping.size).toBe(0);
  });
  it('unknown selector type is an error', async () => {
    const r = await load('a.sources.r.selector.type = load_balancer\n');
    expect(r.problems.some((p) => p.severity === 'error' && /unknown selector type/.test(p.message))).toBe(true);
  });
});

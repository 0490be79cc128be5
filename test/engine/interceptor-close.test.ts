/**
 * A stopped source closes the interceptors of its channel processor exactly once: at shutdown,
 * when a reload restarts or removes the source (the new instances stay open), when the source
 * never started, and when a reload and a shutdown stop it at the same time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../src/builtins.js';
import type { AgentPlan } from '../../src/config/validate.js';
import { loadConfig } from '../../src/config/load.js';
import type { Interceptor, Source } from '../../src/core/contracts.js';
import type { ComponentContext } from '../../src/core/context.js';
import type { Event } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { defineInterceptor, defineSource, type ComponentSpec, type PropsOf } from '../../src/core/spec.js';
import { Agent } from '../../src/engine/agent.js';

/** One created interceptor instance and what was done to it. */
interface Made { tag: string; intercepted: number; closes: number }
const made: Made[] = [];

const recordingProps = {
  tag: { type: 'string', default: '', description: 'Identifies the instance in the test.' },
  failClose: { type: 'boolean', default: false, description: 'close() throws.' },
} as const;
class RecordingInterceptor implements Interceptor {
  readonly rec: Made;
  constructor(private readonly failClose: boolean, tag: string) {
    this.rec = { tag, intercepted: 0, closes: 0 };
    made.push(this.rec);
  }
  intercept(events: Event[]): Event[] { this.rec.intercepted += events.length; return events; }
  close(): void {
    this.rec.closes++;
    if (this.failClose) throw new Error('close failed on purpose');
  }
}
const recordingSpec = defineInterceptor({
  kind: 'interceptor', type: 'test_recording', description: 'Records intercept and close calls.', properties: recordingProps,
  create: (ctx: ComponentContext<PropsOf<typeof recordingProps>>) => new RecordingInterceptor(ctx.props.failClose, ctx.props.tag),
});
const failingCreateSpec = defineInterceptor({
  kind: 'interceptor', type: 'test_failing_create', description: 'Its creation throws.', properties: {},
  create: (): Interceptor => { throw new Error('cannot create'); },
});
const brokenSpec = defineSource({
  kind: 'source', type: 'test_broken', description: 'A source whose start always fails.', properties: {},
  create: (): Source => ({ start: () => { throw new Error('cannot start'); }, stop: () => {} }),
});

const dirs: string[] = [];
let agent: Agent | undefined;
let log: MemoryLogger;
beforeEach(() => { made.length = 0; log = new MemoryLogger(); });
afterEach(async () => {
  await agent?.shutdown();
  agent = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function plan(conf: string): Promise<AgentPlan> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ic-'));
  dirs.push(dir);
  const f = path.join(dir, 'a.conf');
  writeFileSync(f, conf);
  const registry = builtinRegistry();
  registry.register(recordingSpec as unknown as ComponentSpec);
  registry.register(brokenSpec as unknown as ComponentSpec);
  registry.register(failingCreateSpec as unknown as ComponentSpec);
  const r = await loadConfig({ files: [f], agentName: 'a', registry });
  expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return r.plan!;
}

/** Source `src` (seq, `total` events) with interceptors i1 (recording), i2 (static, no close), i3 (recording). */
function source(src: string, gen: string, total = 5, extra = ''): string {
  return `a.sources.${src}.type = seq
a.sources.${src}.totalEvents = ${total}
a.sources.${src}.channels = c
a.sources.${src}.interceptors = i1 i2 i3
a.sources.${src}.interceptors.i1.type = test_recording
a.sources.${src}.interceptors.i1.tag = ${src}.i1.${gen}
a.sources.${src}.interceptors.i2.type = static
a.sources.${src}.interceptors.i3.type = test_recording
a.sources.${src}.interceptors.i3.tag = ${src}.i3.${gen}
${extra}`;
}
function conf(sources: string[], body: string, sinkBatch = 100): string {
  return `a.sources = ${sources.join(' ')}
a.channels = c
a.sinks = k
a.channels.c.type = memory
a.sinks.k.type = null
a.sinks.k.batchSize = ${sinkBatch}
a.sinks.k.channel = c
${body}`;
}

const closes = (): Record<string, number> => Object.fromEntries(made.map((m) => [m.tag, m.closes]));
const until = async (cond: () => boolean, ms = 10000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timeout'); await new Promise((r) => setTimeout(r, 10)); }
};
const errors = (): string[] => log.lines.filter((l) => l.startsWith('ERROR'));

describe('interceptors are closed when their source stops', () => {
  it('at shutdown: every interceptor with close() is closed once, after the events went through it', async () => {
    agent = new Agent({ logger: log });
    await agent.apply(await plan(conf(['r'], source('r', 'g1'))));
    await until(() => made.every((m) => m.intercepted === 5));
    expect(closes()).toEqual({ 'r.i1.g1': 0, 'r.i3.g1': 0 });
    await agent.shutdown();
    agent = undefined;
    expect(closes()).toEqual({ 'r.i1.g1': 1, 'r.i3.g1': 1 });
    expect(errors()).toEqual([]);
  });

  it('on reload: a restarted or removed source closes its old interceptors once; the new ones and untouched sources stay open', async () => {
    agent = new Agent({ logger: log });
    await agent.apply(await plan(conf(['r', 's'], source('r', 'g1') + source('s', 'g1'))));
    expect(closes()).toEqual({ 'r.i1.g1': 0, 'r.i3.g1': 0, 's.i1.g1': 0, 's.i3.g1': 0 });

    // r changes (batchSize): restarted with new interceptors; s is untouched.
    await agent.apply(await plan(conf(['r', 's'], source('r', 'g2', 5, 'a.sources.r.batchSize = 2\n') + source('s', 'g1'))));
    expect(closes()).toEqual({ 'r.i1.g1': 1, 'r.i3.g1': 1, 's.i1.g1': 0, 's.i3.g1': 0, 'r.i1.g2': 0, 'r.i3.g2': 0 });
    await until(() => made.filter((m) => m.tag.endsWith('g2')).every((m) => m.intercepted === 5));

    // Only the sink changes: no source restarts, no interceptor is closed or created.
    await agent.apply(await plan(conf(['r', 's'], source('r', 'g2', 5, 'a.sources.r.batchSize = 2\n') + source('s', 'g1'), 50)));
    expect(made).toHaveLength(6);
    expect(closes()).toEqual({ 'r.i1.g1': 1, 'r.i3.g1': 1, 's.i1.g1': 0, 's.i3.g1': 0, 'r.i1.g2': 0, 'r.i3.g2': 0 });

    // s is removed.
    await agent.apply(await plan(conf(['r'], source('r', 'g2', 5, 'a.sources.r.batchSize = 2\n'), 50)));
    expect(closes()).toEqual({ 'r.i1.g1': 1, 'r.i3.g1': 1, 's.i1.g1': 1, 's.i3.g1': 1, 'r.i1.g2': 0, 'r.i3.g2': 0 });

    await agent.shutdown();
    agent = undefined;
    expect(closes()).toEqual({ 'r.i1.g1': 1, 'r.i3.g1': 1, 's.i1.g1': 1, 's.i3.g1': 1, 'r.i1.g2': 1, 'r.i3.g2': 1 });
    expect(errors()).toEqual([]);
  });

  it('a reload and a shutdown stopping the same source at once close its interceptors once', async () => {
    agent = new Agent({ logger: log });
    await agent.apply(await plan(conf(['r', 's'], source('r', 'g1') + source('s', 'g1'))));
    const without = await plan(conf(['s'], source('s', 'g1')));
    await Promise.all([agent.apply(without), agent.shutdown()]);
    agent = undefined;
    expect(closes()).toEqual({ 'r.i1.g1': 1, 'r.i3.g1': 1, 's.i1.g1': 1, 's.i3.g1': 1 });
  });

  it('a source that never started still closes the interceptors it was given', async () => {
    agent = new Agent({ logger: log, retryMs: 60000 });
    await agent.apply(await plan(conf(['r'], source('r', 'g1').replace('a.sources.r.type = seq', 'a.sources.r.type = test_broken').replace('a.sources.r.totalEvents = 5\n', ''))));
    expect(errors().join('\n')).toMatch(/Unable to start Source r .*cannot start/);
    await agent.shutdown();
    agent = undefined;
    expect(closes()).toEqual({ 'r.i1.g1': 1, 'r.i3.g1': 1 });
  });

  it('a close() that throws is logged with the interceptor and source names; the others are still closed and the stop completes', async () => {
    agent = new Agent({ logger: log });
    await agent.apply(await plan(conf(['r'], source('r', 'g1', 5, 'a.sources.r.interceptors.i1.failClose = true\n'))));
    const { undrained } = await agent.shutdown();
    agent = undefined;
    expect(undrained).toBe(0);
    expect(closes()).toEqual({ 'r.i1.g1': 1, 'r.i3.g1': 1 });
    expect(errors()).toEqual([expect.stringMatching(/Error closing interceptor i1 of source r: close failed on purpose$/)]);
  });

  it('when a later interceptor cannot be created, the ones already created are closed', async () => {
    agent = new Agent({ logger: log });
    const body = source('r', 'g1').replace('a.sources.r.interceptors.i3.type = test_recording', 'a.sources.r.interceptors.i3.type = test_failing_create');
    const outcome = await agent.apply(await plan(conf(['r'], body))).then(() => 'applied', (e: unknown) => String(e));
    expect(outcome + '\n' + log.lines.join('\n')).toMatch(/cannot create/);
    expect(closes()).toEqual({ 'r.i1.g1': 1 });
  });
});

/**
 * The agent runtime: materialises a validated plan, starts channels → sinks → sources, applies
 * reloads by restarting only what changed, and shuts down gracefully (sources stop, channels
 * drain into the sinks within a bounded time, then sinks and channels stop).
 */
import type { AgentPlan, PlannedComponent, PlannedSource } from '../config/validate.js';
import type { Channel, Interceptor, Sink, SinkProcessor, Source } from '../core/contracts.js';
import { CounterRegistry } from '../core/counters.js';
import { errorMessage } from '../core/errors.js';
import { systemClock, type Clock } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { ChannelSpec, ComponentSpec } from '../core/spec.js';
import { createContext } from './build.js';
import { DefaultChannelProcessor, multiplexingSelector, replicatingSelector } from './channel-processor.js';
import { DefaultSinkProcessor, PollingRunner, Supervised } from './runners.js';
import { FailoverSinkProcessor, LoadBalancingSinkProcessor, type GroupMember } from './sink-processors.js';

export interface AgentOptions {
  logger: Logger;
  counters?: CounterRegistry;
  system?: ReadonlyMap<string, string>;
  clock?: Clock;
  /** Longest time a shutdown waits for channels to drain into sinks (default 30000 ms). */
  drainTimeoutMs?: number;
  /** Supervisor retry interval (Flume: 3000 ms). */
  retryMs?: number;
}

interface ChannelEntry { plan: PlannedComponent<ChannelSpec>; instance: Channel }
interface SinkUnit {
  key: string;
  signature: string;
  channels: string[];
  members: string[];
  processor: SinkProcessor;
  runner: PollingRunner;
  supervised: Supervised;
}
interface SourceEntry {
  plan: PlannedSource;
  instance: Source;
  runner?: PollingRunner;
  supervised: Supervised;
  started: boolean;
  /** The interceptors of the source's channel processor (closed once when the source stops). */
  interceptors: readonly Interceptor[];
  interceptorsClosed: boolean;
}

export class Agent {
  readonly counters: CounterRegistry;
  readonly channels = new Map<string, ChannelEntry>();
  readonly sinkUnits = new Map<string, SinkUnit>();
  readonly sources = new Map<string, SourceEntry>();
  /** Component instances by name (for tests and embedding). */
  readonly sinkInstances = new Map<string, Sink>();
  private readonly log: Logger;
  private readonly clock: Clock;
  name = '';

  constructor(private readonly opts: AgentOptions) {
    this.counters = opts.counters ?? new CounterRegistry();
    this.log = opts.logger;
    this.clock = opts.clock ?? systemClock;
  }

  private ctx<P>(kind: string, c: PlannedComponent<ComponentSpec>) {
    return createContext<P>({
      name: c.name, agent: this.name, type: c.typeName, props: c.props, raw: c.raw,
      logger: this.log.child(`${kind}.${c.name}`), clock: this.clock, counters: this.counters, system: this.opts.system,
    });
  }

  /** Initial start, or a reload: only components whose configuration changed are restarted. */
  async apply(plan: AgentPlan): Promise<void> {
    this.name = plan.name;
    // 1. Channel actions.
    const replaced = new Set<string>();
    const toReconfigure: Array<[ChannelEntry, PlannedComponent<ChannelSpec>]> = [];
    for (const [name, e] of this.channels) {
      const np = plan.channels.get(name);
      if (!np || np.spec !== e.plan.spec) replaced.add(name);
      else if (np.signature !== e.plan.signature) {
        if (e.instance.reconfigure) toReconfigure.push([e, np]);
        else replaced.add(name);
      }
    }
    // 2. Sink units (groups and ungrouped sinks).
    const grouped = new Set<string>();
    const wantedUnits = new Map<string, { members: string[]; group?: AgentPlan['sinkgroups'] extends Map<string, infer G> ? G : never; signature: string; channels: string[] }>();
    for (const g of plan.sinkgroups.values()) {
      for (const s of g.sinks) grouped.add(s);
      const members = g.sinks;
      const chans = members.map((s) => plan.sinks.get(s)!.channel);
      wantedUnits.set(`group:${g.name}`, { members, group: g, channels: chans, signature: JSON.stringify([g.signature, members.map((s) => plan.sinks.get(s)!.signature)]) });
    }
    for (const s of plan.sinks.values()) {
      if (grouped.has(s.name)) continue;
      wantedUnits.set(`sink:${s.name}`, { members: [s.name], channels: [s.channel], signature: s.signature });
    }
    const stopUnits = [...this.sinkUnits.values()].filter((u) => {
      const w = wantedUnits.get(u.key);
      return !w || w.signature !== u.signature || u.channels.some((c) => replaced.has(c));
    });
    const stopSources = [...this.sources.values()].filter((s) => {
      const np = plan.sources.get(s.plan.name);
      return !np || np.signature !== s.plan.signature || s.plan.channels.some((c) => replaced.has(c));
    });
    // 3. Stop: sources → sinks → channels.
    for (const s of stopSources) await this.stopSource(s);
    for (const u of stopUnits) await this.stopUnit(u);
    for (const name of replaced) {
      const e = this.channels.get(name)!;
      this.log.info(`Stopping Channel ${name}`);
      await e.instance.stop();
      this.channels.delete(name);
    }
    for (const [e, np] of toReconfigure) {
      this.log.info(`Reconfiguring Channel ${np.name}`);
      e.instance.reconfigure!(np.props);
      e.plan = np;
    }
    // 4. Start: channels → sinks → sources.
    for (const c of plan.channels.values()) {
      if (this.channels.has(c.name)) continue;
      const instance = c.spec.create(this.ctx('channel', c));
      this.log.info(`Starting Channel ${c.name}`);
      await instance.start();
      this.channels.set(c.name, { plan: c, instance });
    }
    for (const [key, w] of wantedUnits) {
      if (this.sinkUnits.has(key)) continue;
      await this.startUnit(key, w.members, w.group, w.signature, w.channels, plan);
    }
    for (const s of plan.sources.values()) {
      if (this.sources.has(s.name)) continue;
      await this.startSource(s);
    }
  }

  private async startUnit(
    key: string, members: string[], group: { name: string; processor: Map<string, string> } | undefined,
    signature: string, channels: string[], plan: AgentPlan,
  ): Promise<void> {
    const gm: GroupMember[] = [];
    for (const m of members) {
      const sp = plan.sinks.get(m)!;
      const sink = sp.spec.create(this.ctx('sink', sp));
      this.sinkInstances.set(m, sink);
      gm.push({ name: m, sink, channel: this.channels.get(sp.channel)!.instance });
    }
    let processor: SinkProcessor;
    const ptype = (group?.processor.get('type') ?? 'default').toLowerCase();
    const p = group?.processor ?? new Map<string, string>();
    const num = (k: string, d: number): number => { const v = p.get(k); return v !== undefined && /^\d+$/.test(v) ? Number(v) : d; };
    const glog = this.log.child(group ? `sinkgroup.${group.name}` : `sink.${members[0]}`);
    if (ptype === 'failover') processor = new FailoverSinkProcessor(gm, p, num('maxpenalty', 30000), this.clock, glog);
    else if (ptype === 'load_balance') {
      processor = new LoadBalancingSinkProcessor(gm, (p.get('selector') ?? 'round_robin').toLowerCase() === 'random' ? 'random' : 'round_robin',
        (p.get('backoff') ?? 'false').toLowerCase() === 'true', num('selector.maxTimeOut', 30000), this.clock, glog);
    } else processor = new DefaultSinkProcessor(gm[0]!.sink, gm[0]!.channel);
    const chs = gm.map((m) => m.channel);
    const runner = new PollingRunner(() => processor.process(), {
      name: key, logger: glog,
      waitForWork: (ms) => (chs.length === 1 ? chs[0]!.waitForEvents(ms) : Promise.race(chs.map((c) => c.waitForEvents(ms)))),
    });
    for (const m of members) this.log.info(`Starting Sink ${m}`);
    const supervised = new Supervised(`Sink ${members.join(',')}`, async () => { await processor.start(); runner.start(); }, glog, this.opts.retryMs);
    this.sinkUnits.set(key, { key, signature, channels, members, processor, runner, supervised });
    await supervised.begin();
  }

  private async stopUnit(u: SinkUnit): Promise<void> {
    for (const m of u.members) this.log.info(`Stopping Sink ${m}`);
    u.supervised.cancel();
    await u.runner.stop();
    if (u.supervised.started) {
      try { await u.processor.stop(); } catch (e) { this.log.error(`Error stopping sink ${u.members.join(',')}: ${errorMessage(e)}`); }
    }
    this.sinkUnits.delete(u.key);
    for (const m of u.members) this.sinkInstances.delete(m);
  }

  private async startSource(s: PlannedSource): Promise<void> {
    const instance = s.spec.create(this.ctx('source', s));
    const chans = s.channels.map((n) => this.channels.get(n)!.instance);
    const byName = (names: readonly string[]): Channel[] => names.filter((n) => this.channels.has(n)).map((n) => this.channels.get(n)!.instance);
    const selector = s.selector.type === 'replicating'
      ? replicatingSelector(chans, byName(s.selector.optional))
      : multiplexingSelector({
          header: s.selector.header,
          mapping: new Map([...s.selector.mapping].map(([k, v]) => [k, byName(v)])),
          optional: new Map([...s.selector.optional].map(([k, v]) => [k, byName(v)])),
          defaults: byName(s.selector.defaults),
          allChannels: chans,
        });
    const interceptors: Interceptor[] = [];
    try {
      for (const i of s.interceptors) interceptors.push(i.spec.create(this.ctx('interceptor', i)));
    } catch (e) {
      // The ones already built are closed: nothing else would close them.
      for (const [n, i] of interceptors.entries()) {
        try { i.close?.(); } catch (ce) { this.log.error(`Error closing interceptor ${s.interceptors[n]?.name ?? n} of source ${s.name}: ${errorMessage(ce)}`); }
      }
      throw e;
    }
    const slog = this.log.child(`source.${s.name}`);
    const processor = new DefaultChannelProcessor(selector, interceptors, slog);
    let runner: PollingRunner | undefined;
    if (instance.process) {
      const inc = Number(s.raw.get('backoffSleepIncrement') ?? 1000) || 1000;
      const max = Number(s.raw.get('maxBackoffSleep') ?? 5000) || 5000;
      const proc = instance.process.bind(instance);
      runner = new PollingRunner(proc, { name: s.name, logger: slog, waitForWork: () => new Promise(() => {}), backoffIncrementMs: inc, maxBackoffMs: max, errorSleepMs: max });
    }
    const entry: SourceEntry = { plan: s, instance, runner, started: false, supervised: undefined as unknown as Supervised, interceptors, interceptorsClosed: false };
    entry.supervised = new Supervised(`Source ${s.name}`, async () => {
      await instance.start(processor);
      entry.started = true;
      runner?.start();
    }, slog, this.opts.retryMs);
    this.log.info(`Starting Source ${s.name}`);
    this.sources.set(s.name, entry);
    await entry.supervised.begin();
  }

  private async stopSource(s: SourceEntry): Promise<void> {
    this.log.info(`Stopping Source ${s.plan.name}`);
    s.supervised.cancel();
    await s.runner?.stop();
    if (s.started) {
      try { await s.instance.stop(); } catch (e) { this.log.error(`Error stopping source ${s.plan.name}: ${errorMessage(e)}`); }
    }
    this.closeInterceptors(s);
    this.sources.delete(s.plan.name);
  }

  /**
   * Closes the interceptors of a stopped source (Flume: the source runner's stop closes the
   * channel processor's interceptor chain), once even when a reload and a shutdown both stop it.
   * A source that never started still closes them: they were created.
   */
  private closeInterceptors(s: SourceEntry): void {
    if (s.interceptorsClosed) return;
    s.interceptorsClosed = true;
    s.interceptors.forEach((i, n) => {
      if (!i.close) return;
      try { i.close(); } catch (e) {
        this.log.error(`Error closing interceptor ${s.plan.interceptors[n]?.name ?? n} of source ${s.plan.name}: ${errorMessage(e)}`);
      }
    });
  }

  /** Stops sources, drains channels into the sinks (bounded), stops sinks and channels. */
  async shutdown(): Promise<{ undrained: number }> {
    for (const s of [...this.sources.values()]) await this.stopSource(s);
    const deadline = Date.now() + (this.opts.drainTimeoutMs ?? 30000);
    const pending = (): number => [...this.channels.values()].reduce((n, c) => n + (c.instance.durable ? 0 : c.instance.size()), 0);
    while (pending() > 0 && Date.now() < deadline && this.sinkUnits.size > 0) {
      for (const u of this.sinkUnits.values()) u.runner.wake();
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const u of [...this.sinkUnits.values()]) await this.stopUnit(u);
    const undrained = pending();
    if (undrained > 0) this.log.warn(`${undrained} event(s) were still in memory channels at shutdown and are lost (drain timeout)`);
    for (const [name, c] of this.channels) {
      this.log.info(`Stopping Channel ${name}`);
      await c.instance.stop();
    }
    this.channels.clear();
    return { undrained };
  }
}

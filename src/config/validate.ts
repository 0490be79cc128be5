/**
 * Agent validation: turns Flume's configuration tree (tree.ts) into a plan of typed components,
 * checking everything before anything starts and reporting every problem at once.
 *
 * Default (strict): any error refuses the agent (exit 78). `lenient`: Flume's behaviour: the
 * broken component is dropped (and what depends on it), the same messages become warnings.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveProps, type RawProp } from './component-props.js';
import type { ConfigProblem } from './problems.js';
import type { Located, RawAgent, RawComponent } from './tree.js';
import { suggest, type ChannelSpec, type ComponentSpec, type InterceptorSpec, type SinkSpec, type SourceSpec } from '../core/spec.js';
import type { Registry } from '../engine/registry.js';
import { installSdkResolver } from '../engine/plugins.js';

export interface PlannedComponent<S extends ComponentSpec = ComponentSpec> {
  name: string;
  spec: S;
  typeName: string;
  props: Record<string, unknown>;
  raw: Map<string, string>;
  /** Stable text of everything that configures this component (reload compares it). */
  signature: string;
}

export interface PlannedSource extends PlannedComponent<SourceSpec> {
  channels: string[];
  selector:
    | { type: 'replicating'; optional: string[] }
    | { type: 'multiplexing'; header: string; mapping: Map<string, string[]>; optional: Map<string, string[]>; defaults: string[] };
  interceptors: PlannedComponent<InterceptorSpec>[];
}
export interface PlannedSink extends PlannedComponent<SinkSpec> { channel: string }
export interface PlannedSinkGroup {
  name: string;
  sinks: string[];
  processor: Map<string, string>;
  signature: string;
}

export interface AgentPlan {
  name: string;
  file: string;
  channels: Map<string, PlannedComponent<ChannelSpec>>;
  sources: Map<string, PlannedSource>;
  sinks: Map<string, PlannedSink>;
  sinkgroups: Map<string, PlannedSinkGroup>;
}

export interface ValidateOptions {
  registry: Registry;
  lenient?: boolean;
  /** Directory plugin module paths are resolved against (the config file's directory). */
  baseDir?: string;
}

function toRaw(c: RawComponent): Map<string, RawProp> {
  const m = new Map<string, RawProp>();
  for (const [k, l] of c.props) m.set(k, { value: l.value, file: l.file, line: l.line, key: l.key });
  return m;
}

function signatureOf(type: string, raw: ReadonlyMap<string, string>): string {
  return JSON.stringify([type, [...raw].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

const isModulePath = (t: string): boolean => /^(\.{1,2}\/|\/|file:)/.test(t) || /\.(m?js|cjs)$/.test(t);

/** Loads a plugin named by a module path in `type` and registers it. */
async function loadModuleType(
  kind: ComponentSpec['kind'], type: string, opts: ValidateOptions,
): Promise<ComponentSpec | string> {
  const url = type.startsWith('file:') ? type : pathToFileURL(path.resolve(opts.baseDir ?? process.cwd(), type)).href;
  let mod: Record<string, unknown>;
  installSdkResolver();
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    return `cannot load plugin module '${type}': ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }
  const cands = [mod.default, ...Object.values(mod)].flat() as unknown[];
  const spec = cands.find(
    (s): s is ComponentSpec => typeof s === 'object' && s !== null && (s as ComponentSpec).kind === kind && typeof (s as ComponentSpec).create === 'function',
  );
  if (!spec) return `plugin module '${type}' exports no ${kind} declaration (export default defineSource/defineSink/... )`;
  if (!opts.registry.resolve(kind, spec.type)) opts.registry.register(spec, type);
  return spec;
}

export async function resolveType(
  kind: ComponentSpec['kind'], type: string, opts: ValidateOptions,
): Promise<ComponentSpec | string> {
  const s = opts.registry.resolve(kind, type);
  if (s) return s;
  if (isModulePath(type)) return loadModuleType(kind, type, opts);
  const names = opts.registry.list(kind).map((x) => x.type);
  const hint = suggest(type, names);
  return `unknown ${kind} type '${type}'${hint ? `; did you mean '${hint}'?` : `; known types: ${names.join(', ')}`}`;
}

export async function validateAgent(agent: RawAgent, file: string, opts: ValidateOptions): Promise<{ plan: AgentPlan; problems: ConfigProblem[] }> {
  const problems: ConfigProblem[] = [];
  const plan: AgentPlan = { name: agent.name, file, channels: new Map(), sources: new Map(), sinks: new Map(), sinkgroups: new Map() };
  const dropped = new Set<string>();
  const compPath = (kind: string, name: string): string => `${agent.name}.${kind}s.${name}`;

  const plain = async <S extends ComponentSpec>(c: RawComponent, kind: S['kind'], whereAs?: string): Promise<PlannedComponent<S> | undefined> => {
    const where = whereAs ?? compPath(kind, c.name);
    if (!c.type) return undefined; // tree.ts reported it
    const r = await resolveType(kind, c.type.value, opts);
    if (typeof r === 'string') {
      problems.push({ severity: 'error', code: 'UNKNOWN_TYPE', file: c.type.file, line: c.type.line, component: where, key: c.type.key, value: c.type.value,
        message: r.startsWith('unknown') ? r.replace(/; did you mean.*$|; known types.*$/, '') : r,
        fix: r.includes('did you mean') ? r.slice(r.indexOf('did you mean')) : r.includes('known types') ? `use one of the ${r.slice(r.indexOf('known types'))}, a Flume class name, or a plugin module path` : 'check the plugin path and its exports' });
      return undefined;
    }
    const rp = resolveProps(r, toRaw(c), { component: where, type: c.type.value, file });
    problems.push(...rp.problems);
    const comp = { name: c.name, spec: r as S, typeName: c.type.value, props: rp.props, raw: rp.raw, signature: signatureOf(c.type.value, rp.raw) };
    if (rp.problems.some((p) => p.severity === 'error')) {
      // Keep it for the binding and batch-size checks of its neighbours (defaults in place of
      // the bad values), but it will not run.
      broken.add(comp);
    }
    return comp;
  };
  const broken = new Set<PlannedComponent>();
  // Every channel that could be resolved (broken ones too), for the checks of sources and sinks.
  const checkChannels = new Map<string, PlannedComponent<ChannelSpec>>();

  for (const c of agent.channels.values()) {
    const p = await plain<ChannelSpec>(c, 'channel');
    if (p) checkChannels.set(c.name, p);
    if (p && !broken.has(p)) plan.channels.set(c.name, p); else dropped.add(`channel:${c.name}`);
  }

  for (const c of agent.sinks.values()) {
    const p = await plain<SinkSpec>(c, 'sink');
    const ch = c.props.get('channel');
    if (!p || !ch) { dropped.add(`sink:${c.name}`); continue; }
    const chName = ch.value.trim();
    const chan = checkChannels.get(chName);
    if (!chan) { dropped.add(`sink:${c.name}`); continue; }
    if (!batchOk(p, chan, c, ch, 'sink') || broken.has(p) || !plan.channels.has(chName)) { dropped.add(`sink:${c.name}`); continue; }
    plan.sinks.set(c.name, { ...p, channel: chName, signature: p.signature + '|' + chName });
  }

  for (const c of agent.sources.values()) {
    const p = await plain<SourceSpec>(c, 'source');
    const chl = c.props.get('channels');
    if (!p || !chl) { dropped.add(`source:${c.name}`); continue; }
    const chans = chl.value.trim().split(/\s+/).filter((n) => checkChannels.has(n));
    if (chans.length === 0) { dropped.add(`source:${c.name}`); continue; }
    let ok = !broken.has(p);
    for (const n of chans) if (!batchOk(p, checkChannels.get(n)!, c, chl, 'source')) ok = false;
    if (chans.some((n) => !plan.channels.has(n))) ok = false;
    // Selector
    const selType = (c.props.get('selector.type')?.value ?? 'replicating').trim().toLowerCase();
    const split = (s: string | undefined): string[] => (s ?? '').trim().split(/\s+/).filter((x) => x !== '');
    let selector: PlannedSource['selector'];
    if (selType === 'replicating' || selType === 'org.apache.flume.channel.replicatingchannelselector') {
      selector = { type: 'replicating', optional: split(c.props.get('selector.optional')?.value) };
    } else if (selType === 'multiplexing' || selType === 'org.apache.flume.channel.multiplexingchannelselector') {
      const mapping = new Map<string, string[]>();
      const optional = new Map<string, string[]>();
      // Every name must be one of this source's channels (Flume: `Selector channel not found`).
      const known = (l: Located, list: string[]): void => {
        for (const n of list) if (!chans.includes(n) || !plan.channels.has(n)) { ok = false; problems.push(err(l, compPath('source', c.name), `Selector channel not found: ${n}`, `use one of the source's channels: ${chans.join(' ')}`, 'BAD_SELECTOR')); }
      };
      for (const [k, l] of c.props) {
        if (k.startsWith('selector.mapping.')) {
          const list = split(l.value);
          const v = k.slice('selector.mapping.'.length);
          if (list.length === 0) { ok = false; problems.push(err(l, compPath('source', c.name), `No channel configured for when header value is: ${v}`, `list one or more channels after ${l.key ?? k} or remove the line`, 'BAD_SELECTOR')); }
          known(l, list);
          mapping.set(v, list);
        } else if (k.startsWith('selector.optional.')) {
          const list = split(l.value);
          known(l, list);
          optional.set(k.slice('selector.optional.'.length), list);
        }
      }
      const defL = c.props.get('selector.default');
      if (defL) known(defL, split(defL.value));
      selector = { type: 'multiplexing', header: c.props.get('selector.header')?.value.trim() ?? 'flume.selector.header', mapping, optional, defaults: split(c.props.get('selector.default')?.value) };
    } else {
      const l = c.props.get('selector.type')!;
      problems.push(err(l, compPath('source', c.name), `unknown selector type '${l.value}'`, 'use replicating or multiplexing', 'BAD_SELECTOR'));
      dropped.add(`source:${c.name}`);
      continue;
    }
    // Interceptors
    const interceptors: PlannedComponent<InterceptorSpec>[] = [];
    for (const iname of split(c.props.get('interceptors')?.value)) {
      const sub: RawComponent = { name: iname, kind: 'source', props: new Map() };
      const prefix = `interceptors.${iname}.`;
      for (const [k, l] of c.props) if (k.startsWith(prefix)) sub.props.set(k.slice(prefix.length), l);
      const t = sub.props.get('type');
      if (!t) {
        const l = c.props.get('interceptors')!;
        problems.push(err(l, compPath('source', c.name), `Interceptor.Type not specified for ${iname}`, `add ${compPath('source', c.name)}.interceptors.${iname}.type = <type>`, 'MISSING_TYPE'));
        ok = false;
        continue;
      }
      sub.type = t;
      sub.props.delete('type');
      const ip = await plain<InterceptorSpec>(sub, 'interceptor', `${compPath('source', c.name)}.interceptors.${iname}`);
      if (!ip || broken.has(ip)) { ok = false; continue; }
      interceptors.push(ip);
    }
    if (!ok) { dropped.add(`source:${c.name}`); continue; }
    plan.sources.set(c.name, { ...p, channels: chans, selector, interceptors, signature: JSON.stringify([p.signature, chans]) + JSON.stringify([...c.props].filter(([k]) => k.startsWith('selector.') || k.startsWith('interceptors')).map(([k, l]) => [k, l.value])) });
  }

  for (const g of agent.sinkgroups.values()) {
    const sinksL = g.props.get('sinks');
    const sinks = (sinksL?.value ?? '').trim().split(/\s+/).filter((s) => plan.sinks.has(s));
    if (sinks.length === 0) continue;
    const processor = new Map<string, string>();
    for (const [k, l] of g.props) if (k.startsWith('processor.')) processor.set(k.slice('processor.'.length), l.value.trim());
    const PROCESSOR_FQCN: Record<string, string> = {
      'org.apache.flume.sink.defaultsinkprocessor': 'default', 'org.apache.flume.sink.failoversinkprocessor': 'failover',
      'org.apache.flume.sink.loadbalancingsinkprocessor': 'load_balance',
    };
    let ptype = (processor.get('type') ?? 'default').toLowerCase();
    if (PROCESSOR_FQCN[ptype]) { ptype = PROCESSOR_FQCN[ptype]!; processor.set('type', ptype); }
    const selL = g.props.get('processor.selector');
    if (ptype === 'load_balance' && selL && !['round_robin', 'random'].includes(selL.value.trim().toLowerCase())) {
      problems.push(err(selL, `${agent.name}.sinkgroups.${g.name}`, `unknown sink selector '${selL.value.trim()}'`, 'use round_robin or random (custom selector classes are not available)', 'UNKNOWN_TYPE'));
      continue;
    }
    if (!['default', 'failover', 'load_balance'].includes(ptype)) {
      const l = g.props.get('processor.type')!;
      problems.push(err(l, `${agent.name}.sinkgroups.${g.name}`, `unknown sink processor type '${l.value}'`, 'use default, failover or load_balance', 'UNKNOWN_TYPE'));
      continue;
    }
    if (ptype === 'load_balance' && sinks.length < 2) {
      problems.push(err(sinksL!, `${agent.name}.sinkgroups.${g.name}`, 'The LoadBalancingSinkProcessor cannot be used for a single sink.', 'list at least two sinks or use processor.type = default', 'BAD_SINKGROUP'));
      continue;
    }
    plan.sinkgroups.set(g.name, { name: g.name, sinks, processor, signature: JSON.stringify([sinks, [...processor]]) });
  }

  if (opts.lenient) for (const p of problems) if (p.severity === 'error') { p.severity = 'warning'; p.message += ' (component dropped, as Flume does)'; }
  return { plan, problems };

  function batchOk(p: PlannedComponent, chan: PlannedComponent<ChannelSpec>, c: RawComponent, at: Located, kind: 'source' | 'sink'): boolean {
    const bsKey = p.spec.batchSizeProperty;
    const txKey = chan.spec.transactionCapacityProperty;
    if (!bsKey || !txKey) return true;
    const bs = p.props[bsKey] as number | undefined;
    const tx = chan.props[txKey] as number | undefined;
    if (bs === undefined || tx === undefined || tx >= bs) return true;
    const l = c.props.get(bsKey) ?? at;
    problems.push({
      severity: 'error', code: 'BATCH_GT_TX_CAPACITY', file: l.file, line: l.line, component: compPath(kind, c.name), key: l.key, value: String(bs),
      message: kind === 'source'
        ? `Incompatible source and channel settings defined. source's batch size is greater than the channels transaction capacity. Source: ${c.name}, batch size = ${bs}, channel ${chan.name}, transaction capacity = ${tx}`
        : `Incompatible sink and channel settings defined. sink's batch size is greater than the channels transaction capacity. Sink: ${c.name}, batch size = ${bs}, channel ${chan.name}, transaction capacity = ${tx}`,
      fix: `lower ${bsKey} to <= ${tx} or raise ${agent.name}.channels.${chan.name}.${txKey}`,
    });
    return false;
  }
}

function err(l: Located, component: string, message: string, fix: string, code: string): ConfigProblem {
  return { severity: 'error', code, file: l.file, line: l.line, component, key: l.key, value: l.value, message, fix };
}

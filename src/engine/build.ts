/**
 * Creating component instances from a declaration + raw properties.
 */
import { resolveProps, type RawProp } from '../config/component-props.js';
import { formatProblem, type ConfigProblem } from '../config/problems.js';
import type { Channel, Interceptor, Sink, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { CounterGroup, CounterRegistry, type CounterType } from '../core/counters.js';
import { ConfigurationError } from '../core/errors.js';
import { systemClock, type Clock } from '../core/lifecycle.js';
import { ConsoleLogger, type Logger } from '../core/logger.js';
import type { ChannelSpec, ComponentSpec, InterceptorSpec, SinkSpec, SourceSpec } from '../core/spec.js';

export interface ContextOptions {
  name: string;
  agent: string;
  type: string;
  props: Record<string, unknown>;
  raw: ReadonlyMap<string, string>;
  logger: Logger;
  clock?: Clock;
  counters?: CounterRegistry;
  system?: ReadonlyMap<string, string>;
}

export function createContext<P>(o: ContextOptions): ComponentContext<P> {
  let group: CounterGroup | undefined;
  const registry = o.counters;
  return {
    name: o.name,
    agent: o.agent,
    type: o.type,
    props: o.props as P,
    raw: o.raw,
    logger: o.logger,
    clock: o.clock ?? systemClock,
    system: o.system ?? new Map(),
    counters<N extends string>(type: CounterType, names: readonly N[]): CounterGroup<N> {
      if (!group) {
        group = new CounterGroup<N>(type, o.name, names) as unknown as CounterGroup;
        registry?.add(group);
      }
      return group as unknown as CounterGroup<N>;
    },
    subProperties(prefix: string): Map<string, string> {
      const m = new Map<string, string>();
      for (const [k, v] of o.raw) if (k.startsWith(prefix)) m.set(k.slice(prefix.length), v);
      return m;
    },
  };
}

type InstanceOf<S> = S extends SourceSpec ? Source : S extends SinkSpec ? Sink : S extends ChannelSpec ? Channel : S extends InterceptorSpec ? Interceptor : never;

export interface BuildOptions {
  agent?: string;
  logger?: Logger;
  clock?: Clock;
  counters?: CounterRegistry;
  system?: ReadonlyMap<string, string>;
}

/**
 * Validates `raw` against `spec` and creates the component. Throws ConfigurationError listing
 * every error. Handy for tests and embedding: `buildComponent(memory, 'c1', { capacity: '1000' })`.
 */
export function buildComponent<S extends ComponentSpec>(
  spec: S,
  name: string,
  raw: Record<string, string> | ReadonlyMap<string, RawProp>,
  opts: BuildOptions = {},
): { instance: InstanceOf<S>; ctx: ComponentContext<Record<string, unknown>>; problems: ConfigProblem[] } {
  const rawMap: ReadonlyMap<string, RawProp> =
    raw instanceof Map ? raw : new Map(Object.entries(raw).map(([k, v]) => [k, { value: v }]));
  const r = resolveProps(spec, rawMap, { component: name, type: spec.type });
  const errors = r.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new ConfigurationError(errors.map(formatProblem).join('\n'));
  const ctx = createContext<Record<string, unknown>>({
    name, agent: opts.agent ?? 'agent', type: spec.type, props: r.props, raw: r.raw,
    logger: (opts.logger ?? ConsoleLogger.create('WARN')).child(name), clock: opts.clock, counters: opts.counters, system: opts.system,
  });
  const instance = (spec.create as (c: ComponentContext<Record<string, unknown>>) => unknown)(ctx) as InstanceOf<S>;
  return { instance, ctx, problems: r.problems };
}

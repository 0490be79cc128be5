import type { Clock } from './lifecycle.js';
import type { CounterGroup, CounterType } from './counters.js';
import type { Logger } from './logger.js';

/** Everything a component gets at creation. */
export interface ComponentContext<P> {
  /** Component name from the config (e.g. `netcat_source`). */
  readonly name: string;
  /** Agent name (e.g. `agent1`). */
  readonly agent: string;
  /** The `type` value as written in the config. */
  readonly type: string;
  /** Typed, validated properties with defaults applied. */
  readonly props: P;
  /** Every property of the component as written (keys relative to the component prefix). */
  readonly raw: ReadonlyMap<string, string>;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Creates (or returns) this component's counter group with Flume's attribute names. */
  counters<N extends string>(type: CounterType, names: readonly N[]): CounterGroup<N>;
  /** Sub-properties under a prefix, prefix removed (Flume's Context.getSubProperties). */
  subProperties(prefix: string): Map<string, string>;
  /** Agent-wide settings: the -D system properties and the agent's working options. */
  readonly system: ReadonlyMap<string, string>;
}

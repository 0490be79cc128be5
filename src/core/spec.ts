/**
 * Component declarations. Each component declares its properties ONCE; validation, defaults,
 * error messages, `tsagent describe` and the typed `props` object handed to `create()` all come
 * from that declaration.
 */
import type { ConfigProblem } from '../config/problems.js';
import type { Channel, Interceptor, Sink, Source } from './contracts.js';
import type { ComponentContext } from './context.js';

export type ComponentKind = 'source' | 'channel' | 'sink' | 'interceptor' | 'sinkprocessor' | 'selector';

export type PropType = 'string' | 'integer' | 'number' | 'boolean' | 'enum' | 'list';

export interface PropDecl {
  readonly type: PropType;
  readonly description: string;
  /** Default as Flume applies it (typed). Absent + not required → undefined. */
  readonly default?: string | number | boolean | readonly string[];
  readonly required?: boolean;
  /** Allowed values for `enum` (compared case-insensitively, returned as declared). */
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Old Flume names accepted for this property, with a deprecation warning. */
  readonly deprecatedNames?: readonly string[];
  /**
   * What Flume does with a value that does not parse: 'drop' (the component is removed, the
   * default for numbers) or 'default' (Flume silently uses the default, e.g. keep-alive).
   */
  readonly onInvalid?: 'drop' | 'default';
  /** Accepted and documented but has no effect in tsagent (a warning says so when set). */
  readonly ignored?: string;
}

export type PropDecls = Readonly<Record<string, PropDecl>>;

type ValueOf<D extends PropDecl> = D['type'] extends 'integer' | 'number'
  ? number
  : D['type'] extends 'boolean'
    ? boolean
    : D['type'] extends 'list'
      ? string[]
      : D extends { values: readonly (infer V)[] }
        ? V
        : string;

/** The typed property object a component receives: defaults applied, values parsed. */
export type PropsOf<P extends PropDecls> = {
  -readonly [K in keyof P]: P[K] extends { default: unknown } | { required: true }
    ? ValueOf<P[K]>
    : ValueOf<P[K]> | undefined;
};

export interface PassThrough {
  /** Key prefix relative to the component, e.g. `kafka.producer.`. */
  readonly prefix: string;
  readonly description: string;
}

interface SpecBase<P extends PropDecls> {
  /** Short type name, e.g. `netcat`. Matched case-insensitively like Flume's enums. */
  readonly type: string;
  /** Other accepted type names, e.g. Flume FQCNs (matched exactly). */
  readonly aliases?: readonly string[];
  readonly description: string;
  readonly properties: P;
  /** Groups of keys accepted without declaration (copied to a client, e.g. `kafka.producer.`). */
  readonly passThrough?: readonly PassThrough[];
  /** Property whose value is this component's batch size (checked against transactionCapacity). */
  readonly batchSizeProperty?: keyof P & string;
  /** Property whose value is the channel's transaction capacity. */
  readonly transactionCapacityProperty?: keyof P & string;
  /** Cross-property checks after each property parsed; push problems (severity decides). */
  check?(props: PropsOf<P>, raw: ReadonlyMap<string, string>): Array<Omit<ConfigProblem, 'file' | 'line' | 'component' | 'type'>>;
}

export interface SourceSpec<P extends PropDecls = PropDecls> extends SpecBase<P> {
  readonly kind: 'source';
  create(ctx: ComponentContext<PropsOf<P>>): Source;
}
export interface ChannelSpec<P extends PropDecls = PropDecls> extends SpecBase<P> {
  readonly kind: 'channel';
  create(ctx: ComponentContext<PropsOf<P>>): Channel;
}
export interface SinkSpec<P extends PropDecls = PropDecls> extends SpecBase<P> {
  readonly kind: 'sink';
  create(ctx: ComponentContext<PropsOf<P>>): Sink;
}
export interface InterceptorSpec<P extends PropDecls = PropDecls> extends SpecBase<P> {
  readonly kind: 'interceptor';
  create(ctx: ComponentContext<PropsOf<P>>): Interceptor;
}

export type ComponentSpec = SourceSpec | ChannelSpec | SinkSpec | InterceptorSpec;

// Helpers that keep the literal types of the declaration (so PropsOf can infer).
export function defineSource<const P extends PropDecls>(spec: SourceSpec<P>): SourceSpec<P> { return spec; }
export function defineChannel<const P extends PropDecls>(spec: ChannelSpec<P>): ChannelSpec<P> { return spec; }
export function defineSink<const P extends PropDecls>(spec: SinkSpec<P>): SinkSpec<P> { return spec; }
export function defineInterceptor<const P extends PropDecls>(spec: InterceptorSpec<P>): InterceptorSpec<P> { return spec; }

// ---------------------------------------------------------------------------------------------
// Parsing values exactly as Flume's Context getters do.

export type ParseResult = { ok: true; value: string | number | boolean | string[] } | { ok: false; reason: string };

const INT_RE = /^[+-]?\d+$/;
const NUM_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?$/;

export function parseValue(decl: PropDecl, raw: string): ParseResult {
  const v = raw.trim();
  switch (decl.type) {
    case 'string':
      return { ok: true, value: raw };
    case 'integer': {
      // Integer.parseInt / Long.parseLong: optional sign, decimal digits only.
      if (!INT_RE.test(v)) return { ok: false, reason: 'is not an integer' };
      const n = Number(v);
      if (!Number.isSafeInteger(n)) return { ok: false, reason: 'is out of range' };
      return rangeCheck(decl, n);
    }
    case 'number': {
      if (!NUM_RE.test(v)) return { ok: false, reason: 'is not a number' };
      return rangeCheck(decl, Number(v.replace(/[fFdD]$/, '')));
    }
    case 'boolean':
      // Boolean.parseBoolean: only "true" (any case) is true; everything else is false.
      return { ok: true, value: v.toLowerCase() === 'true' };
    case 'enum': {
      const values = decl.values ?? [];
      const hit = values.find((x) => x.toLowerCase() === v.toLowerCase());
      if (hit === undefined) return { ok: false, reason: `is not one of ${values.join(', ')}` };
      return { ok: true, value: hit };
    }
    case 'list':
      return { ok: true, value: v === '' ? [] : v.split(/\s+/) };
  }
}

function rangeCheck(decl: PropDecl, n: number): ParseResult {
  if (decl.min !== undefined && n < decl.min) return { ok: false, reason: `must be >= ${decl.min}` };
  if (decl.max !== undefined && n > decl.max) return { ok: false, reason: `must be <= ${decl.max}` };
  return { ok: true, value: n };
}

export function describeDefault(decl: PropDecl): string {
  if (decl.required) return '(required)';
  if (decl.default === undefined) return '-';
  return Array.isArray(decl.default) ? decl.default.join(' ') : String(decl.default);
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n]!;
}

/** Best suggestion among candidates for a mistyped key (also catches a wrong/extra prefix). */
export function suggest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const lk = key.toLowerCase();
  for (const c of candidates) {
    const lc = c.toLowerCase();
    let d = editDistance(lk, lc);
    // `kafka.flumeBatchSize` vs `flumeBatchSize`: the key ends with a candidate after a dot.
    if (lk.endsWith('.' + lc) || lc.endsWith('.' + lk)) d = Math.min(d, 1);
    if (d < bestD) { bestD = d; best = c; }
  }
  if (best === undefined) return undefined;
  return bestD <= Math.max(2, Math.floor(best.length / 4)) ? best : undefined;
}

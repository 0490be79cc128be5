/**
 * Validates one component's properties against its declaration (the single source of truth)
 * and produces the typed props object with defaults applied. Used by the agent validator, by
 * `tsagent describe`, and by tests that build a component directly.
 */
import type { ConfigProblem } from './problems.js';
import { parseValue, suggest, type ComponentSpec, type PropDecl } from '../core/spec.js';

export interface RawProp {
  value: string;
  file?: string;
  line?: number;
  /** Full key as written, e.g. `agent1.sinks.k1.kafka.topic`. */
  key?: string;
}

/** Keys handled by the engine rather than by the component itself. */
const ENGINE_KEYS: Record<ComponentSpec['kind'], { exact: string[]; prefixes: string[] }> = {
  source: { exact: ['type', 'channels', 'interceptors', 'selector.type', 'selector.optional', 'selector.header', 'selector.default', 'selector.policy'], prefixes: ['interceptors.', 'selector.'] },
  sink: { exact: ['type', 'channel'], prefixes: [] },
  channel: { exact: ['type'], prefixes: [] },
  interceptor: { exact: ['type'], prefixes: [] },
};

export interface ResolvedProps {
  props: Record<string, unknown>;
  problems: ConfigProblem[];
  /** Raw values (keys relative to the component), after deprecated names were mapped. */
  raw: Map<string, string>;
}

export function resolveProps(
  spec: ComponentSpec,
  rawProps: ReadonlyMap<string, RawProp>,
  where: { component: string; type: string; file?: string },
): ResolvedProps {
  const problems: ConfigProblem[] = [];
  const props: Record<string, unknown> = {};
  const raw = new Map<string, string>();
  const decls = spec.properties as Record<string, PropDecl>;
  const names = Object.keys(decls);
  // Deprecated name → current name.
  const deprecated = new Map<string, string>();
  for (const n of names) for (const d of decls[n]!.deprecatedNames ?? []) deprecated.set(d, n);
  const engine = ENGINE_KEYS[spec.kind];
  const pass = spec.passThrough ?? [];

  const base = (rp: RawProp, key: string): Omit<ConfigProblem, 'severity' | 'code' | 'message'> => ({
    file: rp.file ?? where.file, line: rp.line, component: where.component, type: where.type, key: rp.key ?? key, value: rp.value,
  });

  for (const [key, rp] of rawProps) raw.set(key, rp.value);

  for (const [key, rp] of rawProps) {
    if (key in decls) continue;
    const cur = deprecated.get(key);
    if (cur !== undefined) {
      if (rawProps.has(cur)) {
        problems.push({ severity: 'warning', code: 'DEPRECATED_PROPERTY', ...base(rp, key),
          message: `'${key}' is deprecated and ignored because '${cur}' is also set`, fix: `remove '${key}'` });
      } else {
        problems.push({ severity: 'warning', code: 'DEPRECATED_PROPERTY', ...base(rp, key),
          message: `${key} is deprecated. Please use the parameter ${cur}`, fix: `rename it to '${cur}'` });
        raw.set(cur, rp.value);
      }
      continue;
    }
    if (engine.exact.includes(key) || engine.prefixes.some((p) => key.startsWith(p))) continue;
    if (pass.some((p) => key.startsWith(p.prefix))) continue;
    const candidates = [...names, ...pass.map((p) => `${p.prefix}<name>`)];
    const s = suggest(key, [...names, ...[...deprecated.keys()]]);
    problems.push({
      severity: 'warning', code: 'UNKNOWN_PROPERTY', ...base(rp, key),
      message: `unknown property '${key}' is ignored (Flume ignores it too)`,
      fix: s ? `did you mean '${s}'?` : `known properties: ${candidates.join(', ')}`,
    });
  }

  for (const n of names) {
    const d = decls[n]!;
    const value = raw.get(n);
    const rp = rawProps.get(n) ?? [...deprecated].filter(([, c]) => c === n).map(([o]) => rawProps.get(o)).find((x) => x !== undefined);
    if (value === undefined || (value.trim() === '' && d.type !== 'string')) {
      if (d.required) {
        problems.push({ severity: 'error', code: 'MISSING_PROPERTY', file: where.file, component: where.component, type: where.type, key: n,
          message: `required property '${n}' is missing`, fix: `add '${where.component}.${n} = <${d.type}>' (${d.description})` });
      }
      props[n] = d.default;
      continue;
    }
    if (d.ignored) {
      problems.push({ severity: 'warning', code: 'IGNORED_PROPERTY', ...base(rp ?? { value }, n), message: `'${n}' has no effect in tsagent: ${d.ignored}` });
    }
    const r = parseValue(d, value);
    if (r.ok) {
      props[n] = r.value;
    } else if (d.onInvalid === 'default') {
      props[n] = d.default;
      problems.push({ severity: 'warning', code: 'BAD_VALUE_DEFAULTED', ...base(rp ?? { value }, n),
        message: `'${value}' ${r.reason}; using the default ${String(d.default)}`, fix: `set ${n} to a valid ${d.type}` });
    } else {
      props[n] = d.default;
      problems.push({ severity: 'error', code: 'BAD_VALUE', ...base(rp ?? { value }, n),
        message: `value '${value}' of '${n}' ${r.reason}`,
        fix: d.values ? `use one of: ${d.values.join(', ')}` : `set ${n} to a valid ${d.type}${d.min !== undefined ? ` >= ${d.min}` : ''}${d.max !== undefined ? ` <= ${d.max}` : ''}` });
    }
  }

  if (spec.check && !problems.some((p) => p.severity === 'error')) {
    for (const p of spec.check(props as never, raw)) {
      const rp = p.key ? rawProps.get(p.key) : undefined;
      problems.push({ ...p, file: rp?.file ?? where.file, line: rp?.line, component: where.component, type: where.type });
    }
  }
  return { props, problems, raw };
}

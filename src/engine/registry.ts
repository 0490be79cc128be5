/**
 * Maps Flume type names (short names, case-insensitive like Flume's enums) and class names
 * (FQCNs, exact) to component declarations. Plugins register into the same registry.
 */
import type { ComponentSpec } from '../core/spec.js';

type Kind = ComponentSpec['kind'];

export class Registry {
  private readonly short = new Map<string, ComponentSpec>();
  private readonly exact = new Map<string, ComponentSpec>();
  private readonly specs: ComponentSpec[] = [];

  register(spec: ComponentSpec, origin = 'built-in'): void {
    const k = `${spec.kind}:${spec.type.toLowerCase()}`;
    const prev = this.short.get(k);
    if (prev && prev !== spec) throw new Error(`${origin}: ${spec.kind} type '${spec.type}' is already registered`);
    this.short.set(k, spec);
    for (const a of spec.aliases ?? []) this.exact.set(`${spec.kind}:${a}`, spec);
    this.specs.push(spec);
  }

  resolve(kind: Kind, type: string): ComponentSpec | undefined {
    const t = type.trim();
    return this.exact.get(`${kind}:${t}`) ?? this.short.get(`${kind}:${t.toLowerCase()}`);
  }

  /** Every registered declaration of a kind (for `describe` and suggestions). */
  list(kind?: Kind): ComponentSpec[] {
    return kind ? this.specs.filter((s) => s.kind === kind) : [...this.specs];
  }

  /** Finds a spec by any name across kinds (for `tsagent describe TYPE`). */
  find(type: string): ComponentSpec[] {
    const t = type.trim();
    return this.specs.filter(
      (s) => s.type.toLowerCase() === t.toLowerCase() || (s.aliases ?? []).includes(t),
    );
  }
}

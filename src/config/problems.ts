/**
 * Configuration problems. Every problem says where (file:line), what (component, key, value)
 * and how to fix it. Validation collects all problems before anything starts.
 */
export type Severity = 'error' | 'warning';

export interface ConfigProblem {
  severity: Severity;
  /** Stable code, e.g. UNKNOWN_PROPERTY, BAD_VALUE, MISSING_CHANNEL. */
  code: string;
  message: string;
  /** How to fix it (one sentence). */
  fix?: string;
  file?: string;
  line?: number;
  /** Component path such as `agent1.sources.r1`. */
  component?: string;
  /** Component type, e.g. `netcat`. */
  type?: string;
  key?: string;
  value?: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}` : ''} ` : '';
  const comp = p.component ? `${p.component}${p.type ? ` (${p.type})` : ''}: ` : '';
  const fix = p.fix ? `; ${p.fix}` : '';
  return `${where}${p.severity} ${comp}${p.message}${fix}`;
}

/** Collects problems; never throws. */
export class ProblemList {
  readonly items: ConfigProblem[] = [];
  add(p: ConfigProblem): void { this.items.push(p); }
  error(p: Omit<ConfigProblem, 'severity'>): void { this.items.push({ severity: 'error', ...p }); }
  warn(p: Omit<ConfigProblem, 'severity'>): void { this.items.push({ severity: 'warning', ...p }); }
  get errors(): ConfigProblem[] { return this.items.filter((p) => p.severity === 'error'); }
  get warnings(): ConfigProblem[] { return this.items.filter((p) => p.severity === 'warning'); }
}

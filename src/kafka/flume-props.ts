/**
 * Helpers shared by the Kafka sink and source: turning the client-mapping notes into config
 * problems (validation) and log lines (start).
 */
import type { ConfigProblem } from '../config/problems.js';
import type { Logger } from '../core/logger.js';
import type { MappingNote } from './properties.js';

type CheckProblem = Omit<ConfigProblem, 'file' | 'line' | 'component' | 'type'>;

/** Notes → validation problems (errors and warnings; INFO notes are only logged at start). */
export function notesToProblems(notes: readonly MappingNote[], prefix: string, raw: ReadonlyMap<string, string>): CheckProblem[] {
  const out: CheckProblem[] = [];
  for (const n of notes) {
    if (n.level === 'info') continue;
    // Point at a line that exists: a missing sasl.* key is reported on security.protocol's line.
    let key = prefix + n.key;
    if (!raw.has(key) && raw.has(`${prefix}security.protocol`)) key = `${prefix}security.protocol`;
    // Messages name keys relative to the pass-through prefix; show the full key as written.
    const message = n.message.startsWith(n.key) ? prefix + n.message : n.message;
    const p: CheckProblem = {
      severity: n.level === 'error' ? 'error' : 'warning',
      code: n.level === 'error' ? 'KAFKA_CLIENT_PROPERTY' : 'KAFKA_CLIENT_UNSUPPORTED',
      key, message,
    };
    const v = raw.get(key);
    if (v !== undefined) p.value = n.key.includes('password') || n.key.includes('jaas') ? '<hidden>' : v;
    if (n.fix !== undefined) p.fix = n.fix;
    out.push(p);
  }
  return out;
}

/** Logs the notes once at start (warnings: WARN, moot keys: INFO). */
export function logNotes(logger: Logger, notes: readonly MappingNote[], prefix: string): void {
  for (const n of notes) {
    const line = `${prefix}${n.key}: ${n.message}${n.fix ? `; ${n.fix}` : ''}`;
    if (n.level === 'info') logger.info(line);
    else if (n.level === 'warn') logger.warn(line);
    else logger.error(line);
  }
}

/**
 * Loading a configuration: read the file(s) (UTF-8 by default), substitute values as Flume
 * does, build Flume's agent tree, pick the agent, validate it against the registry.
 */
import path from 'node:path';
import { duplicateKeyProblems, mergeProperties, readPropertiesFile, type ParsedProperties } from './properties.js';
import type { ConfigProblem } from './problems.js';
import { applyConfigFilters, defaultSystemProperties, substituteProperties } from './substitute.js';
import { buildTree, selectAgent, type RawAgent } from './tree.js';
import { validateAgent, type AgentPlan } from './validate.js';
import type { Registry } from '../engine/registry.js';

export interface LoadOptions {
  files: readonly string[];
  agentName?: string;
  registry: Registry;
  system?: ReadonlyMap<string, string>;
  lenient?: boolean;
  encoding?: 'utf8' | 'latin1';
}

export interface Loaded {
  properties: ParsedProperties;
  agents: string[];
  agent?: RawAgent;
  plan?: AgentPlan;
  problems: ConfigProblem[];
  /** `<agent>.type` (e.g. `analyzer`) when the agent declares a non-Flume agent type. */
  agentType?: string;
}

export async function loadConfig(o: LoadOptions): Promise<Loaded> {
  const parsed = await Promise.all(o.files.map((f) => readPropertiesFile(f, { encoding: o.encoding })));
  const merged = parsed.length === 1 ? parsed[0]! : mergeProperties(parsed);
  const problems: ConfigProblem[] = [...merged.problems];
  if (problems.some((p) => p.code === 'CONFIG_FILE_UNREADABLE')) return { properties: merged, agents: [], problems };
  for (const p of parsed) problems.push(...duplicateKeyProblems(p));
  const sys = defaultSystemProperties();
  for (const [k, v] of o.system ?? []) sys.set(k, v);
  const envFallback = (sys.get('propertiesImplementation') ?? '').endsWith('EnvVarResolverProperties');
  const sub = substituteProperties(merged, { sys, envFallback });
  problems.push(...sub.problems);
  const filtered = await applyConfigFilters(sub.properties, { agents: o.agentName === undefined ? undefined : [o.agentName] });
  problems.push(...filtered.problems);
  const properties = filtered.properties;
  const tree = buildTree(properties);
  problems.push(...tree.problems);
  const agents = [...tree.agents.keys()];
  const out: Loaded = { properties, agents, problems };
  if (o.agentName === undefined) return out;
  const typeEntry = properties.map.get(`${o.agentName}.type`);
  if (typeEntry) {
    out.agentType = typeEntry.value.trim();
    // Not a Flume agent: Flume's key rules (e.g. empty values are dropped) do not apply to it.
    out.problems = problems.filter((p) => !(p.code === 'EMPTY_VALUE' && p.key?.startsWith(`${o.agentName}.`)));
    return out;
  }
  const sel = selectAgent(tree, o.agentName, properties.file);
  if ('problem' in sel) {
    problems.push(sel.problem);
    return out;
  }
  out.agent = sel.agent;
  const v = await validateAgent(sel.agent, properties.file, { registry: o.registry, lenient: o.lenient, baseDir: path.dirname(path.resolve(o.files[0]!)) });
  problems.push(...v.problems);
  // Structural errors of this agent from tree.ts also refuse it (lenient: downgrade them).
  if (o.lenient) for (const p of problems) if (p.severity === 'error' && isDroppable(p)) { p.severity = 'warning'; }
  out.plan = v.plan;
  return out;
}

/** Errors where Flume drops the component and runs on (everything except unreadable files). */
function isDroppable(p: ConfigProblem): boolean {
  // A malformed \uXXXX makes Java abort the whole load: Flume starts nothing, so never downgrade.
  return p.code !== 'CONFIG_FILE_UNREADABLE' && p.code !== 'NO_SUCH_AGENT' && p.code !== 'MALFORMED_UNICODE_ESCAPE';
}

export function hasErrors(problems: readonly ConfigProblem[], agentName?: string): boolean {
  return problems.some((p) => p.severity === 'error' && (agentName === undefined || p.component === undefined || p.component.startsWith(`${agentName}.`) || p.component === agentName));
}

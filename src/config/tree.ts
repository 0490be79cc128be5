/**
 * Flume's configuration model (FlumeConfiguration) built from parsed properties, with the
 * structural checks Flume does before it instantiates anything (flume-compat.md §1.3-1.5).
 *
 * Key model: `<agent>.<rest>`; `rest` is one of the lists `sources`, `channels`, `sinks`,
 * `sinkgroups`, `configfilters`, or `<sources|channels|sinks|sinkgroups|configfilters>.<name>.<key>`
 * (`<key>` may contain dots; names cannot). Keys and values are trimmed, empty values are ignored
 * (both as Flume does). Everything else is ignored by Flume with a warning.
 *
 * Severity: 'error' marks what Flume drops (a component, or the whole agent) and then runs on
 * without; 'warning' marks what Flume ignores or merely logs. Codes are listed in
 * TREE_PROBLEM_CODES; AGENT_INVALID_CODES are the errors for which Flume runs nothing at all.
 *
 * tsagent extension: an agent with `<agent>.type` (e.g. `analyzer`) is not a Flume agent: its keys
 * are collected in `other` and no Flume structural checks are made for it.
 */
import type { ConfigProblem } from './problems.js';
import type { ParsedProperties, PropertyEntry } from './properties.js';

export interface Located {
  /** Trimmed value (what Flume's components see). */
  value: string;
  /** Full key as written (trimmed). */
  key: string;
  file: string;
  line: number;
  /** The value as written in the file (before substitution and trimming), when different. */
  raw?: string;
}

export type ComponentKind = 'source' | 'channel' | 'sink' | 'sinkgroup';

export interface RawComponent {
  name: string;
  kind: ComponentKind;
  type?: Located;
  /** Every property of the component, keyed RELATIVE to `<agent>.<kind>s.<name>.` (`type`,
   * `port`, `kafka.topic`, `selector.type`, `interceptors.i1.type`, `channels`, ...). */
  props: Map<string, Located>;
  /** The list entry that names the component (`<agent>.sources = ...`); absent when unlisted. */
  listedAt?: Located;
  /** Names this component refers to: a source's `channels`, a sink's `channel`, a sinkgroup's
   * `sinks` (whitespace-split, de-duplicated, in order). */
  refs?: { names: string[]; at: Located };
}

export interface RawConfigFilter {
  name: string;
  type?: Located;
  props: Map<string, Located>;
  listedAt?: Located;
}

export type ListName = 'sources' | 'channels' | 'sinks' | 'sinkgroups' | 'configfilters';

export interface RawAgent {
  name: string;
  /** Listed components, in list order (properties of unlisted ones are in `unlisted`). */
  sources: Map<string, RawComponent>;
  channels: Map<string, RawComponent>;
  sinks: Map<string, RawComponent>;
  sinkgroups: Map<string, RawComponent>;
  configfilters: Map<string, RawConfigFilter>;
  lists: Partial<Record<ListName, Located>>;
  /** Components that have properties but are not listed (Flume ignores them). */
  unlisted: RawComponent[];
  /** Agent-level keys that are not part of Flume's model (warned about; for tsagent agents with
   * `<agent>.type`, all their keys). */
  other: Located[];
  /** tsagent extension: `<agent>.type` (e.g. `analyzer`); such agents are not Flume agents. */
  type?: Located;
  /** Components that Flume would drop during validation, as `<kind>:<name>` (e.g. `source:r1`). */
  dropped: Set<string>;
  /** True when Flume would consider the whole agent invalid (it then runs nothing). */
  invalid: boolean;
}

export interface ConfigTree {
  agents: Map<string, RawAgent>;
  problems: ConfigProblem[];
  /** File name used in messages (the properties' `file`). */
  file: string;
}

export const TREE_PROBLEM_CODES = {
  NO_AGENT_PREFIX: 'NO_AGENT_PREFIX',
  EMPTY_VALUE: 'EMPTY_VALUE',
  UNKNOWN_AGENT_PROPERTY: 'UNKNOWN_AGENT_PROPERTY',
  LIST_DUPLICATE: 'LIST_DUPLICATE',
  UNLISTED_COMPONENT: 'UNLISTED_COMPONENT',
  COMPONENT_NOT_CONFIGURED: 'COMPONENT_NOT_CONFIGURED',
  MISSING_TYPE: 'MISSING_TYPE',
  NO_CHANNELS: 'NO_CHANNELS',
  NO_VALID_CHANNELS: 'NO_VALID_CHANNELS',
  NO_SOURCES: 'NO_SOURCES',
  NO_SINKS: 'NO_SINKS',
  EMPTY_AGENT: 'EMPTY_AGENT',
  SOURCE_NO_CHANNELS: 'SOURCE_NO_CHANNELS',
  SINK_NO_CHANNEL: 'SINK_NO_CHANNEL',
  SINK_MULTIPLE_CHANNELS: 'SINK_MULTIPLE_CHANNELS',
  UNKNOWN_CHANNEL: 'UNKNOWN_CHANNEL',
  REFERENCES_DROPPED: 'REFERENCES_DROPPED',
  UNUSED_CHANNEL: 'UNUSED_CHANNEL',
  SINKGROUP_NO_SINKS: 'SINKGROUP_NO_SINKS',
  SINKGROUP_NO_PROCESSOR_TYPE: 'SINKGROUP_NO_PROCESSOR_TYPE',
  UNKNOWN_SINK: 'UNKNOWN_SINK',
  SINK_IN_TWO_GROUPS: 'SINK_IN_TWO_GROUPS',
  SINKGROUP_EMPTY: 'SINKGROUP_EMPTY',
  NO_SUCH_AGENT: 'NO_SUCH_AGENT',
  AGENT_NAME_TYPO: 'AGENT_NAME_TYPO',
} as const;

/** Errors after which Flume runs nothing of the agent (it logs and idles). */
export const AGENT_INVALID_CODES: ReadonlySet<string> = new Set(['NO_CHANNELS', 'NO_VALID_CHANNELS', 'EMPTY_AGENT']);

const LISTS: readonly ListName[] = ['sources', 'channels', 'sinks', 'sinkgroups', 'configfilters'];
const KIND_OF: Record<Exclude<ListName, 'configfilters'>, ComponentKind> = {
  sources: 'source',
  channels: 'channel',
  sinks: 'sink',
  sinkgroups: 'sinkgroup',
};
const PLURAL: Record<ComponentKind, Exclude<ListName, 'configfilters'>> = {
  source: 'sources',
  channel: 'channels',
  sink: 'sinks',
  sinkgroup: 'sinkgroups',
};

export interface BuildTreeOptions {
  /** Run the structural checks only for these agents (all agents are still parsed). Flume checks
   * every agent of the file and logs their errors; default: all agents. */
  agents?: readonly string[];
}

/**
 * The component path a key belongs to, for problem reports: `a1.sources.r1.port` ->
 * `a1.sources.r1`, `a1.foo` -> `a1`, `PROD_BIND` -> undefined.
 */
export function componentPathOf(key: string): string | undefined {
  const k = key.trim();
  const m = /^([^.]+)\.(sources|channels|sinks|sinkgroups|configfilters)\.([^.]+)\./.exec(k);
  if (m) return `${m[1]}.${m[2]}.${m[3]!.trim()}`;
  const dot = k.indexOf('.');
  return dot > 0 ? k.slice(0, dot) : undefined;
}

function levenshtein(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[n]!;
}

function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function newAgent(name: string): RawAgent {
  return {
    name,
    sources: new Map(),
    channels: new Map(),
    sinks: new Map(),
    sinkgroups: new Map(),
    configfilters: new Map(),
    lists: {},
    unlisted: [],
    other: [],
    dropped: new Set(),
    invalid: false,
  };
}

function locate(e: PropertyEntry, key: string, value: string): Located {
  const l: Located = { value, key, file: e.file, line: e.line };
  const asWritten = e.raw ?? e.value;
  if (asWritten !== value) l.raw = asWritten;
  return l;
}

/** Splits a list value like Flume (`\s+`; sinkgroups use single spaces), de-duplicating. */
function splitList(v: string, spacesOnly = false): { names: string[]; dups: string[] } {
  const parts = (spacesOnly ? v.split(' ') : v.split(/\s+/)).filter((x) => x !== '');
  const names: string[] = [];
  const dups: string[] = [];
  for (const p of parts) {
    if (names.includes(p)) dups.push(p);
    else names.push(p);
  }
  return { names, dups };
}

/**
 * Build the per-agent model and report structural problems (for every agent in the file; filter
 * by `component` prefix `<agent>.` or use selectAgent). Never throws.
 */
export function buildTree(props: ParsedProperties, opts: BuildTreeOptions = {}): ConfigTree {
  const problems: ConfigProblem[] = [];
  const agents = new Map<string, RawAgent>();
  // Collected component properties per agent, including unlisted components.
  const comps = new Map<string, Map<string, RawComponent>>(); // agent -> "<plural>.<name>" -> component
  const filterProps = new Map<string, Map<string, RawConfigFilter>>();

  // Winning entries (the last of each key), in file order.
  const lastIndex = new Map<string, number>();
  props.entries.forEach((e, i) => lastIndex.set(e.key, i));
  const winners = props.entries.filter((e, i) => lastIndex.get(e.key) === i);

  for (const e of winners) {
    const key = e.key.trim();
    const value = e.value.trim();
    const dot = key.indexOf('.');
    if (value === '') {
      const component = componentPathOf(key);
      problems.push({
        severity: 'warning',
        code: TREE_PROBLEM_CODES.EMPTY_VALUE,
        message: `${key} has an empty value; Flume ignores the property`,
        fix: 'give it a value or delete the line',
        file: e.file,
        line: e.line,
        ...(component ? { component } : {}),
        key,
        value: e.value,
      });
      continue;
    }
    if (dot <= 0 || dot === key.length - 1) {
      problems.push({
        severity: 'warning',
        code: TREE_PROBLEM_CODES.NO_AGENT_PREFIX,
        message:
          dot === -1
            ? `${key} has no agent prefix; Flume ignores it as a property (it can still be used as \${${key}})`
            : `${key} is not of the form <agent>.<key>; Flume ignores it`,
        fix: dot === -1 ? 'ignore this if it is only used in ${...}; otherwise prefix it with the agent name' : 'write <agent>.<key>, e.g. a1.sources = r1',
        file: e.file,
        line: e.line,
        key,
        value,
      });
      continue;
    }
    const agentName = key.slice(0, dot);
    const rest = key.slice(dot + 1);
    let agent = agents.get(agentName);
    if (!agent) {
      agent = newAgent(agentName);
      agents.set(agentName, agent);
      comps.set(agentName, new Map());
      filterProps.set(agentName, new Map());
    }
    const loc = locate(e, key, value);

    if ((LISTS as readonly string[]).includes(rest)) {
      agent.lists[rest as ListName] = loc;
      continue;
    }
    if (rest === 'type') {
      agent.type = loc;
      agent.other.push(loc);
      continue;
    }
    let matched = false;
    for (const list of LISTS) {
      const prefix = `${list}.`;
      if (!rest.startsWith(prefix)) continue;
      // Flume's parseConfigKey: the name runs to the next dot after at least one char
      const idx = rest.indexOf('.', prefix.length + 1);
      if (idx === -1) break;
      const name = rest.slice(prefix.length, idx).trim();
      const sub = rest.slice(idx + 1);
      if (name === '' || sub === '') break;
      matched = true;
      if (list === 'configfilters') {
        const fm = filterProps.get(agentName)!;
        let f = fm.get(name);
        if (!f) fm.set(name, (f = { name, props: new Map() }));
        f.props.set(sub, loc);
        if (sub === 'type') f.type = loc;
      } else {
        const cm = comps.get(agentName)!;
        const id = `${list}.${name}`;
        let c = cm.get(id);
        if (!c) cm.set(id, (c = { name, kind: KIND_OF[list], props: new Map() }));
        c.props.set(sub, loc);
        if (sub === 'type') c.type = loc;
      }
      break;
    }
    if (matched) continue;
    agent.other.push(loc);
  }

  // An "agent" with no lists whose name is close to a real agent is most likely a typo in the
  // agent prefix (`agnet.sources.r1.port`): report its keys against the real agent.
  const hasLists = (x: RawAgent): boolean => !!(x.lists.sources || x.lists.channels || x.lists.sinks || x.lists.sinkgroups);
  const realAgents = [...agents.values()].filter((x) => hasLists(x) && !x.type).map((x) => x.name);
  for (const agent of agents.values()) {
    if (!agent.type && !hasLists(agent)) {
      const near = closest(agent.name, realAgents);
      if (near !== undefined) {
        const keys: Located[] = [...Object.values(agent.lists), ...agent.other];
        for (const c of comps.get(agent.name)!.values()) keys.push(...c.props.values());
        for (const f of filterProps.get(agent.name)!.values()) keys.push(...f.props.values());
        keys.sort((x, y) => x.line - y.line);
        if (!opts.agents || opts.agents.includes(near)) {
          for (const l of keys) {
            problems.push({
              severity: 'warning',
              code: TREE_PROBLEM_CODES.AGENT_NAME_TYPO,
              message: `${l.key} belongs to an agent named '${agent.name}', not '${near}'; Flume does not apply it to ${near}`,
              fix: `did you mean ${near}${l.key.slice(agent.name.length)}?`,
              file: l.file,
              line: l.line,
              component: near,
              key: l.key,
              value: l.value,
            });
          }
        }
        fillWithoutChecks(agent, comps.get(agent.name)!, filterProps.get(agent.name)!);
        continue;
      }
    }
    if (agent.type) {
      // tsagent agent (e.g. analyzer): not a Flume agent; keep all its keys, check nothing.
      for (const c of comps.get(agent.name)!.values()) for (const l of c.props.values()) agent.other.push(l);
      agent.other.sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
      continue;
    }
    if (opts.agents && !opts.agents.includes(agent.name)) {
      fillWithoutChecks(agent, comps.get(agent.name)!, filterProps.get(agent.name)!);
      continue;
    }
    for (const l of agent.other) {
      problems.push(unknownAgentProperty(agent.name, l));
    }
    validateAgent(agent, comps.get(agent.name)!, filterProps.get(agent.name)!, problems);
  }
  return { agents, problems, file: props.file };
}

/** Lists -> component maps, without any problem reporting (agents not selected for checks). */
function fillWithoutChecks(agent: RawAgent, comps: Map<string, RawComponent>, filters: Map<string, RawConfigFilter>): void {
  validateAgent(agent, comps, filters, []);
}

function unknownAgentProperty(agent: string, l: Located): ConfigProblem {
  const rest = l.key.slice(agent.length + 1);
  const first = rest.split('.')[0]!;
  let fix: string;
  const seg = closest(first, ['sources', 'channels', 'sinks', 'sinkgroups', 'configfilters']);
  if ((LISTS as readonly string[]).includes(first)) {
    fix = `write ${agent}.${first}.<name>.<property> = ...`;
  } else if (seg) {
    fix = `did you mean ${agent}.${seg}${rest.slice(first.length)}?`;
  } else {
    fix = `Flume only understands ${agent}.sources/.channels/.sinks/.sinkgroups/.configfilters and their <name>.<property> keys`;
  }
  return {
    severity: 'warning',
    code: TREE_PROBLEM_CODES.UNKNOWN_AGENT_PROPERTY,
    message: `${l.key} is not a Flume agent property; Flume ignores it`,
    fix,
    file: l.file,
    line: l.line,
    component: agent,
    key: l.key,
    value: l.value,
  };
}

function validateAgent(
  agent: RawAgent,
  comps: Map<string, RawComponent>,
  filters: Map<string, RawConfigFilter>,
  problems: ConfigProblem[],
): void {
  const a = agent.name;
  const path = (kind: ComponentKind, name: string): string => `${a}.${PLURAL[kind]}.${name}`;
  const err = (
    code: string,
    at: Located | undefined,
    component: string,
    message: string,
    fix: string,
    extra: Partial<ConfigProblem> = {},
  ): void => {
    problems.push({
      severity: 'error',
      code,
      message,
      fix,
      component,
      ...(at ? { file: at.file, line: at.line, key: at.key, value: at.value } : {}),
      ...extra,
    });
  };
  const warn = (code: string, at: Located | undefined, component: string, message: string, fix: string): void => {
    const where = at ? {} : agentStart();
    err(code, at, component, message, fix, { severity: 'warning', ...where });
  };
  // file:line for agent-level problems that have no key of their own: the agent's first line
  const agentStart = (): Partial<ConfigProblem> => {
    const f = firstLine(agent);
    return f ? { file: f.file, line: f.line } : {};
  };
  const drop = (kind: ComponentKind, name: string): void => {
    agent.dropped.add(`${kind}:${name}`);
  };

  // Lists -> listed components.
  for (const list of ['sources', 'channels', 'sinks', 'sinkgroups'] as const) {
    const l = agent.lists[list];
    if (!l) continue;
    const { names, dups } = splitList(l.value, list === 'sinkgroups');
    for (const d of dups) {
      warn(TREE_PROBLEM_CODES.LIST_DUPLICATE, l, a, `${d} is listed twice in ${a}.${list}`, `remove the second ${d}`);
    }
    for (const name of names) {
      const kind = KIND_OF[list];
      const c = comps.get(`${list}.${name}`) ?? { name, kind, props: new Map<string, Located>() };
      c.listedAt = l;
      agent[list].set(name, c);
    }
  }
  for (const [id, c] of comps) {
    const list = id.slice(0, id.indexOf('.')) as Exclude<ListName, 'configfilters'>;
    if (agent[list].get(c.name) === c) continue;
    agent.unlisted.push(c);
    const first = [...c.props.values()].sort((x, y) => x.line - y.line)[0]!;
    const current = agent.lists[list]?.value;
    warn(
      TREE_PROBLEM_CODES.UNLISTED_COMPONENT,
      first,
      path(c.kind, c.name),
      `${c.kind} ${c.name} has properties but is not listed in ${a}.${list}; Flume ignores it`,
      current ? `add it to the list: ${a}.${list} = ${current} ${c.name}` : `add ${a}.${list} = ${c.name}`,
    );
  }
  // Config filters: listed ones are kept; properties of unlisted ones are warned about.
  const fl = agent.lists.configfilters;
  const fnames = fl ? splitList(fl.value).names : [];
  for (const name of fnames) {
    const f = filters.get(name) ?? { name, props: new Map<string, Located>() };
    f.listedAt = fl;
    agent.configfilters.set(name, f);
  }
  for (const f of filters.values()) {
    if (agent.configfilters.get(f.name) === f) continue;
    const first = [...f.props.values()].sort((x, y) => x.line - y.line)[0]!;
    warn(
      TREE_PROBLEM_CODES.UNLISTED_COMPONENT,
      first,
      `${a}.configfilters.${f.name}`,
      `config filter ${f.name} has properties but is not listed in ${a}.configfilters; Flume ignores it`,
      fl ? `add it to the list: ${a}.configfilters = ${fl.value} ${f.name}` : `add ${a}.configfilters = ${f.name}`,
    );
  }

  const hasType = (c: RawComponent, kind: Exclude<ComponentKind, 'sinkgroup'>, example: string): boolean => {
    if (c.props.size === 0) {
      err(
        TREE_PROBLEM_CODES.COMPONENT_NOT_CONFIGURED,
        c.listedAt,
        path(kind, c.name),
        `${kind} ${c.name} is listed in ${a}.${PLURAL[kind]} but has no properties; Flume drops it`,
        `add ${path(kind, c.name)}.type = ${example}, or remove ${c.name} from the list`,
      );
      return false;
    }
    if (!c.type) {
      const first = [...c.props.values()].sort((x, y) => x.line - y.line)[0];
      err(
        TREE_PROBLEM_CODES.MISSING_TYPE,
        first ?? c.listedAt,
        path(kind, c.name),
        `${kind} ${c.name} has no type; Flume drops it`,
        `add ${path(kind, c.name)}.type = ${example}`,
      );
      return false;
    }
    return true;
  };

  // Channels.
  const channelsList = agent.lists.channels;
  if (!channelsList || agent.channels.size === 0) {
    err(
      TREE_PROBLEM_CODES.NO_CHANNELS,
      channelsList,
      a,
      `agent ${a} has no channels (${a}.channels is missing); Flume marks the agent invalid and runs nothing`,
      `add ${a}.channels = c1 and ${a}.channels.c1.type = memory`,
      channelsList ? {} : agentStart(),
    );
    agent.invalid = true;
    for (const c of agent.channels.values()) drop('channel', c.name);
    for (const c of agent.sources.values()) drop('source', c.name);
    for (const c of agent.sinks.values()) drop('sink', c.name);
    for (const c of agent.sinkgroups.values()) drop('sinkgroup', c.name);
    return;
  }
  const validChannels = new Set<string>();
  for (const c of agent.channels.values()) {
    if (hasType(c, 'channel', 'memory')) validChannels.add(c.name);
    else drop('channel', c.name);
  }
  if (validChannels.size === 0) {
    err(
      TREE_PROBLEM_CODES.NO_VALID_CHANNELS,
      channelsList,
      a,
      `agent ${a} has no valid channel; Flume marks the agent invalid and runs nothing`,
      'fix the channel errors above',
    );
    agent.invalid = true;
    for (const c of agent.sources.values()) drop('source', c.name);
    for (const c of agent.sinks.values()) drop('sink', c.name);
    for (const c of agent.sinkgroups.values()) drop('sinkgroup', c.name);
    return;
  }
  const channelNames = [...agent.channels.keys()].join(' ');
  const usedChannels = new Set<string>();

  const checkChannelRef = (c: RawComponent, kind: 'source' | 'sink', ch: string, at: Located): boolean => {
    if (validChannels.has(ch)) return true;
    if (agent.channels.has(ch)) {
      err(
        TREE_PROBLEM_CODES.REFERENCES_DROPPED,
        at,
        path(kind, c.name),
        `channel ${ch} is invalid (see its error), so Flume does not connect ${kind} ${c.name} to it`,
        `fix channel ${ch}`,
      );
    } else {
      const hint = closest(ch, agent.channels.keys());
      err(
        TREE_PROBLEM_CODES.UNKNOWN_CHANNEL,
        at,
        path(kind, c.name),
        `channel ${ch} is not in ${a}.channels (${channelNames})`,
        hint ? `did you mean ${hint}?` : `add ${ch} to ${a}.channels or use one of: ${channelNames}`,
      );
    }
    return false;
  };

  // Sources.
  if (!agent.lists.sources) {
    warn(TREE_PROBLEM_CODES.NO_SOURCES, undefined, a, `agent ${a} has no sources (${a}.sources is missing)`, `add ${a}.sources = r1 if events should enter this agent`);
  }
  const validSources = new Set<string>();
  for (const c of agent.sources.values()) {
    if (!hasType(c, 'source', 'netcat')) {
      drop('source', c.name);
      continue;
    }
    const chl = c.props.get('channels');
    if (!chl) {
      err(
        TREE_PROBLEM_CODES.SOURCE_NO_CHANNELS,
        c.type,
        path('source', c.name),
        `source ${c.name} has no channels; Flume drops it`,
        `add ${path('source', c.name)}.channels = ${[...validChannels][0]}`,
      );
      drop('source', c.name);
      continue;
    }
    const { names, dups } = splitList(chl.value);
    c.refs = { names, at: chl };
    for (const d of dups) warn(TREE_PROBLEM_CODES.LIST_DUPLICATE, chl, path('source', c.name), `${d} is listed twice in ${chl.key}`, `remove the second ${d}`);
    let ok = 0;
    for (const ch of names) {
      if (checkChannelRef(c, 'source', ch, chl)) {
        ok++;
        usedChannels.add(ch);
      }
    }
    if (ok > 0) validSources.add(c.name);
    else drop('source', c.name);
  }

  // Sinks.
  if (!agent.lists.sinks) {
    warn(TREE_PROBLEM_CODES.NO_SINKS, undefined, a, `agent ${a} has no sinks (${a}.sinks is missing)`, `add ${a}.sinks = k1 if events should leave this agent`);
  }
  const validSinks = new Set<string>();
  for (const c of agent.sinks.values()) {
    if (!hasType(c, 'sink', 'logger')) {
      drop('sink', c.name);
      continue;
    }
    const ch = c.props.get('channel');
    if (!ch) {
      const plural = c.props.get('channels');
      err(
        TREE_PROBLEM_CODES.SINK_NO_CHANNEL,
        plural ?? c.type,
        path('sink', c.name),
        plural ? `sink ${c.name} sets "channels"; a sink reads from one channel set with "channel", so Flume drops it` : `sink ${c.name} has no channel; Flume drops it`,
        `add ${path('sink', c.name)}.channel = ${plural ? splitList(plural.value).names[0] ?? [...validChannels][0] : [...validChannels][0]}`,
      );
      drop('sink', c.name);
      continue;
    }
    const { names } = splitList(ch.value);
    c.refs = { names, at: ch };
    if (names.length > 1) {
      err(
        TREE_PROBLEM_CODES.SINK_MULTIPLE_CHANNELS,
        ch,
        path('sink', c.name),
        `sink ${c.name} names several channels; a sink reads from exactly one, so Flume drops it`,
        `keep one channel, e.g. ${ch.key} = ${names[0]}, and add a sink per extra channel`,
      );
      drop('sink', c.name);
      continue;
    }
    if (checkChannelRef(c, 'sink', ch.value, ch)) {
      validSinks.add(c.name);
      usedChannels.add(ch.value);
    } else drop('sink', c.name);
  }

  if (validSources.size === 0 && validSinks.size === 0) {
    const at = agent.lists.sources ?? agent.lists.sinks ?? channelsList;
    err(
      TREE_PROBLEM_CODES.EMPTY_AGENT,
      at,
      a,
      `agent ${a} has no valid source and no valid sink; Flume marks the agent invalid and runs nothing`,
      agent.sources.size + agent.sinks.size === 0 ? `add ${a}.sources and ${a}.sinks` : 'fix the source and sink errors above',
    );
    agent.invalid = true;
  }

  // Sink groups.
  const inGroup = new Map<string, string>();
  for (const g of agent.sinkgroups.values()) {
    const gp = `${a}.sinkgroups.${g.name}`;
    if (g.props.size === 0) {
      err(
        TREE_PROBLEM_CODES.COMPONENT_NOT_CONFIGURED,
        g.listedAt,
        gp,
        `sink group ${g.name} is listed in ${a}.sinkgroups but has no properties; Flume drops it`,
        `add ${gp}.sinks = k1 k2 and ${gp}.processor.type = failover, or remove ${g.name} from the list`,
      );
      drop('sinkgroup', g.name);
      continue;
    }
    const sl = g.props.get('sinks');
    if (!sl) {
      err(
        TREE_PROBLEM_CODES.SINKGROUP_NO_SINKS,
        [...g.props.values()].sort((x, y) => x.line - y.line)[0],
        gp,
        `sink group ${g.name} has no sinks (Flume fails on it)`,
        `add ${gp}.sinks = k1 k2`,
      );
      drop('sinkgroup', g.name);
      continue;
    }
    const { names, dups } = splitList(sl.value);
    g.refs = { names, at: sl };
    for (const d of dups) warn(TREE_PROBLEM_CODES.LIST_DUPLICATE, sl, gp, `${d} is listed twice in ${sl.key}`, `remove the second ${d}`);
    const kept: string[] = [];
    for (const s of names) {
      if (!validSinks.has(s)) {
        if (agent.sinks.has(s)) {
          err(TREE_PROBLEM_CODES.REFERENCES_DROPPED, sl, gp, `sink ${s} is invalid (see its error), so Flume leaves it out of group ${g.name}`, `fix sink ${s}`);
        } else {
          const hint = closest(s, agent.sinks.keys());
          err(
            TREE_PROBLEM_CODES.UNKNOWN_SINK,
            sl,
            gp,
            `sink ${s} is not in ${a}.sinks (${[...agent.sinks.keys()].join(' ')})`,
            hint ? `did you mean ${hint}?` : `add ${s} to ${a}.sinks or remove it from the group`,
          );
        }
        continue;
      }
      const other = inGroup.get(s);
      if (other !== undefined) {
        err(
          TREE_PROBLEM_CODES.SINK_IN_TWO_GROUPS,
          sl,
          gp,
          `sink ${s} is already in sink group ${other}; Flume leaves it out of ${g.name}`,
          `remove ${s} from one of the two groups`,
        );
        continue;
      }
      inGroup.set(s, g.name);
      kept.push(s);
    }
    if (kept.length === 0) {
      err(TREE_PROBLEM_CODES.SINKGROUP_EMPTY, sl, gp, `sink group ${g.name} has no usable sink; Flume drops the group`, 'fix the sink errors above');
      drop('sinkgroup', g.name);
      continue;
    }
    if (!g.props.get('processor.type')) {
      err(
        TREE_PROBLEM_CODES.SINKGROUP_NO_PROCESSOR_TYPE,
        sl,
        gp,
        `sink group ${g.name} has no processor.type; Flume cannot load the processor, drops the group and does not run its sinks (${kept.join(' ')})`,
        `add ${gp}.processor.type = failover (or load_balance, default)`,
      );
      drop('sinkgroup', g.name);
    }
  }

  for (const c of agent.channels.values()) {
    if (validChannels.has(c.name) && !usedChannels.has(c.name)) {
      warn(
        TREE_PROBLEM_CODES.UNUSED_CHANNEL,
        c.listedAt,
        path('channel', c.name),
        `channel ${c.name} is not used by any source or sink; Flume removes it`,
        `connect it (a source's channels or a sink's channel) or remove it from ${a}.channels`,
      );
    }
  }
}

function firstLine(agent: RawAgent): Located | undefined {
  const all: Located[] = [...Object.values(agent.lists), ...agent.other];
  for (const m of [agent.sources, agent.channels, agent.sinks, agent.sinkgroups]) for (const c of m.values()) all.push(...c.props.values());
  for (const c of agent.unlisted) all.push(...c.props.values());
  return all.sort((x, y) => x.line - y.line)[0];
}

/**
 * Pick the agent named by `-n`. When it does not exist, returns a problem naming the agents that
 * do (Flume logs "No configuration found for this host:<name>" and runs nothing).
 */
export function selectAgent(
  tree: ConfigTree,
  name: string,
  file: string = tree.file,
): { agent: RawAgent } | { problem: ConfigProblem } {
  const agent = tree.agents.get(name);
  if (agent) return { agent };
  const names = [...tree.agents.keys()];
  const hint = closest(name, names);
  return {
    problem: {
      severity: 'error',
      code: TREE_PROBLEM_CODES.NO_SUCH_AGENT,
      message: `No agent named '${name}' in ${file}; ${names.length ? `agents defined: ${names.join(', ')}` : 'the file defines no agents'}`,
      fix:
        names.length === 0
          ? 'keys must look like <agent>.sources = ..., <agent>.channels = ...'
          : hint
            ? `use -n ${hint}`
            : names.length === 1
              ? `use -n ${names[0]}`
              : `use -n with one of: ${names.join(', ')}`,
      file,
      component: name,
    },
  };
}

/**
 * Flume's value substitution (layer 2 of the config file, before Flume sees the values) and
 * Flume's config filters.
 *
 * Substitution, Flume 1.10/1.11 (`MapResolver` = Apache Commons Text `StringSubstitutor` over an
 * interpolator lookup), applied to every VALUE (keys are never substituted):
 * - `${env:NAME}` environment variable, `${sys:NAME}` JVM system property (tsagent: the `-D`
 *   flags, plus a few standard ones such as `user.home`), `${NAME}` another property of the file;
 * - `${a:-b}` default when `a` resolves to nothing; the default may itself contain `${...}`;
 * - nested: `${${sys:env}_BIND}` (the inner variable is resolved first);
 * - a resolved value is itself substituted again (recursive), cycles are detected;
 * - `$${x}` is the escape for a literal `${x}`;
 * - a prefixed lookup that finds nothing falls back to a property of that name
 *   (`${env:X}` with X unset resolves to the property `X` if there is one) - Commons Text's
 *   interpolator does this;
 * - anything unresolvable is left unchanged (we add a warning).
 *
 * ORDERING CHOICE (deliberate difference): Flume resolves the properties one at a time in
 * `Properties.stringPropertyNames()` order (hash order, different between Java 8 and 9+), and a
 * bare `${NAME}` only sees the properties resolved before it, so whether `${NAME}` resolves
 * depends on hash order. tsagent resolves a bare `${NAME}` against ALL properties of the
 * (merged) file, each resolved on demand, so the result is deterministic and is what the user
 * meant whenever Flume's result depends on luck. A reference cycle is reported as an error.
 *
 * Flume 1.9 (`-DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties`):
 * only `${NAME}` (`\w+`) is replaced by the environment variable, or by "" when unset
 * (`flavor: 'flume-1.9-env'`).
 *
 * Config filters (both versions): `<agent>.configfilters = f1`, `<agent>.configfilters.f1.type =
 * env | external | hadoop | <class>`; component values (sources, channels, sinks, sinkgroups of that
 * agent) may contain `${f1['KEY']}`, `${f1["KEY"]}` or `${f1[KEY]}` (KEY = `[-_a-zA-Z0-9]+`).
 * `env` reads the environment variable KEY; `external` runs `command` (split on whitespace, no
 * shell) with KEY as last argument and uses the first line of its output (`charset`, default
 * UTF-8); `hadoop` (Hadoop credential store) and custom classes are not supported by tsagent
 * (warning; values stay unchanged). When a filter yields nothing the text stays as it is.
 */
import { execFile } from 'node:child_process';
import { homedir, tmpdir, userInfo, EOL } from 'node:os';
import { delimiter, sep } from 'node:path';
import type { ConfigProblem } from './problems.js';
import type { ParsedProperties, PropertyEntry } from './properties.js';
import { componentPathOf } from './tree.js';

export const SUBSTITUTION_PROBLEM_CODES = {
  UNRESOLVED_VARIABLE: 'UNRESOLVED_VARIABLE',
  SUBSTITUTION_CYCLE: 'SUBSTITUTION_CYCLE',
  UNSUPPORTED_LOOKUP: 'UNSUPPORTED_LOOKUP',
  CONFIG_FILTER_UNSUPPORTED: 'CONFIG_FILTER_UNSUPPORTED',
  CONFIG_FILTER_INVALID: 'CONFIG_FILTER_INVALID',
  CONFIG_FILTER_FAILED: 'CONFIG_FILTER_FAILED',
  CONFIG_FILTER_NO_VALUE: 'CONFIG_FILTER_NO_VALUE',
  CONFIG_FILTER_UNKNOWN: 'CONFIG_FILTER_UNKNOWN',
} as const;

export type EnvLike = Readonly<Record<string, string | undefined>> | ReadonlyMap<string, string>;

export interface SubstitutionOptions {
  /** Environment variables; default `process.env`. */
  env?: EnvLike;
  /** JVM system properties from `-Dkey=value` (they override the built-in defaults). */
  sys?: ReadonlyMap<string, string>;
  /**
   * `flume-1.11` (default): Commons Text substitution as described above.
   * `flume-1.9-env`: Flume 1.9 with EnvVarResolverProperties (`${NAME}` -> env or "").
   * `none`: Flume 1.9 default, no substitution at all.
   */
  flavor?: 'flume-1.11' | 'flume-1.9-env' | 'none';
  /**
   * Flume 1.11 with `-DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties`:
   * a bare `${NAME}` that is not a property falls back to the environment variable.
   */
  envFallback?: boolean;
}

export interface SubstitutedProperties {
  /** Same shape as the input (new objects); entries whose value changed carry the original in
   * `raw`. `properties.problems` = input problems; `problems` = the new ones only. */
  properties: ParsedProperties;
  problems: ConfigProblem[];
}

function envGet(env: EnvLike, name: string): string | undefined {
  if (env instanceof Map) return (env as ReadonlyMap<string, string>).get(name);
  const v = (env as Readonly<Record<string, string | undefined>>)[name];
  return typeof v === 'string' ? v : undefined;
}

/** A few JVM system properties that configs commonly use; `-D` flags override them. */
export function defaultSystemProperties(): Map<string, string> {
  const m = new Map<string, string>();
  let user = '';
  try {
    user = userInfo().username;
  } catch {
    user = process.env['USER'] ?? '';
  }
  m.set('user.home', homedir());
  m.set('user.name', user);
  m.set('user.dir', process.cwd());
  m.set('java.io.tmpdir', tmpdir());
  m.set('os.name', process.platform === 'linux' ? 'Linux' : process.platform === 'darwin' ? 'Mac OS X' : process.platform);
  m.set('os.arch', process.arch === 'x64' ? 'amd64' : process.arch);
  m.set('file.separator', sep);
  m.set('path.separator', delimiter);
  m.set('line.separator', EOL);
  return m;
}

/** A variable whose name has the config-filter form `name[key]`: left for the filters. */
const FILTER_REF = /^[^[\]]+\[(['"]?)[-_a-zA-Z0-9]+\1\]$/;

class CycleError extends Error {
  constructor(readonly chain: string[]) {
    super(`circular reference: ${chain.join(' -> ')}`);
  }
}

/**
 * Port of Commons Text StringSubstitutor.substitute (prefix `${`, suffix `}`, escape `$`, default
 * delimiter `:-`, substitution in variable names enabled, recursive substitution of values).
 * `lookup` returns undefined when a variable is unknown.
 */
function substituteText(text: string, lookup: (name: string) => string | undefined, unresolved: string[]): string {
  if (!text.includes('${')) return text; // nothing to do (escapes only act before a `${`)
  const buf = { s: text };
  substituteRange(buf, 0, text.length, null, lookup, unresolved);
  return buf.s;
}

function isPrefix(s: string, pos: number, end: number): boolean {
  return pos + 1 < end && s.charCodeAt(pos) === 36 /* $ */ && s.charCodeAt(pos + 1) === 123 /* { */;
}

function substituteRange(
  buf: { s: string },
  offset: number,
  length: number,
  prior: string[] | null,
  lookup: (name: string) => string | undefined,
  unresolved: string[],
): number {
  let bufEnd = offset + length;
  let pos = offset;
  let lengthChange = 0;
  let escPos = -1;
  outer: while (pos < bufEnd) {
    if (!isPrefix(buf.s, pos, bufEnd)) {
      pos++;
      continue;
    }
    // `$${`: the escape char is deleted only if a complete variable follows; scanning then
    // continues INSIDE the variable (Commons Text 1.9: `$${a${b}}` gives `${a<b>}`).
    if (pos > offset && buf.s.charCodeAt(pos - 1) === 36 /* $ */) escPos = pos - 1;
    let startPos = pos;
    pos += 2;
    let nested = 0;
    while (pos < bufEnd) {
      if (isPrefix(buf.s, pos, bufEnd)) {
        nested++;
        pos += 2;
        continue;
      }
      if (buf.s.charCodeAt(pos) !== 125 /* } */) {
        pos++;
        continue;
      }
      if (nested > 0) {
        nested--;
        pos++;
        continue;
      }
      if (escPos >= 0) {
        buf.s = buf.s.slice(0, escPos) + buf.s.slice(escPos + 1);
        escPos = -1;
        lengthChange--;
        bufEnd--;
        pos = startPos + 1;
        startPos--;
        continue outer;
      }
      // variable end: substitute inside the name first (nested variables)
      const inner = { s: buf.s.slice(startPos + 2, pos) };
      substituteRange(inner, 0, inner.s.length, null, lookup, unresolved);
      const varNameExpr = inner.s;
      pos++;
      const endPos = pos;
      let varName = varNameExpr;
      let varDefault: string | undefined;
      const d = varNameExpr.indexOf(':-');
      if (d >= 0) {
        varName = varNameExpr.slice(0, d);
        varDefault = varNameExpr.slice(d + 2);
      }
      if (prior === null) prior = [buf.s.slice(offset, offset + length)];
      if (prior.includes(varName)) throw new CycleError([...prior.slice(1), varName]);
      prior.push(varName);
      let value = lookup(varName);
      if (value === undefined) value = varDefault;
      if (value !== undefined) {
        const varLen = value.length;
        buf.s = buf.s.slice(0, startPos) + value + buf.s.slice(endPos);
        // the replacement text is substituted again (recursive values)
        let change = substituteRange(buf, startPos, varLen, prior, lookup, unresolved);
        change = change + varLen - (endPos - startPos);
        pos += change;
        bufEnd += change;
        lengthChange += change;
      } else if (!FILTER_REF.test(varName)) {
        unresolved.push(varName);
      }
      prior.pop();
      break;
    }
  }
  return lengthChange;
}

/** Problems about a key get the component it belongs to, so callers can filter by agent. */
function withComponents(problems: ConfigProblem[]): ConfigProblem[] {
  for (const p of problems) {
    if (p.component === undefined && p.key !== undefined) {
      const c = componentPathOf(p.key);
      if (c !== undefined) p.component = c;
    }
  }
  return problems;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

/**
 * Substitute every value of `props` (keys are kept). Never throws; problems: UNRESOLVED_VARIABLE
 * (warning; the text is kept as Flume does), SUBSTITUTION_CYCLE (error), UNSUPPORTED_LOOKUP
 * (warning, e.g. `${date:...}`, `${java:...}`).
 */
export function substituteProperties(props: ParsedProperties, opts: SubstitutionOptions = {}): SubstitutedProperties {
  const env = opts.env ?? process.env;
  const flavor = opts.flavor ?? 'flume-1.11';
  const problems: ConfigProblem[] = [];
  const entries: PropertyEntry[] = [];
  const map = new Map<string, PropertyEntry>();
  const out = (e: PropertyEntry, value: string): void => {
    const n: PropertyEntry = value === e.value ? { ...e } : { ...e, value, raw: e.value };
    entries.push(n);
    map.set(n.key, n);
  };

  if (flavor === 'none') {
    for (const e of props.entries) out(e, e.value);
    return { properties: { ...props, entries, map, problems: [...props.problems] }, problems: withComponents(problems) };
  }
  if (flavor === 'flume-1.9-env') {
    for (const e of props.entries) {
      out(
        e,
        e.value.replace(/\$\{(\w+)\}/g, (_m, name: string) => {
          const v = envGet(env, name);
          if (v === undefined) {
            problems.push({
              severity: 'warning',
              code: SUBSTITUTION_PROBLEM_CODES.UNRESOLVED_VARIABLE,
              message: `environment variable ${name} is not set; Flume 1.9 substitutes an empty string`,
              fix: `set ${name} in the environment of the agent`,
              file: e.file,
              line: e.line,
              key: e.key,
              value: e.value,
            });
          }
          return v ?? '';
        }),
      );
    }
    return { properties: { ...props, entries, map, problems: [...props.problems] }, problems: withComponents(problems) };
  }

  const sys = defaultSystemProperties();
  for (const [k, v] of opts.sys ?? []) sys.set(k, v);

  // Bare-name resolution against all properties, resolved on demand and memoised.
  const resolved = new Map<string, string>();
  const inProgress: PropertyEntry[] = [];
  const unsupported = new Set<string>();

  const evaluate = (e: PropertyEntry, unresolved: string[]): string => {
    if (inProgress.some((p) => p.key === e.key)) throw new CycleError([...inProgress.map((p) => p.key), e.key]);
    inProgress.push(e);
    try {
      return substituteText(e.value, lookup, unresolved);
    } finally {
      inProgress.pop();
    }
  };

  const resolveKey = (key: string): string | undefined => {
    const done = resolved.get(key);
    if (done !== undefined) return done;
    const e = props.map.get(key);
    if (e === undefined) return undefined;
    const v = evaluate(e, []);
    resolved.set(key, v);
    return v;
  };

  const defaultLookup = (name: string): string | undefined => {
    const v = resolveKey(name);
    if (v !== undefined) return v;
    return opts.envFallback ? envGet(env, name) : undefined;
  };

  // Commons Text InterpolatorStringLookup: `prefix:name`; a prefixed lookup that yields nothing
  // falls back to the default lookup with the name alone.
  function lookup(variable: string): string | undefined {
    const i = variable.indexOf(':');
    if (i >= 0) {
      const prefix = variable.slice(0, i).toLowerCase();
      const name = variable.slice(i + 1);
      let v: string | undefined;
      if (prefix === 'env') v = envGet(env, name);
      else if (prefix === 'sys') v = sys.get(name);
      else if (prefix === 'java' || prefix === 'date') {
        const current = inProgress[inProgress.length - 1];
        if (!unsupported.has(variable) && current) {
          unsupported.add(variable);
          problems.push({
            severity: 'warning',
            code: SUBSTITUTION_PROBLEM_CODES.UNSUPPORTED_LOOKUP,
            message: `the \${${prefix}:...} lookup is not supported by tsagent; ${quote('${' + variable + '}')} is left unchanged`,
            fix: prefix === 'date' ? 'use a fixed value, or %Y-%m-%d escapes where the component supports them' : 'use a fixed value or ${sys:...}',
            file: current.file,
            line: current.line,
            key: current.key,
            value: current.value,
          });
        }
      }
      if (v !== undefined) return v;
      return defaultLookup(name);
    }
    return defaultLookup(variable);
  }

  for (const e of props.entries) {
    const unresolved: string[] = [];
    let value: string;
    try {
      // Entries overridden by a later duplicate are substituted too (for --json output); other
      // properties only ever see the last one.
      value = evaluate(e, unresolved);
      if (props.map.get(e.key) === e) resolved.set(e.key, value);
    } catch (err) {
      if (!(err instanceof CycleError)) throw err;
      problems.push({
        severity: 'error',
        code: SUBSTITUTION_PROBLEM_CODES.SUBSTITUTION_CYCLE,
        message: `circular \${...} reference (${err.chain.join(' -> ')}); the value is left unchanged`,
        fix: 'break the cycle: one of these properties must not refer back to the others',
        file: e.file,
        line: e.line,
        key: e.key,
        value: e.value,
      });
      value = e.value;
    }
    for (const name of new Set(unresolved)) {
      const i = name.indexOf(':');
      const prefix = i >= 0 ? name.slice(0, i).toLowerCase() : '';
      if (prefix === 'java' || prefix === 'date') continue; // already reported as unsupported
      const what =
        prefix === 'env'
          ? `environment variable ${name.slice(i + 1)} is not set`
          : prefix === 'sys'
            ? `system property ${name.slice(i + 1)} is not set`
            : `no property or lookup named ${quote(name)}`;
      const fix =
        prefix === 'env'
          ? `set ${name.slice(i + 1)} in the agent's environment, or give a default: \${${name}:-value}`
          : prefix === 'sys'
            ? `pass -D${name.slice(i + 1)}=value, or give a default: \${${name}:-value}`
            : `define ${name} in the file, use \${env:${name}} for an environment variable, or write $\${${name}} for a literal`;
      problems.push({
        severity: 'warning',
        code: SUBSTITUTION_PROBLEM_CODES.UNRESOLVED_VARIABLE,
        message: `${what}; ${quote('${' + name + '}')} is left unchanged (as Flume does)`,
        fix,
        file: e.file,
        line: e.line,
        key: e.key,
        value: e.value,
      });
    }
    out(e, value);
  }
  return { properties: { ...props, entries, map, problems: [...props.problems] }, problems: withComponents(problems) };
}

// ---------------------------------------------------------------------------------------------
// Config filters

/** Runs `command args...` and returns stdout (no shell), or throws with stderr in the message. */
export type CommandRunner = (command: string, args: string[], encoding: BufferEncoding) => Promise<string>;

const defaultRunner: CommandRunner = (command, args, encoding) =>
  new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'buffer', timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as { code?: unknown }).code;
        const status = typeof code === 'number' ? `exited with status ${code}` : err.message;
        const e = stderr.toString(encoding).trim();
        reject(new Error(`${status}${e ? `: ${e}` : ''}`));
        return;
      }
      resolve(stdout.toString(encoding));
    });
  });

export interface ConfigFilterOptions {
  /** Environment for `env` filters; default `process.env`. */
  env?: EnvLike;
  /** Only apply the filters of these agents (Flume applies all; running commands for agents that
   * will not start is pointless). Default: all agents. */
  agents?: readonly string[];
  /** Command runner for `external` filters (tests inject one). */
  runCommand?: CommandRunner;
}

const JAVA_CHARSETS: Record<string, BufferEncoding> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'iso-8859-1': 'latin1',
  'iso8859_1': 'latin1',
  latin1: 'latin1',
  'us-ascii': 'ascii',
  ascii: 'ascii',
  'utf-16le': 'utf16le',
};

const COMPONENT_KEY = /^(sources|channels|sinks|sinkgroups)\.[^.]+\.(.+)$/;
const FILTER_USE = /\$\{([^${}[\]]+)\[(|'|")([-_a-zA-Z0-9]+)\2\]\}/g;

interface FilterDecl {
  name: string;
  type?: PropertyEntry;
  props: Map<string, PropertyEntry>;
  listed: PropertyEntry;
}

/**
 * Apply `<agent>.configfilters` to the component values of each agent (Flume does this during
 * validation, after substitution). Returns new properties (changed entries carry `raw`) and
 * problems. Values of keys outside sources/channels/sinks/sinkgroups are not filtered (as in Flume).
 */
export async function applyConfigFilters(
  props: ParsedProperties,
  opts: ConfigFilterOptions = {},
): Promise<SubstitutedProperties> {
  const env = opts.env ?? process.env;
  const run = opts.runCommand ?? defaultRunner;
  const problems: ConfigProblem[] = [];

  // Collect declarations per agent (trimmed keys/values, like Flume).
  const decls = new Map<string, Map<string, FilterDecl>>();
  for (const e of props.map.values()) {
    const key = e.key.trim();
    const dot = key.indexOf('.');
    if (dot <= 0) continue;
    const agent = key.slice(0, dot);
    if (opts.agents && !opts.agents.includes(agent)) continue;
    if (key.slice(dot + 1) !== 'configfilters') continue;
    const m = new Map<string, FilterDecl>();
    for (const name of e.value.trim().split(/\s+/)) {
      if (name !== '') m.set(name, { name, props: new Map(), listed: e });
    }
    decls.set(agent, m);
  }
  for (const e of props.map.values()) {
    const key = e.key.trim();
    const dot = key.indexOf('.');
    const rest = key.slice(dot + 1);
    if (dot <= 0 || !rest.startsWith('configfilters.')) continue;
    const m = decls.get(key.slice(0, dot));
    const r = /^configfilters\.([^.]+)\.(.+)$/.exec(rest);
    if (!m || !r) continue;
    const d = m.get(r[1]!.trim());
    if (!d) continue;
    if (r[2] === 'type') d.type = e;
    else d.props.set(r[2]!, e);
  }

  // Build the filter functions.
  type Filter = (key: string) => Promise<string | undefined>;
  const filters = new Map<string, Map<string, Filter | null>>();
  for (const [agent, m] of decls) {
    const fm = new Map<string, Filter | null>();
    filters.set(agent, fm);
    for (const d of m.values()) {
      const comp = `${agent}.configfilters.${d.name}`;
      const type = d.type?.value.trim();
      if (!type) {
        problems.push({
          severity: 'error',
          code: SUBSTITUTION_PROBLEM_CODES.CONFIG_FILTER_INVALID,
          message: `config filter ${d.name} has no type; its \${${d.name}[...]} references stay unresolved`,
          fix: `add ${comp}.type = env (or external)`,
          file: d.listed.file,
          line: d.listed.line,
          component: comp,
          key: d.listed.key,
          value: d.listed.value,
        });
        fm.set(d.name, null);
        continue;
      }
      const t = type.toLowerCase();
      const at = { file: d.type!.file, line: d.type!.line, component: comp, type, key: d.type!.key, value: d.type!.value };
      if (t === 'env' || type === 'org.apache.flume.configfilter.EnvironmentVariableConfigFilter') {
        fm.set(d.name, (k) => Promise.resolve(envGet(env, k)));
      } else if (t === 'external' || type === 'org.apache.flume.configfilter.ExternalProcessConfigFilter') {
        const command = d.props.get('command')?.value.trim();
        const charsetName = d.props.get('charset')?.value.trim() ?? 'UTF-8';
        const encoding = JAVA_CHARSETS[charsetName.toLowerCase()];
        if (!command) {
          problems.push({
            severity: 'error',
            code: SUBSTITUTION_PROBLEM_CODES.CONFIG_FILTER_INVALID,
            message: 'external config filter has no command',
            fix: `add ${comp}.command = /path/to/script (it is run with the key as its last argument)`,
            ...at,
          });
          fm.set(d.name, null);
          continue;
        }
        if (!encoding) {
          const c = d.props.get('charset')!;
          problems.push({
            severity: 'error',
            code: SUBSTITUTION_PROBLEM_CODES.CONFIG_FILTER_INVALID,
            message: `unsupported charset ${quote(charsetName)}`,
            fix: 'use UTF-8, ISO-8859-1, US-ASCII or UTF-16LE',
            ...at,
            file: c.file,
            line: c.line,
            key: c.key,
            value: c.value,
          });
          fm.set(d.name, null);
          continue;
        }
        const parts = command.split(/\s+/);
        const cache = new Map<string, Promise<string | undefined>>();
        fm.set(d.name, (k) => {
          let p = cache.get(k);
          if (!p) {
            p = run(parts[0]!, [...parts.slice(1), k], encoding).then(
              (stdout) => {
                // java.util.Scanner#nextLine: the first line, without its terminator
                const m = /^[^\r\n\u2028\u2029\u0085]*/.exec(stdout);
                return stdout.length === 0 ? undefined : (m?.[0] ?? '');
              },
              (err: unknown) => {
                problems.push({
                  severity: 'error',
                  code: SUBSTITUTION_PROBLEM_CODES.CONFIG_FILTER_FAILED,
                  message: `command ${quote(command)} failed for key ${k}: ${err instanceof Error ? err.message : String(err)}`,
                  fix: 'make the command print the value for this key and exit 0',
                  ...at,
                });
                return undefined;
              },
            );
            cache.set(k, p);
          }
          return p;
        });
      } else {
        const why = t === 'hadoop' || type === 'org.apache.flume.configfilter.HadoopCredentialStoreConfigFilter'
          ? 'the hadoop credential-store config filter is not supported by tsagent'
          : `custom config filter class ${type} is not supported by tsagent`;
        problems.push({
          severity: 'warning',
          code: SUBSTITUTION_PROBLEM_CODES.CONFIG_FILTER_UNSUPPORTED,
          message: `${why}; its \${${d.name}[...]} references stay unresolved`,
          fix: 'use an env or external config filter (e.g. a script that reads the credential store)',
          ...at,
        });
        fm.set(d.name, null);
      }
    }
  }

  const entries: PropertyEntry[] = [];
  const map = new Map<string, PropertyEntry>();
  for (const e of props.entries) {
    let value = e.value;
    const key = e.key.trim();
    const dot = key.indexOf('.');
    const agent = dot > 0 ? key.slice(0, dot) : '';
    const fm = filters.get(agent);
    const isComponentValue = dot > 0 && COMPONENT_KEY.test(key.slice(dot + 1));
    if (isComponentValue && value.includes('${') && (!opts.agents || opts.agents.includes(agent))) {
      // In list order (Flume iterates a HashSet); each filter replaces all of its references.
      for (const [name, f] of fm ?? []) {
        if (!f) continue;
        const re = new RegExp(`\\$\\{${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\[(|'|")([-_a-zA-Z0-9]+)\\1\\]\\}`, 'g');
        const found = [...value.matchAll(re)];
        for (const m of found) {
          const v = await f(m[2]!);
          if (v === undefined) {
            problems.push({
              severity: 'warning',
              code: SUBSTITUTION_PROBLEM_CODES.CONFIG_FILTER_NO_VALUE,
              message: `config filter ${name} has no value for ${m[2]}; ${quote(m[0])} is left unchanged`,
              fix: fm && decls.get(agent)?.get(name)?.type?.value.trim().toLowerCase() === 'env'
                ? `set the environment variable ${m[2]}`
                : `make the filter return a value for ${m[2]}`,
              file: e.file,
              line: e.line,
              key: e.key,
              value: e.value,
            });
            continue;
          }
          value = value.split(m[0]).join(v);
        }
      }
      for (const m of value.matchAll(FILTER_USE)) {
        const name = m[1]!;
        if (fm?.has(name)) continue;
        problems.push({
          severity: 'warning',
          code: SUBSTITUTION_PROBLEM_CODES.CONFIG_FILTER_UNKNOWN,
          message: `${quote(m[0])} refers to config filter ${name}, which is not in ${agent}.configfilters; it is left unchanged`,
          fix: `add ${name} to ${agent}.configfilters and set ${agent}.configfilters.${name}.type`,
          file: e.file,
          line: e.line,
          key: e.key,
          value: e.value,
        });
      }
    }
    const n: PropertyEntry = value === e.value ? { ...e } : { ...e, value, raw: e.raw ?? e.value };
    entries.push(n);
    map.set(n.key, n);
  }
  // `map` must point at the last entry of each key
  return { properties: { ...props, entries, map, problems: [...props.problems] }, problems: withComponents(problems) };
}

/**
 * The core commands: agent, validate, describe.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { builtinRegistry } from '../builtins.js';
import { hasErrors, loadConfig, type Loaded } from '../config/load.js';
import { formatProblem, type ConfigProblem } from '../config/problems.js';
import { CounterRegistry } from '../core/counters.js';
import { errorMessage } from '../core/errors.js';
import { ConsoleLogger, parseLevel, type Logger } from '../core/logger.js';
import { describeDefault, type ComponentSpec, type PropDecl } from '../core/spec.js';
import { Agent } from '../engine/agent.js';
import { MetricsServer } from '../engine/metrics-server.js';
import { loadPluginDirs } from '../engine/plugins.js';
import type { Registry } from '../engine/registry.js';

export const EXIT_CONFIG = 78;

export interface AgentArgs {
  'conf-file'?: string[];
  name?: string;
  conf?: string;
  'no-reload-conf': boolean;
  'poll-interval': number;
  'plugins-path'?: string;
  lenient: boolean;
  encoding: string;
  dryrun: boolean;
  system: Map<string, string>;
  ignoredJavaOptions: string[];
}
export interface ValidateArgs extends Omit<AgentArgs, 'ignoredJavaOptions'> { json: boolean }

function printProblems(problems: readonly ConfigProblem[], out: NodeJS.WritableStream = process.stderr): void {
  for (const p of problems) out.write(formatProblem(p) + '\n');
}

async function registryWithPlugins(pluginsPath: string | undefined, log: Logger | undefined): Promise<{ registry: Registry; problems: string[] }> {
  const registry = builtinRegistry();
  const dirs = pluginsPath ? pluginsPath.split(':').filter(Boolean) : [];
  if (process.env.TSAGENT_PLUGINS_PATH) dirs.push(...process.env.TSAGENT_PLUGINS_PATH.split(':').filter(Boolean));
  const problems = await loadPluginDirs(registry, dirs, log);
  return { registry, problems };
}

function enc(e: string): 'utf8' | 'latin1' { return e.toLowerCase().startsWith('iso') ? 'latin1' : 'utf8'; }

export async function runValidateCommand(a: ValidateArgs): Promise<number> {
  const files = a['conf-file'] ?? [];
  if (files.length === 0) {
    process.stderr.write('tsagent validate: no configuration file given; use -f FILE\n');
    return 1;
  }
  const { registry, problems: pluginProblems } = await registryWithPlugins(a['plugins-path'], undefined);
  const loaded = await loadConfig({ files, agentName: a.name, registry, system: a.system, lenient: a.lenient, encoding: enc(a.encoding) });
  const valid = !hasErrors(loaded.problems, a.name) && pluginProblems.length === 0;
  if (a.json) {
    const properties: Record<string, string> = {};
    for (const [k, e] of loaded.properties.map) properties[k] = e.raw ?? e.value;
    process.stdout.write(JSON.stringify({
      valid, files, agent: a.name ?? null, agents: loaded.agents, agentType: loaded.agentType ?? null,
      properties, problems: loaded.problems, pluginProblems,
      plan: loaded.plan ? {
        channels: [...loaded.plan.channels.keys()], sources: [...loaded.plan.sources.keys()],
        sinks: [...loaded.plan.sinks.keys()], sinkgroups: [...loaded.plan.sinkgroups.keys()],
      } : null,
    }, null, 2) + '\n');
  } else {
    for (const p of pluginProblems) process.stderr.write(`error ${p}\n`);
    printProblems(loaded.problems);
    const errors = loaded.problems.filter((p) => p.severity === 'error').length;
    const warnings = loaded.problems.length - errors;
    process.stdout.write(
      valid
        ? `${files.join(', ')}: valid${a.name ? ` (agent '${a.name}')` : ''}; ${warnings} warning(s)\n`
        : `${files.join(', ')}: ${errors} error(s), ${warnings} warning(s)\n`,
    );
  }
  return valid ? 0 : EXIT_CONFIG;
}

export async function runAgentCommand(a: AgentArgs): Promise<number> {
  const level = parseLevel(a.system.get('flume.root.logger')?.split(',')[0]) ?? 'INFO';
  const logger = ConsoleLogger.create(level);
  const log = logger.child('agent');
  for (const o of a.ignoredJavaOptions) log.info(`Ignoring JVM option ${o}`);
  const files = a['conf-file'] ?? [];
  if (files.length === 0) {
    process.stderr.write('tsagent: no configuration file given; use -f FILE (see tsagent --help)\n');
    return 1;
  }
  if (!a.name) {
    process.stderr.write('tsagent: missing required option -n NAME (the agent to run)\n');
    return 1;
  }
  const name = a.name;
  const { registry, problems: pluginProblems } = await registryWithPlugins(a['plugins-path'], log);
  if (pluginProblems.length) {
    for (const p of pluginProblems) process.stderr.write(`error ${p}\n`);
    return EXIT_CONFIG;
  }
  const load = (): Promise<Loaded> => loadConfig({ files, agentName: name, registry, system: a.system, lenient: a.lenient, encoding: enc(a.encoding) });
  const loaded = await load();
  printProblems(loaded.problems);
  if (loaded.agentType !== undefined) {
    if (loaded.agentType.toLowerCase() !== 'analyzer') {
      process.stderr.write(`${files[0]}: unknown agent type '${loaded.agentType}' for agent '${name}'; the only agent type besides Flume agents is 'analyzer'\n`);
      return EXIT_CONFIG;
    }
    return runAnalyzer(name, loaded, files[0]!, logger);
  }
  if (hasErrors(loaded.problems, name) || !loaded.plan) {
    process.stderr.write(`tsagent: refusing to start agent '${name}' because of the error(s) above (use --lenient to drop invalid components as Flume does)\n`);
    return EXIT_CONFIG;
  }
  if (a.dryrun) {
    const p = loaded.plan;
    process.stdout.write(`agent ${name}: channels [${[...p.channels.keys()].join(', ')}], sources [${[...p.sources.keys()].join(', ')}], sinks [${[...p.sinks.keys()].join(', ')}]\n`);
    return 0;
  }

  const counters = new CounterRegistry();
  const drain = Number(a.system.get('tsagent.drain.timeout') ?? 30000);
  const agent = new Agent({ logger, counters, system: a.system, drainTimeoutMs: Number.isFinite(drain) ? drain : 30000 });
  await agent.apply(loaded.plan);

  let metrics: MetricsServer | undefined;
  if ((a.system.get('flume.monitoring.type') ?? '').toLowerCase() === 'http') {
    const port = Number(a.system.get('flume.monitoring.port') ?? 41414);
    const host = a.system.get('flume.monitoring.host') ?? '127.0.0.1';
    metrics = new MetricsServer(counters, host, port);
    try {
      const p = await metrics.start();
      log.info(`Metrics at http://${host}:${p}/metrics`);
    } catch (e) {
      log.error(`Error starting the HTTP metrics server. JSON Metrics may not be available. ${errorMessage(e)}`);
      metrics = undefined;
    }
  }

  // Reload when the file changes (Flume polls the modification time every 30 s).
  let poller: NodeJS.Timeout | undefined;
  if (!a['no-reload-conf']) {
    const mtime = async (): Promise<number> => {
      let m = 0;
      for (const f of files) { try { m = Math.max(m, (await stat(f)).mtimeMs); } catch { /* unreadable: keep */ } }
      return m;
    };
    let last = await mtime();
    let busy = false;
    const intervalMs = Math.max(0.05, a['poll-interval']) * 1000;
    poller = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        const m = await mtime();
        if (m <= last) return;
        last = m;
        log.info(`Reloading configuration file:${files.join(',')}`);
        const l = await load();
        if (hasErrors(l.problems, name) || !l.plan) {
          printProblems(l.problems);
          log.warn('Unable to update configuration: the new file has errors; the running configuration is kept');
          return;
        }
        await agent.apply(l.plan);
        log.info('Configuration reloaded');
      })().catch((e: unknown) => log.error(`Failed to load configuration data. ${errorMessage(e)}`)).finally(() => { busy = false; });
    }, intervalMs);
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (sig: string): void => {
      if (stopping) { log.warn(`${sig} again: exiting now`); process.exit(130); }
      stopping = true;
      log.info(`${sig} received: stopping sources, draining channels, stopping sinks`);
      if (poller) clearInterval(poller);
      void (async () => {
        try {
          await agent.shutdown();
          await metrics?.stop();
        } catch (e) {
          log.error(`Error during shutdown: ${errorMessage(e)}`);
        }
        for (const g of counters.all()) {
          if (!g.registered) continue;
          for (const [k, v] of Object.entries(g.toJSON())) log.info(`Shutdown Metric for type: ${g.type}, name: ${g.name}. ${k} == ${v}`);
        }
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        // Everything is stopped; do not let a lingering client socket keep the process alive.
        setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
        resolve(0);
      })();
    };
    const onInt = (): void => onSignal('SIGINT');
    const onTerm = (): void => onSignal('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    // Only now: a signal sent as soon as this line is seen must find the handlers installed.
    log.info(`Agent ${name} started from ${files.join(', ')}`);
  });
}

async function runAnalyzer(name: string, loaded: Loaded, file: string, logger: ConsoleLogger): Promise<number> {
  const props = new Map<string, { value: string; line: number }>();
  const prefix = `${name}.`;
  for (const [k, e] of loaded.properties.map) if (k.startsWith(prefix)) props.set(k.slice(prefix.length), { value: e.value, line: e.line });
  const log = logger.child('analyzer');
  let mod: { startAnalyzerAgent?: (o: unknown) => Promise<{ stop(): Promise<void>; done: Promise<void> }> };
  try {
    const modPath = '../analyzer/index.js';
    mod = (await import(modPath)) as typeof mod;
  } catch (e) {
    process.stderr.write(`tsagent: the analyzer is not available in this build: ${errorMessage(e)}\n`);
    return 1;
  }
  if (!mod.startAnalyzerAgent) { process.stderr.write('tsagent: the analyzer is not available in this build\n'); return 1; }
  let handle: { stop(): Promise<void>; done: Promise<void> };
  try {
    handle = await mod.startAnalyzerAgent({ agentName: name, file, props, out: process.stdout, logger: log });
  } catch (e) {
    process.stderr.write(`${errorMessage(e)}\n`);
    return EXIT_CONFIG;
  }
  return new Promise<number>((resolve) => {
    const stop = (): void => { void handle.stop().then(() => resolve(0), () => resolve(1)); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    void handle.done.then(() => resolve(0), (e: unknown) => { log.error(errorMessage(e)); resolve(1); });
  });
}

export async function runDescribeCommand(a: { type?: string; json: boolean; pluginsPath?: string }): Promise<number> {
  const { registry } = await registryWithPlugins(a.pluginsPath, undefined);
  if (!a.type) {
    for (const kind of ['source', 'channel', 'sink', 'interceptor'] as const) {
      const l = registry.list(kind);
      if (l.length) process.stdout.write(`${kind}s: ${l.map((s) => s.type).join(', ')}\n`);
    }
    return 0;
  }
  const found = registry.find(a.type);
  if (found.length === 0) {
    process.stderr.write(`tsagent describe: unknown type '${a.type}'. Known types: ${registry.list().map((s) => s.type).join(', ')}\n`);
    return 1;
  }
  for (const s of found) process.stdout.write(a.json ? JSON.stringify(describeJson(s), null, 2) + '\n' : describeText(s));
  return 0;
}

function describeJson(s: ComponentSpec): unknown {
  return {
    kind: s.kind, type: s.type, aliases: s.aliases ?? [], description: s.description,
    properties: Object.entries(s.properties as Record<string, PropDecl>).map(([name, d]) => ({
      name, type: d.type, default: d.default ?? null, required: Boolean(d.required), description: d.description,
      values: d.values ?? null, deprecatedNames: d.deprecatedNames ?? [],
    })),
    passThrough: s.passThrough ?? [],
  };
}

function describeText(s: ComponentSpec): string {
  const rows = Object.entries(s.properties as Record<string, PropDecl>).map(([n, d]) => [
    n, d.type === 'enum' ? (d.values ?? []).join('|') : d.type, describeDefault(d), d.description + (d.deprecatedNames?.length ? ` (old names: ${d.deprecatedNames.join(', ')})` : ''),
  ]);
  const head = ['property', 'type', 'default', 'description'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i < 3 ? c.padEnd(w[i]!) : c)).join('  ') + '\n';
  let out = `${s.kind} ${s.type}${s.aliases?.length ? ` (also: ${s.aliases.join(', ')})` : ''}\n  ${s.description}\n\n`;
  out += line(head) + line(w.slice(0, 3).map((n) => '-'.repeat(n)).concat(['-----------']));
  for (const r of rows) out += line(r);
  for (const p of s.passThrough ?? []) out += `${p.prefix}*  ${p.description}\n`;
  return out;
}

export { path };

/**
 * tsagent command line, compatible with `flume-ng agent`:
 *   tsagent [agent] -f|--conf-file FILE -n|--name NAME [-c|--conf DIR] [-Dk=v ...] [--no-reload-conf]
 *   tsagent validate -f FILE [-n NAME] [--json] [--lenient]
 *   tsagent describe TYPE [--json]
 *   tsagent version
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs, { type Argv } from 'yargs';
import { extraCommands } from './commands/index.js';
// The core commands load the component registry; loaded when one of them runs, so that the
// other commands (analyzer, generate, ...) start faster.
import type { AgentArgs, ValidateArgs } from './commands-core.js';
const core = (): Promise<typeof import('./commands-core.js')> => import('./commands-core.js');

export const EXIT_CONFIG = 78;

function packageVersion(): string {
  try {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const pkg = JSON.parse(readFileSync(path.join(here, '..', '..', 'package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** Splits Java-style options (-Dk=v, -X..., -javaagent...) out of argv, as flume-ng does. */
export function splitJavaOptions(argv: readonly string[]): { rest: string[]; system: Map<string, string>; ignored: string[] } {
  const rest: string[] = [];
  const system = new Map<string, string>();
  const ignored: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('-D') && a.length > 2) {
      const kv = a.slice(2);
      const eq = kv.indexOf('=');
      if (eq < 0) system.set(kv, '');
      else system.set(kv.slice(0, eq), kv.slice(eq + 1));
    } else if (/^-(X|agentlib|agentpath|javaagent)/.test(a)) {
      ignored.push(a);
    } else {
      rest.push(a);
    }
  }
  return { rest, system, ignored };
}

const COMMANDS = new Set(['agent', 'node', 'validate', 'describe', 'version', 'help', '--help', '-h', '--version']);

export async function main(argv: readonly string[]): Promise<number> {
  const { rest, system, ignored } = splitJavaOptions(argv);
  let args = rest;
  // `tsagent -f x -n y` (no command) means `tsagent agent -f x -n y`.
  const first = args[0];
  const extraNames = new Set(extraCommands.map((c) => String(c.command ?? '').split(' ')[0]));
  if (first === undefined || (!COMMANDS.has(first) && !extraNames.has(first) && first.startsWith('-'))) {
    args = ['agent', ...args];
  }
  if (args[0] === 'node') {
    process.stderr.write('Warning: The "node" command is deprecated. Please use "agent" instead.\n');
    args = ['agent', ...args.slice(1)];
  }
  let code = 0;
  const agentOptions = (y: Argv) =>
    y
      .option('conf-file', { alias: 'f', type: 'string', array: true, describe: 'Flume properties file(s); later files override earlier keys' })
      .option('name', { alias: 'n', type: 'string', describe: 'Name of the agent to run' })
      .option('conf', { alias: 'c', type: 'string', describe: 'Configuration directory (accepted for flume-ng compatibility)' })
      .option('no-reload-conf', { type: 'boolean', default: false, describe: 'Read the file once; do not reload it when it changes' })
      .option('poll-interval', { alias: 'i', type: 'number', default: 30, describe: 'Seconds between checks of the file for changes' })
      .option('plugins-path', { type: 'string', describe: 'Colon-separated plugin directories (like flume-ng plugins.d)' })
      .option('lenient', { type: 'boolean', default: false, describe: "Flume's behaviour: drop invalid components and run the rest" })
      .option('encoding', { type: 'string', default: 'utf-8', choices: ['utf-8', 'iso-8859-1'], describe: 'Charset of the config file' })
      .option('dryrun', { alias: 'd', type: 'boolean', default: false, describe: 'Validate and print the plan; do not start' });

  const parser = yargs(args)
    .scriptName('tsagent')
    .usage('Usage: tsagent [agent] -f FILE -n NAME [options] [-Dkey=value ...]')
    .parserConfiguration({ 'boolean-negation': false })
    .command('agent', 'Run an agent from a Flume properties file', agentOptions, async (a) => {
      code = await (await core()).runAgentCommand({ ...(a as unknown as AgentArgs), system, ignoredJavaOptions: ignored });
    })
    .command('validate', 'Check a Flume properties file and report every problem', (y) =>
      agentOptions(y).option('json', { type: 'boolean', default: false, describe: 'Machine-readable output' }), async (a) => {
      code = await (await core()).runValidateCommand({ ...(a as unknown as ValidateArgs), system });
    })
    .command('describe [type]', "Show a component's properties, defaults and documentation", (y) =>
      y.positional('type', { type: 'string', describe: 'Type name or Flume class name (omit to list all)' })
        .option('json', { type: 'boolean', default: false })
        .option('plugins-path', { type: 'string' }), async (a) => {
      code = await (await core()).runDescribeCommand({ type: a.type as string | undefined, json: Boolean(a.json), pluginsPath: a['plugins-path'] as string | undefined });
    })
    .command('version', 'Print the version', () => {}, () => {
      process.stdout.write(`tsagent ${packageVersion()} (Flume-compatible agent runtime; configuration format of Apache Flume 1.11)\n`);
    })
    .strictCommands()
    .demandCommand(1)
    .help()
    .version(packageVersion())
    .fail((msg, err, y) => {
      if (err) throw err;
      process.stderr.write(`${msg}\n\n${y.help() ? '' : ''}`);
      code = 1;
    });
  for (const c of extraCommands) parser.command(c);
  await parser.parseAsync();
  return code;
}

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { TsagentError } from '../../core/errors.js';
import { DEFAULT_GENERATED_LINES, killAllNow, runPipeline, summaryText, type PipelineOptions } from '../../pipeline/runner.js';

interface PipelineArgs {
  input?: string;
  lines: number;
  seed: string;
  rate?: number;
  limit?: number;
  trigger?: string;
  'keep-stack'?: boolean;
  isolate?: boolean;
  'run-dir'?: string;
  'conf-dir'?: string;
  'hide-analyzer'?: boolean;
  timeout?: number;
  json?: boolean;
  set?: string[];
}

function fail(message: string): never {
  throw new TsagentError('PIPELINE_OPTIONS', `pipeline: ${message}`);
}

export const pipelineCommand: CommandModule<object, PipelineArgs> = {
  command: 'pipeline [input]',
  describe: 'Run the reference pipeline end to end: stack, agent 1, agent 2, analyzer, replay, summary',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', describe: 'log file or http(s)/ftp URL, plain or gzip (default: generated NASA-like data)' })
      .option('lines', { alias: 'n', type: 'number', default: DEFAULT_GENERATED_LINES, describe: 'lines to generate when no input is given' })
      .option('seed', { type: 'string', default: '1', describe: 'generator seed' })
      .option('rate', { type: 'number', describe: 'replay lines per second (default: as fast as agent 1 acknowledges)' })
      .option('limit', { type: 'number', describe: 'replay at most N lines of the input' })
      .option('trigger', { type: 'string', describe: "analyzer trigger instead of the conf's 60 s, e.g. 5s (written to an overlay file, conf/ is not changed)" })
      .option('keep-stack', { type: 'boolean', describe: 'leave Kafka and HDFS running at the end even if this run started them' })
      .option('isolate', { type: 'boolean', describe: 'private topic, consumer groups, HDFS file prefix and netcat port (for tests and concurrent runs)' })
      .option('run-dir', { type: 'string', describe: 'directory for the logs and summary.json (default .stack/runs/pipeline-<time>)' })
      .option('conf-dir', { type: 'string', describe: 'directory with flume-agent1.conf, flume-agent2.conf, log-analysis.conf (default conf/)' })
      .option('hide-analyzer', { type: 'boolean', describe: "do not print the analyzer's console output (it is still in the run dir)" })
      .option('timeout', { type: 'number', describe: 'seconds to wait after the replay for the last line to reach HDFS and the analyzer' })
      .option('json', { type: 'boolean', describe: 'print the summary as JSON' })
      .option('set', { type: 'string', array: true, describe: 'override a property of the pipeline files, e.g. --set agent1.sinks.kafka_sink.flumeBatchSize=1000 (overlay file; conf/ is not changed)' })
      .example('npm start', 'the same as: tsagent pipeline (200,000 generated lines)')
      .example('tsagent pipeline ../shared/data/nasa/NASA_access_log_Jul95.head-124979.txt.gz', 'a real log')
      .example('tsagent pipeline ftp://ita.ee.lbl.gov/traces/NASA_access_log_Jul95.gz --rate 2000', "the seed's URL, paced")
      .example('tsagent pipeline -n 1891715 --trigger 1s --hide-analyzer', 'a month of generated lines, quick analyzer') as unknown as Argv<PipelineArgs>,
  handler: async (argv: PipelineArgs) => {
    if (!(Number.isInteger(argv.lines) && argv.lines > 0)) fail(`--lines must be a whole number > 0, got ${String(argv.lines)}`);
    if (argv.rate !== undefined && !(argv.rate > 0)) fail(`--rate must be > 0, got ${String(argv.rate)}`);
    if (argv.limit !== undefined && !(Number.isInteger(argv.limit) && argv.limit > 0)) fail(`--limit must be a whole number > 0, got ${String(argv.limit)}`);
    if (argv.timeout !== undefined && !(argv.timeout > 0)) fail(`--timeout must be seconds > 0, got ${String(argv.timeout)}`);
    const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    const controller = new AbortController();
    let interrupts = 0;
    let firstAt = 0;
    const onSignal = (sig: string): void => {
      // `npm start` forwards the terminal's Ctrl-C to its child too: a copy of the same signal
      // within 2 s is the same Ctrl-C, not a second one.
      if (interrupts > 0 && Date.now() - firstAt < 2000) return;
      interrupts++;
      if (interrupts === 1) {
        firstAt = Date.now();
        process.stderr.write(`\npipeline: ${sig}: stopping the agents, the analyzer and (if this run started it) the stack; ${sig === 'SIGINT' ? 'Ctrl-C again' : 'again'} to kill them at once\n`);
        controller.abort();
      } else {
        killAllNow();
        process.stderr.write('pipeline: killed the child processes; the stack may still be running (npm run stack:down)\n');
        process.exit(130);
      }
    };
    const onInt = (): void => onSignal('SIGINT');
    const onTerm = (): void => onSignal('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const opts: PipelineOptions = {
      repoRoot, input: argv.input, lines: argv.lines, seed: argv.seed, rate: argv.rate, limit: argv.limit, trigger: argv.trigger,
      keepStack: argv['keep-stack'] === true, isolate: argv.isolate === true, runDir: argv['run-dir'],
      confDir: argv['conf-dir'] ? path.resolve(argv['conf-dir']) : undefined, showAnalyzer: argv['hide-analyzer'] !== true,
      timeoutMs: argv.timeout !== undefined ? argv.timeout * 1000 : undefined, signal: controller.signal, sets: argv.set,
    };
    try {
      const s = await runPipeline(opts);
      process.stdout.write(argv.json === true ? `${JSON.stringify(s)}\n` : summaryText(s));
      if (s.interrupted) process.exitCode = 130;
      else if (!s.ok) process.exitCode = 1;
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
  },
};

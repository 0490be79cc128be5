import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { TsagentError } from '../../core/errors.js';
import { ProgressRenderer, summaryText } from '../../tools/progress.js';
import { ReplayError, replay, type ReplayOptions, type ReplaySummary } from '../../tools/replay.js';

/** stream_logs.py's default --log_url. */
export const SEED_LOG_URL = 'ftp://ita.ee.lbl.gov/traces/NASA_access_log_Jul95.gz';

interface ReplayArgs {
  input?: string;
  host: string;
  port: number;
  delay?: number;
  rate?: number;
  speedup?: number;
  'no-ack'?: boolean;
  'max-in-flight': number;
  limit?: number;
  skip?: number;
  wait: number;
  'retry-for': number;
  'ack-timeout': number;
  'progress-interval': number;
  quiet?: boolean;
  json?: boolean;
  ca?: string;
  insecure?: boolean;
}

function fail(message: string): never {
  throw new TsagentError('REPLAY_OPTIONS', `replay: ${message}`);
}

export const replayCommand: CommandModule<object, ReplayArgs> = {
  command: 'replay [input]',
  describe: 'Stream a log file or URL (plain or gzip) line by line into a Flume netcat source',
  builder: (y: Argv<object>) =>
    y
      .positional('input', {
        type: 'string',
        describe: `file, - for stdin, or http(s)/ftp URL; plain or .gz (default: the seed's ${SEED_LOG_URL})`,
      })
      .option('log_url', { type: 'string', hidden: true, describe: 'stream_logs.py spelling of the input' })
      .option('host', { type: 'string', default: 'localhost', describe: 'host of the netcat source' })
      .option('port', { type: 'number', default: 9999, describe: 'port of the netcat source' })
      .option('delay', { type: 'number', describe: 'seconds between lines (stream_logs.py used 0.1)' })
      .option('rate', { type: 'number', describe: 'lines per second' })
      .option('speedup', { type: 'number', describe: "replay the log's own timestamps N times faster" })
      // Spelled out: the CLI parses with boolean-negation off (flume-ng compatibility).
      .option('no-ack', { type: 'boolean', describe: 'do not wait for OK replies (source with ack-every-event = false)' })
      .option('max-in-flight', { type: 'number', default: 20_000, describe: 'lines sent and not yet acknowledged, at most' })
      .option('limit', { type: 'number', describe: 'send at most N lines' })
      .option('skip', { type: 'number', describe: 'skip the first N lines of the input' })
      .option('wait', { type: 'number', default: 0, describe: 'keep trying the first connection for SEC seconds' })
      .option('retry-for', { type: 'number', default: 60, describe: 'after a lost connection, keep reconnecting for SEC seconds' })
      .option('ack-timeout', { type: 'number', default: 30, describe: 'give up when no reply comes for SEC seconds' })
      .option('progress-interval', { type: 'number', default: 5, describe: 'seconds between progress lines when stderr is not a terminal' })
      .option('ca', { type: 'string', describe: 'PEM file of a CA certificate to trust for https input' })
      .option('insecure', { type: 'boolean', describe: 'do not verify the certificate of https input' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'no progress, only the summary and errors' })
      .option('json', { type: 'boolean', describe: 'print the summary as JSON' })
      .example('tsagent replay log.gz', 'as fast as acked')
      .example('tsagent replay URL --rate 500', '500 lines/s')
      .example('tsagent replay log.gz --speedup 60', 'log hour per minute')
      .example('tsagent replay log.gz --delay 0.1', 'like stream_logs.py')
      .example('tsagent generate | tsagent replay -', 'generated data') as unknown as Argv<ReplayArgs>,
  handler: async (argv: ReplayArgs & { log_url?: string }) => {
    // yargs hands a lone `-` positional over as ''.
    const input = argv.input === '' ? '-' : (argv.input ?? argv.log_url ?? SEED_LOG_URL);
    const given = (['delay', 'rate', 'speedup'] as const).filter((k) => argv[k] !== undefined);
    if (given.length > 1) fail(`choose one of --delay, --rate and --speedup (got ${given.map((g) => `--${g}`).join(' and ')})`);
    for (const k of ['wait', 'retry-for', 'ack-timeout', 'progress-interval'] as const) {
      if (!(Number.isFinite(argv[k]) && argv[k] >= 0)) fail(`--${k} must be a number of seconds >= 0, got ${String(argv[k])}`);
    }
    for (const k of ['max-in-flight', 'limit', 'skip', 'port'] as const) {
      const v = argv[k];
      if (v !== undefined && !(Number.isInteger(v) && v >= (k === 'max-in-flight' || k === 'port' ? 1 : 0))) {
        fail(`--${k} must be a whole number${k === 'max-in-flight' || k === 'port' ? ' > 0' : ' >= 0'}, got ${String(v)}`);
      }
    }
    const renderer = new ProgressRenderer(process.stderr, argv['progress-interval'] * 1000);
    const controller = new AbortController();
    let interrupts = 0;
    const onSigint = (): void => {
      interrupts++;
      if (interrupts === 1) {
        renderer.notice('interrupted; waiting for replies to the lines in flight (Ctrl-C again to quit now)');
        controller.abort();
      } else {
        process.exit(130);
      }
    };
    process.on('SIGINT', onSigint);
    const opts: ReplayOptions = {
      input,
      host: argv.host,
      port: argv.port,
      ack: argv['no-ack'] !== true,
      maxInFlight: argv['max-in-flight'],
      connectWaitMs: argv.wait * 1000,
      retryForMs: argv['retry-for'] * 1000,
      ackTimeoutMs: argv['ack-timeout'] * 1000,
      signal: controller.signal,
      onNotice: (m) => renderer.notice(m),
      progressIntervalMs: renderer.tty ? 200 : Math.max(50, Math.min(1000, argv['progress-interval'] * 1000)),
    };
    if (argv.delay !== undefined) opts.delay = argv.delay;
    if (argv.rate !== undefined) opts.rate = argv.rate;
    if (argv.speedup !== undefined) opts.speedup = argv.speedup;
    if (argv.limit !== undefined) opts.limit = argv.limit;
    if (argv.skip !== undefined) opts.skip = argv.skip;
    if (argv.quiet !== true) opts.onProgress = (p) => renderer.update(p);
    if (argv.insecure === true) opts.insecure = true;
    if (argv.ca !== undefined) {
      try {
        opts.ca = readFileSync(argv.ca);
      } catch (e) {
        fail(`cannot read --ca ${argv.ca}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const printSummary = (s: ReplaySummary): void => {
      renderer.clear();
      process.stdout.write(argv.json === true ? `${JSON.stringify(s)}\n` : summaryText(s));
    };
    let summary: ReplaySummary;
    try {
      summary = await replay(opts);
    } catch (e) {
      renderer.clear();
      if (e instanceof ReplayError) {
        if (e.summary.sent > 0) printSummary(e.summary);
        throw new TsagentError(e.code, `replay: ${e.message}`, { cause: e });
      }
      if (e instanceof TsagentError) throw new TsagentError(e.code, `replay: ${e.message}`, { cause: e });
      throw e;
    } finally {
      process.off('SIGINT', onSigint);
    }
    printSummary(summary);
    if (summary.aborted) {
      // Without FAILED replies, acknowledged lines are a prefix of the input (replies come in
      // order and resends go first), so --skip resumes exactly after them.
      const hint = summary.ackMode && summary.failed === 0 && summary.rejected === 0 && summary.inFlight === 0 ? `; resume with --skip ${(argv.skip ?? 0) + summary.acked}` : '';
      throw new TsagentError('REPLAY_INTERRUPTED', `replay: interrupted after ${summary.acked} acknowledged lines${hint}`);
    }
    if (summary.rejected > 0) {
      throw new TsagentError('REPLAY_REJECTED', `replay: ${summary.rejected} lines were rejected by the source as longer than its max-line-length; raise max-line-length on the netcat source`);
    }
  },
};

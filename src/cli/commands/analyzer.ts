import type { Argv, CommandModule } from 'yargs';
import { TsagentError } from '../../core/errors.js';
import { propMap, startAnalyzer } from '../../analyzer/index.js';

interface AnalyzerArgs {
  input: string;
  'event-time'?: boolean;
  format: string;
  tz: string;
  window: string;
  slide?: string;
  watermark?: string;
  'output-mode': string;
  'num-rows': number;
  truncate?: boolean;
  queries?: string;
  'drop-malformed'?: boolean;
  json?: string;
  'batch-lines': number;
  trigger: string;
  set?: string[];
  stats?: boolean;
  workers: number;
}

export const analyzerCommand: CommandModule<object, AnalyzerArgs> = {
  command: 'analyzer',
  describe: 'Analyze a log file or stdin with the six windowed queries of the Spark job (Spark console output)',
  builder: (y: Argv<object>) =>
    y
      .option('input', { alias: 'i', type: 'string', demandOption: true, describe: 'log file (plain or .gz), or - for stdin' })
      .option('event-time', { type: 'boolean', describe: "window by each line's own timestamp (default: processing time, one batch)" })
      .option('format', { type: 'string', default: 'spark3.5', choices: ['spark3.0', 'spark3.1', 'spark3.5'], describe: 'console format: spark3.0 prints windows as [a, b], later versions as {a, b}' })
      .option('tz', { type: 'string', default: 'local', describe: 'time zone for window bounds: local, UTC, +02:00, Europe/Paris' })
      .option('window', { type: 'string', default: '60s', describe: 'window duration' })
      .option('slide', { type: 'string', describe: 'window slide (sliding windows)' })
      .option('watermark', { type: 'string', describe: 'event-time watermark delay, e.g. 10m' })
      .option('output-mode', { type: 'string', default: 'complete', choices: ['complete', 'update', 'append'] })
      .option('num-rows', { type: 'number', default: 20, describe: 'rows shown per query' })
      .option('truncate', { type: 'boolean', describe: 'cut cells to 20 characters (Spark truncate=true)' })
      .option('queries', { type: 'string', describe: 'queries to run (default: the six seed queries)' })
      .option('drop-malformed', { type: 'boolean', describe: 'do not count lines the regexes do not match' })
      .option('json', { type: 'string', describe: 'also write updated rows as JSON lines to this file' })
      .option('batch-lines', { type: 'number', default: 0, describe: 'end a micro-batch every N lines (0: the whole input is one batch)' })
      .option('trigger', { type: 'string', default: 'available', describe: 'available (as fast as possible) or an interval such as 60s (for stdin streams)' })
      .option('set', { type: 'string', array: true, describe: 'any analyzer property, e.g. --set queries.ip_traffic.filter="status = 404"' })
      .option('workers', { type: 'number', default: 1, describe: 'worker threads (whole input as one batch only)' })
      .option('stats', { type: 'boolean', describe: 'print lines, malformed lines, lines/s and peak RSS to stderr at the end' })
      .example('tsagent analyzer -i access_log_Jul95.gz --event-time --tz UTC', 'per-minute counts of a log file')
      .example('tail -F access.log | tsagent analyzer -i - --trigger 60s', 'the seed job over a live log') as unknown as Argv<AnalyzerArgs>,
  handler: async (argv: AnalyzerArgs) => {
    const p: Record<string, string | number | boolean> = {
      type: 'analyzer',
      'source.type': argv.input === '-' ? 'stdin' : 'file',
      time: argv['event-time'] ? 'event' : 'processing',
      timeZone: argv.tz,
      'window.duration': argv.window,
      outputMode: argv['output-mode'],
      trigger: argv.trigger,
      'source.maxRecordsPerBatch': argv['batch-lines'],
      malformed: argv['drop-malformed'] ? 'drop' : 'keep',
      sinks: argv.json ? 'console jsonl' : 'console',
      'sinks.console.numRows': argv['num-rows'],
      'sinks.console.truncate': argv.truncate === true,
      'sinks.console.format': argv.format,
      workers: argv.workers,
    };
    if (argv.input !== '-') p['source.file.path'] = argv.input;
    if (argv.slide) p['window.slide'] = argv.slide;
    if (argv.watermark) p.watermark = argv.watermark;
    if (argv.queries) p.queries = argv.queries;
    if (argv.json) p['sinks.jsonl.path'] = argv.json;
    for (const s of argv.set ?? []) {
      const i = s.indexOf('=');
      if (i <= 0) throw new TsagentError('ANALYZER_OPTIONS', `analyzer: --set "${s}" is not key=value`);
      p[s.slice(0, i).trim()] = s.slice(i + 1).trim();
    }
    const t0 = performance.now();
    let handle;
    try {
      handle = await startAnalyzer({
        agentName: 'analyzer', file: '(command line)', props: propMap(p), out: process.stdout,
        logger: { info: () => {}, warn: (m) => process.stderr.write(`tsagent: ${m}\n`), error: (m) => process.stderr.write(`tsagent: ${m}\n`) },
      });
    } catch (e) {
      throw new TsagentError('ANALYZER_OPTIONS', (e as Error).message);
    }
    const stop = (): void => void handle.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await handle.done;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    if (argv.stats) {
      const m = handle.engine.metrics;
      const secs = (performance.now() - t0) / 1000;
      process.stderr.write(`tsagent analyzer: ${m.lines} lines (${m.malformed} malformed, ${m.noEventTime} without event time, ${m.lateRows} late) in ${secs.toFixed(2)} s = ${Math.round(m.lines / secs)} lines/s; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB\n`);
    }
  },
};

import type { Argv, CommandModule } from 'yargs';
import { TsagentError, isTsagentError } from '../../core/errors.js';
import { writeGenerated, JULY_1995_RATE, type WriteGeneratedOptions } from '../../tools/generate.js';
import { humanBytes, parseSize, thousands } from '../../tools/units.js';

interface GenerateArgs {
  lines?: number;
  size?: string;
  seed: string;
  rate?: number;
  start?: string;
  tz: string;
  'no-diurnal'?: boolean;
  'no-quirks'?: boolean;
  output?: string;
  gzip?: boolean;
}

/** A user error: main() prints `tsagent: <message>` (no stack) and exits 1. */
function fail(message: string): never {
  throw new TsagentError('GENERATE_OPTIONS', `generate: ${message}`);
}

/** `-0400` -> -240 */
function parseZone(tz: string): number | undefined {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(tz);
  if (!m) return undefined;
  const v = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -v : v;
}

export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'Write NASA-like Common Log Format lines (deterministic for a seed) to a file or stdout',
  builder: (y: Argv<object>) =>
    y
      .option('lines', { alias: 'n', type: 'number', describe: 'number of lines (default: endless, or until --size)' })
      .option('size', { type: 'string', describe: 'stop before the output exceeds this size, e.g. 200MB, 1GiB (uncompressed)' })
      .option('seed', { type: 'string', default: '1', describe: 'PRNG seed; the same seed and options give identical output' })
      .option('rate', { type: 'number', describe: `mean lines per second of log time (default ${JULY_1995_RATE.toFixed(4)}, the July 1995 log's mean)` })
      .option('start', { type: 'string', describe: 'time of the first line, e.g. 1995-07-01T00:00:01-04:00 (the default)' })
      .option('tz', { type: 'string', default: '-0400', describe: 'time zone written in the timestamps' })
      // Spelled out: the CLI parses with boolean-negation off (flume-ng compatibility).
      .option('no-diurnal', { type: 'boolean', describe: 'flat rate instead of the day/night traffic cycle' })
      .option('no-quirks', { type: 'boolean', describe: "clean CLF, without the real log's quirks" })
      .option('output', { alias: 'o', type: 'string', describe: 'output file (default stdout)' })
      .option('gzip', { type: 'boolean', describe: 'gzip the output (default: when --output ends in .gz)' })
      .example('tsagent generate -n 1891715 -o july.log', 'a month of log')
      .example('tsagent generate -n 5 --seed 7', 'five lines to stdout')
      .example('tsagent generate | tsagent replay -', 'endless, into an agent') as unknown as Argv<GenerateArgs>,
  handler: async (argv: GenerateArgs) => {
    const opts: WriteGeneratedOptions = {};
    if (argv.lines !== undefined) {
      if (!Number.isInteger(argv.lines) || argv.lines < 0) fail(`--lines must be a whole number >= 0, got ${String(argv.lines)}`);
      opts.lines = argv.lines;
    }
    if (argv.size !== undefined) {
      const bytes = parseSize(argv.size);
      if (bytes === undefined) fail(`--size "${argv.size}" is not a size; use e.g. 500000, 200MB or 1GiB`);
      opts.bytes = bytes;
    }
    const seedNum = Number(argv.seed);
    opts.seed = /^\d+$/.test(argv.seed) && Number.isSafeInteger(seedNum) ? seedNum : argv.seed;
    if (argv.rate !== undefined) opts.rate = argv.rate;
    if (argv.start !== undefined) opts.start = argv.start;
    const zone = parseZone(argv.tz);
    if (zone === undefined) fail(`--tz "${argv.tz}" is not a zone; use e.g. -0400 or +0100`);
    opts.utcOffsetMinutes = zone;
    opts.diurnal = argv['no-diurnal'] !== true;
    opts.quirks = argv['no-quirks'] !== true;
    opts.gzip = argv.gzip ?? (argv.output?.endsWith('.gz') ?? false);
    try {
      const result = await writeGenerated(argv.output ?? process.stdout, opts);
      if (argv.output !== undefined) {
        const secs = result.elapsedMs / 1000;
        process.stderr.write(
          `tsagent generate: wrote ${thousands(result.lines)} lines (${humanBytes(result.bytes)}${opts.gzip ? ' before gzip' : ''}) to ${argv.output} in ${secs.toFixed(2)} s (${thousands(result.lines / Math.max(secs, 1e-9))} lines/s)\n`,
        );
      }
    } catch (e) {
      if (isTsagentError(e)) fail(e.message);
      fail(e instanceof Error ? e.message : String(e));
    }
  },
};

/**
 * Worker threads (`workers = 2`) give byte-for-byte the output of one thread. Runs the compiled
 * analyzer (worker threads cannot load the TypeScript sources), built into .stack/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BUILD = join(ROOT, '.stack', 'analyzer-parallel-build');
let input = '';
let plain = '';

beforeAll(() => {
  try {
    execFileSync('npx', ['tsc', 'src/analyzer/index.ts', 'src/analyzer/worker.ts', '--outDir', BUILD, '--rootDir', 'src',
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', '--strict'], { cwd: ROOT, stdio: 'pipe' });
  } catch (e) {
    if (!existsSync(join(BUILD, 'analyzer/worker.js'))) throw e;
  }
  writeFileSync(join(BUILD, 'run.mjs'), `
import { startAnalyzer, propMap } from './analyzer/index.js';
const props = JSON.parse(process.argv[2]);
const warnings = [];
const h = await startAnalyzer({ agentName: 'a', file: 'cli', props: propMap(props), out: process.stdout,
  logger: { info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) } });
await h.done;
if (warnings.length) process.stderr.write(warnings.join('\\n'));
`);
  const dir = mkdtempSync(join(tmpdir(), 'analyzer-parallel-'));
  input = join(dir, 'in.log.gz');
  // Three copies of the July sample, gzipped: several chunks per worker, windows seen by both.
  const text = gunzipSync(readFileSync(resolve(ROOT, '../shared/data/nasa/NASA_access_log_Jul95.head-124979.txt.gz')));
  writeFileSync(input, execFileSync('gzip', ['-c'], { input: Buffer.concat([text, text, text]), maxBuffer: 1 << 30 }));
  // A plain file (each worker reads its own byte range) with CRLF and CR line ends mixed in.
  plain = join(dir, 'in.log');
  const lines = text.toString('latin1').split('\n');
  writeFileSync(plain, Buffer.from(lines.map((l, i) => l + (i % 7 === 3 ? '\r\n' : i % 11 === 5 ? '\r' : '\n')).join(''), 'latin1'));
}, 300_000);

function run(props: Record<string, string | number>): { out: string; err: string } {
  const r = spawnSync(process.execPath, [join(BUILD, 'run.mjs'), JSON.stringify({ type: 'analyzer', 'source.type': 'file', 'source.file.path': input, trigger: 'available', timeZone: 'UTC', ...props })], { maxBuffer: 1 << 28, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`analyzer failed: ${r.stderr}`);
  return { out: r.stdout, err: r.stderr };
}

describe('analyzer worker threads', () => {
  it.each([
    ['event time', { time: 'event' }],
    ['processing time, 30-second sliding windows, update mode', { time: 'processing', 'window.slide': '30s', outputMode: 'update' }],
  ])('%s: 2 workers print exactly what 1 prints', (_name, props) => {
    const one = run({ ...props, workers: 1 });
    const two = run({ ...props, workers: 2 });
    expect(two.err).toBe(''); // no fallback to one thread
    expect(one.out).toContain('Batch: 0');
    expect(one.out.length).toBeGreaterThan(5000);
    if (props.time === 'processing') {
      // The batch time differs between the runs: compare with the window bounds blanked.
      const blank = (s: string): string => s.replace(/\{[^}]*\}/g, '{w}');
      expect(blank(two.out)).toBe(blank(one.out));
    } else expect(two.out).toBe(one.out);
  });

  it('a plain file read as byte ranges by 3 workers (CRLF and CR line ends): exactly what 1 worker prints', () => {
    const props = { time: 'event', 'source.file.path': plain, 'sinks.console.numRows': 50 };
    const one = run({ ...props, workers: 1 });
    const three = run({ ...props, workers: 3 });
    expect(three.err).toBe('');
    expect(one.out).toContain('Batch: 0');
    expect(three.out).toBe(one.out);
  });
});

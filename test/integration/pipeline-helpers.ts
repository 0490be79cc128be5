/**
 * Helpers for the pipeline acceptance tests: run `tsagent pipeline` / `tsagent replay` / agents
 * as real processes (bin/tsagent.js, built by `npm run build`), read HDFS and Kafka, and find
 * processes left behind.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { pythonLines } from '../../src/tools/lines.js';

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when stderr (or stdout) has a line matching re. */
  waitFor(re: RegExp, timeoutMs: number): Promise<void>;
}

export function runCli(repoRoot: string, args: string[], env: NodeJS.ProcessEnv = process.env): CliRun {
  const bin = path.join(repoRoot, 'bin', 'tsagent.js');
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does it)');
  const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const watchers: Array<{ re: RegExp; resolve: () => void }> = [];
  const check = (): void => {
    for (let i = watchers.length - 1; i >= 0; i--) if (watchers[i]!.re.test(err) || watchers[i]!.re.test(out)) { watchers[i]!.resolve(); watchers.splice(i, 1); }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; check(); });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; check(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return {
    child, exited, stdout: () => out, stderr: () => err,
    waitFor: (re, timeoutMs) => new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${String(re)} within ${timeoutMs} ms\nstderr:\n${err.slice(-3000)}`)), timeoutMs);
      void exited.then(() => { clearTimeout(t); if (re.test(err) || re.test(out)) resolve(); else reject(new Error(`exited before ${String(re)}\nstderr:\n${err.slice(-3000)}`)); });
      watchers.push({ re, resolve: () => { clearTimeout(t); resolve(); } });
      check();
    }),
  };
}

/** Processes (other than this one) whose command line contains `needle`. */
export function processesWith(needle: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes(needle) && !l.includes(' ps -eo') && Number(l.trim().split(/\s+/)[0]) !== process.pid);
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** The lines replay sends for a (gzip or plain) file: stream_logs.py semantics (src/tools/lines.ts). */
export async function replayLines(file: string): Promise<string[]> {
  const head = readFileSync(file).subarray(0, 2);
  const raw = createReadStream(file);
  const stream = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  const out: string[] = [];
  for await (const batch of pythonLines(stream as AsyncIterable<Buffer>)) for (const l of batch) out.push(l);
  return out;
}

/** Differences between two multisets of lines (empty = equal), at most `max` reported. */
export function multisetDiff(expected: readonly string[], actual: readonly string[], max = 10): string[] {
  const m = new Map<string, number>();
  for (const l of expected) m.set(l, (m.get(l) ?? 0) + 1);
  for (const l of actual) m.set(l, (m.get(l) ?? 0) - 1);
  const diffs: string[] = [];
  for (const [l, n] of m) {
    if (n === 0) continue;
    diffs.push(`${n > 0 ? `missing ${n}x` : `extra ${-n}x`}: ${JSON.stringify(l.slice(0, 120))}`);
    if (diffs.length >= max) break;
  }
  return diffs;
}

/**
 * total_requests summed over the windows of the last batch that printed the total_requests
 * table in an analyzer console log (complete mode prints every window).
 */
export function lastTotalRequests(consoleLog: string): { total: number; windows: number; batch: number } {
  const blocks = consoleLog.split(/^-{20,}\nBatch: (\d+)\n-{20,}\n/m);
  let best = { total: 0, windows: 0, batch: -1 };
  for (let i = 1; i + 1 < blocks.length; i += 2) {
    const batch = Number(blocks[i]);
    const body = blocks[i + 1]!;
    const lines = body.split('\n');
    const h = lines.findIndex((l) => /^\|\s*window\s*\|\s*total_requests\s*\|$/.test(l));
    if (h < 0) continue;
    let total = 0;
    let windows = 0;
    for (let j = h + 2; j < lines.length && lines[j]!.startsWith('|'); j++) {
      total += Number(lines[j]!.split('|')[2]!.trim());
      windows++;
    }
    if (lines.some((l) => l.startsWith('only showing top'))) throw new Error('the total_requests table was cut (more windows than numRows)');
    if (batch >= best.batch) best = { total, windows, batch };
  }
  return best;
}

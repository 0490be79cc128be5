/**
 * Running tsagent agents as real processes (the CLI, `bin/tsagent.js`, compiled by `npm run build`)
 * for the Kafka end-to-end tests: start, wait for a port, SIGTERM / SIGKILL, logs to a file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readdirSync, readFileSync, closeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface AgentProcess {
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  log(): string;
}

export function cliPath(repoRoot: string): string {
  const p = path.join(repoRoot, 'bin', 'tsagent.js');
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` first (npm test does it)');
  }
  return p;
}

export function startAgent(repoRoot: string, confFile: string, name: string, logFile: string, extraArgs: string[] = []): AgentProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [cliPath(repoRoot), 'agent', '-f', confFile, '-n', name, '--no-reload-conf', ...extraArgs], {
    cwd: repoRoot, stdio: ['ignore', fd, fd], env: { ...process.env },
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, logFile, exited, log: () => readFileSync(logFile, 'utf8') };
}

export async function stopAgent(a: AgentProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<void> {
  if (a.child.exitCode !== null || a.child.signalCode !== null) return;
  a.child.kill(signal);
  const t = setTimeout(() => a.child.kill('SIGKILL'), timeoutMs);
  await a.exited;
  clearTimeout(t);
}

export async function waitForPort(port: number, host: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
}

/** Every line of every file in `dir` (file_roll output). */
export function readRolledLines(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (const l of lines) out.push(l);
  }
  return out;
}

/** Counts lines containing `tag`: occurrences per line. */
export function countTagged(lines: readonly string[], tag: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) if (l.includes(tag)) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
}

/** Number of lines in every file of `dir` (cheap: counts newline bytes). */
export function countNewlines(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) {
    const b = readFileSync(path.join(dir, f));
    let i = -1;
    while ((i = b.indexOf(10, i + 1)) !== -1) n++;
  }
  return n;
}

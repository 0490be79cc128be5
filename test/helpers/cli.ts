import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'tsagent.js');

export function assertBuilt(): void {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  }
}

export interface RunResult { code: number | null; stdout: string; stderr: string }

/** Runs the CLI to completion. */
export function runCli(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`timeout: tsagent ${args.join(' ')}\n${stderr}`)); }, opts.timeoutMs ?? 30000);
    p.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

/** Starts a long-running agent; resolves once `readyText` appears on stderr. */
export function startAgent(args: string[], readyText = 'started from', timeoutMs = 15000): Promise<{ proc: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    let out = '';
    const exited = new Promise<number | null>((r) => proc.on('close', (c) => r(c)));
    const t = setTimeout(() => reject(new Error(`agent did not start: ${out}`)), timeoutMs);
    const on = (d: Buffer): void => {
      out += d.toString();
      if (out.includes(readyText)) { clearTimeout(t); resolve({ proc, output: () => out, exited }); }
    };
    proc.stderr!.on('data', on);
    proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    void exited.then((c) => { clearTimeout(t); if (!out.includes(readyText)) reject(new Error(`agent exited ${c}: ${out}`)); });
  });
}

export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const a = s.address() as { port: number }; s.close(() => resolve(a.port)); });
  });
}

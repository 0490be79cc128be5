/**
 * Child processes of the pipeline runner (the agents, the analyzer, stack.sh).
 *
 * Every child runs in its own process group (`detached`), so a terminal Ctrl-C reaches only the
 * runner, which then stops the children in order: SIGTERM to the group, SIGKILL after a timeout.
 * Output goes to a log file in the run directory; lines are also handed to `onLine` (to show
 * warnings/errors with a prefix, or the analyzer's console output live).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface ChildOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Called for each complete output line (stdout and stderr). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export class Child {
  readonly name: string;
  readonly logFile: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly log: WriteStream;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly waiters: Array<{ re: RegExp; stream: 'stdout' | 'stderr' | 'any'; resolve: (line: string) => void }> = [];
  private tail: string[] = [];

  constructor(o: ChildOptions) {
    this.name = o.name;
    this.logFile = o.logFile;
    this.log = createWriteStream(o.logFile, { flags: 'a' });
    const so: SpawnOptions = { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true };
    this.proc = spawn(o.command, o.args, so);
    this.exited = new Promise((resolve) => {
      this.proc.once('close', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      this.proc.once('error', (e) => {
        this.log.write(`[runner] could not start ${o.command}: ${e.message}\n`);
        this.exitInfo = { code: 127, signal: null };
        resolve(this.exitInfo);
      });
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = '';
      const s = this.proc[stream];
      if (!s) continue;
      s.setEncoding('utf8');
      s.on('data', (chunk: string) => {
        this.log.write(chunk);
        const text = partial + chunk;
        const parts = text.split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) this.onLine(line, stream, o.onLine);
      });
      s.on('end', () => { if (partial) this.onLine(partial, stream, o.onLine); partial = ''; });
    }
  }

  private onLine(line: string, stream: 'stdout' | 'stderr', cb: ChildOptions['onLine']): void {
    this.tail.push(line);
    if (this.tail.length > 40) this.tail.shift();
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if ((w.stream === 'any' || w.stream === stream) && w.re.test(line)) {
        this.waiters.splice(i, 1);
        w.resolve(line);
      }
    }
    cb?.(line, stream);
  }

  get pid(): number | undefined { return this.proc.pid; }
  get running(): boolean { return this.exitInfo === null && this.proc.pid !== undefined; }
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | null { return this.exitInfo; }
  lastLines(n = 20): string { return this.tail.slice(-n).join('\n'); }

  /**
   * Resolves with the first line matching `re`; rejects when the process exits first, when the
   * timeout passes, or when `signal` aborts.
   */
  waitFor(re: RegExp, stream: 'stdout' | 'stderr' | 'any', timeoutMs: number, what: string, signal?: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      const w = { re, stream, resolve: (l: string) => { cleanup(); resolve(l); } };
      const onAbort = (): void => { cleanup(); reject(new Error('interrupted')); };
      this.waiters.push(w);
      timer = setTimeout(() => { cleanup(); reject(new Error(`${this.name}: no ${what} within ${Math.round(timeoutMs / 1000)} s (log: ${this.logFile})\n${this.lastLines()}`)); }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      void this.exited.then((e) => {
        if (!this.waiters.includes(w)) return;
        cleanup();
        reject(new Error(`${this.name} exited (${e.signal ?? `status ${String(e.code)}`}) before ${what} (log: ${this.logFile})\n${this.lastLines()}`));
      });
    });
  }

  /** Signal the whole process group (the child and anything it started). */
  signal(sig: NodeJS.Signals): void {
    const pid = this.proc.pid;
    if (pid === undefined || this.exitInfo !== null) return;
    try { process.kill(-pid, sig); } catch { try { this.proc.kill(sig); } catch { /* gone */ } }
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`. Resolves when the process has exited. */
  async stop(timeoutMs: number, sig: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
    let killed = false;
    if (this.exitInfo === null && this.proc.pid !== undefined) {
      this.signal(sig);
      const t = setTimeout(() => { killed = true; this.signal('SIGKILL'); }, timeoutMs);
      await this.exited;
      clearTimeout(t);
    }
    // Anything left in the group (should be nothing) goes too.
    const pid = this.proc.pid;
    if (pid !== undefined) { try { process.kill(-pid, 'SIGKILL'); } catch { /* group empty */ } }
    await new Promise<void>((r) => this.log.end(r));
    const e = (await this.exited);
    return { ...e, killed };
  }
}

/**
 * A small local record of the in-use files an HDFS sink has open, with the number of bytes of
 * each that belong to committed transactions. After a crash (kill -9) the next start knows
 * exactly which `.tmp` files were its own and where their committed data ends, instead of
 * guessing from names (another agent may be writing files with the same prefix right now).
 *
 * One JSON file per process: `<dir>/<key>.<pid>.json`, replaced atomically (write + rename).
 * At start, files of the same key whose process is gone are adopted. Written before every
 * CREATE of a new file and after every write, before the channel transaction commits (so a
 * crash in between leads to a duplicate on redelivery, never to a truncated committed event).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export interface StateEntry {
  inUsePath: string;
  finalPath: string;
  committed: number;
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSAGENT_STATE_DIR ? path.join(env.TSAGENT_STATE_DIR, 'hdfs') : path.join(homedir(), '.tsagent', 'state', 'hdfs');
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SinkState {
  readonly entries = new Map<string, StateEntry>();
  private readonly file: string;
  private dirty = false;

  constructor(private readonly dir: string, private readonly key: string) {
    this.file = path.join(dir, `${key}.${process.pid}.json`);
  }

  /** Entries of crashed processes with the same key; their state files are removed (adopted). */
  adoptOrphans(): StateEntry[] {
    if (!existsSync(this.dir)) return [];
    const out: StateEntry[] = [];
    const re = new RegExp(`^${this.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.json$`);
    for (const name of readdirSync(this.dir)) {
      const m = re.exec(name);
      // Our own pid: a previous start of this sink in this process (reload).
      const own = m !== null && Number(m[1]) === process.pid;
      if (!m || (!own && alive(Number(m[1])))) continue;
      const p = path.join(this.dir, name);
      try {
        const j = JSON.parse(readFileSync(p, 'utf8')) as { files?: StateEntry[] };
        for (const e of j.files ?? []) {
          if (typeof e.inUsePath === 'string' && typeof e.finalPath === 'string' && typeof e.committed === 'number') {
            out.push(e);
            this.entries.set(e.inUsePath, e);
          }
        }
      } catch { /* unreadable: ignore */ }
      this.dirty = true;
      this.save();
      if (!own) unlinkSync(p);
    }
    return out;
  }

  set(inUsePath: string, finalPath: string, committed: number): void {
    const e = this.entries.get(inUsePath);
    if (e && e.committed === committed) return;
    this.entries.set(inUsePath, { inUsePath, finalPath, committed });
    this.dirty = true;
  }

  remove(inUsePath: string): void {
    if (this.entries.delete(inUsePath)) this.dirty = true;
  }

  /** Writes the record if it changed (atomic replace); removes it when empty. */
  save(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.entries.size === 0) {
      if (existsSync(this.file)) unlinkSync(this.file);
      return;
    }
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, files: [...this.entries.values()] }));
    renameSync(tmp, this.file);
  }
}

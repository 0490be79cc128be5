/**
 * TAILDIR position file: Flume's JSON array `[{"inode":123,"pos":456,"file":"/abs/path"}]`,
 * written compactly (as Gson does) via a temp file + rename so a crash never leaves half a file.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface PositionEntry { inode: number; pos: number; file: string }

export function readPositions(file: string): { entries: PositionEntry[]; problem?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [] };
    return { entries: [], problem: (e as Error).message };
  }
  if (text.trim() === '') return { entries: [] };
  try {
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v)) return { entries: [], problem: 'not a JSON array' };
    const entries: PositionEntry[] = [];
    for (const x of v) {
      const o = x as Record<string, unknown>;
      if (typeof o.inode === 'number' && typeof o.pos === 'number' && typeof o.file === 'string') {
        entries.push({ inode: o.inode, pos: o.pos, file: o.file });
      }
    }
    return { entries };
  } catch (e) {
    return { entries: [], problem: (e as Error).message };
  }
}

export function writePositions(file: string, entries: readonly PositionEntry[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(entries.map((e) => ({ inode: e.inode, pos: e.pos, file: e.file }))));
  fs.renameSync(tmp, file);
}

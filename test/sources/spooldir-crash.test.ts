/**
 * spooldir -> file channel -> file_roll through the real CLI, killed with SIGKILL while a big
 * file is being ingested, then restarted: every line reaches the output (at-least-once: lines of
 * the batch in flight at the kill may appear twice), and the file ends up .COMPLETED.
 * `npm run build` first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAgent } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';

function outLines(dir: string): string[] {
  return fs.readdirSync(dir).flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l !== ''));
}

const until = (cond: () => boolean, ms: number): Promise<boolean> => waitUntil(cond, ms, 50);

describe('spooldir survives kill -9', () => {
  it('resumes a half-ingested file after SIGKILL: no line lost', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-crash-'));
    for (const d of ['spool', 'out']) fs.mkdirSync(path.join(dir, d));
    const f = path.join(dir, 'agent.conf');
    fs.writeFileSync(f, `a.sources = r
a.channels = c
a.sinks = k
a.sources.r.type = spooldir
a.sources.r.spoolDir = ${dir}/spool
a.sources.r.batchSize = 100
a.sources.r.channels = c
a.channels.c.type = file
a.channels.c.checkpointDir = ${dir}/ck
a.channels.c.dataDirs = ${dir}/data
a.channels.c.transactionCapacity = 1000
a.sinks.k.type = file_roll
a.sinks.k.sink.directory = ${dir}/out
a.sinks.k.sink.rollInterval = 0
a.sinks.k.sink.batchSize = 100
a.sinks.k.channel = c
`);
    const lines = Array.from({ length: 150_000 }, (_, i) => `line-${i}`);
    fs.writeFileSync(path.join(dir, 'big.log.tmp'), lines.join('\n') + '\n');
    fs.renameSync(path.join(dir, 'big.log.tmp'), path.join(dir, 'spool', 'big.log'));
    const a = await startAgent(['-f', f, '-n', 'a', '--no-reload-conf']);
    // Kill once part of the file is in the output.
    expect(await until(() => outLines(path.join(dir, 'out')).length > 10_000, 30000)).toBe(true);
    a.proc.kill('SIGKILL');
    await a.exited;
    const before = outLines(path.join(dir, 'out')).length;
    expect(before).toBeLessThan(lines.length);
    expect(fs.existsSync(path.join(dir, 'spool', 'big.log'))).toBe(true);
    const b = await startAgent(['-f', f, '-n', 'a', '--no-reload-conf']);
    expect(await until(() => fs.existsSync(path.join(dir, 'spool', 'big.log.COMPLETED')), 60000)).toBe(true);
    expect(await until(() => new Set(outLines(path.join(dir, 'out'))).size === lines.length, 30000)).toBe(true);
    b.proc.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    const out = outLines(path.join(dir, 'out'));
    const set = new Set(out);
    expect(lines.filter((l) => !set.has(l))).toEqual([]);
    expect(out.filter((l) => !l.startsWith('line-'))).toEqual([]);
    // Re-sent: at most the batches between the last recorded offset and the kill, plus the sink's in-flight batch.
    expect(out.length - set.size).toBeLessThanOrEqual(1000);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});

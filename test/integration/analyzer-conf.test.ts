/**
 * The shipped conf/log-analysis.conf, run as the seed's deployment would run it:
 * `tsagent -f conf/log-analysis.conf -n analyzer` (the compiled CLI, `npm run build`) against the
 * stack's broker (localhost:9092, topic apache_logs). At start it prints Spark's Batch 0: the six
 * empty tables, in the seed's query order, with the seed's column names; SIGTERM stops it cleanly.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

const empty = (cols: string[]): string => {
  const sep = '+' + cols.map((c) => '-'.repeat(Math.max(3, c.length))).join('+') + '+\n';
  return '-------------------------------------------\nBatch: 0\n-------------------------------------------\n'
    + sep + '|' + cols.map((c) => c.padEnd(3)).join('|') + '|\n' + sep + sep + '\n';
};

describe('conf/log-analysis.conf', () => {
  it('starts on the stack broker, prints the seed\'s six empty Batch 0 tables, stops on SIGTERM', async () => {
    const cli = join(ROOT, 'bin/tsagent.js');
    expect(existsSync(join(ROOT, 'dist/analyzer/index.js')), 'run `npm run build` first').toBe(true);
    // The shipped file unmodified, plus an overlay (a second -f, later keys win) that only gives
    // this run a fresh consumer group: a group with committed offsets from an earlier run on the
    // same broker would resume there instead of at `latest`.
    const overlay = join(mkdtempSync(join(tmpdir(), 'analyzer-conf-')), 'group.conf');
    writeFileSync(overlay, `analyzer.source.kafka.groupId = analyzer-conf-test-${Date.now()}\n`);
    const child = spawn(process.execPath, [cli, 'agent', '-f', 'conf/log-analysis.conf', '-f', overlay, '-n', 'analyzer'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const want = [
      empty(['window', 'total_requests']),
      empty(['window', 'status', 'count']),
      empty(['window', 'endpoint', 'count']),
      empty(['window', 'method', 'count']),
      empty(['window', 'ip', 'count']),
      empty(['window', 'status', 'count']),
    ].join('');
    const end = Date.now() + 60_000;
    while (out.length < want.length && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    try {
      expect(out.slice(0, want.length), err).toBe(want);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(0);
  }, 120_000);
});

/** The replay and generate sub-commands through the real CLI (bin/tsagent.js, needs `npm run build`). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BIN, freePort, runCli, type RunResult } from '../helpers/cli.js';
import { FakeNetcat } from './fake-netcat.js';

function runWithStdin(args: string[], stdin: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(stdin);
  });
}

const dir = mkdtempSync(path.join(tmpdir(), 'tsagent-tools-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const servers: FakeNetcat[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('tsagent generate', () => {
  it('writes the requested lines to a file, identical for the same seed, and reports on stderr', async () => {
    const a = path.join(dir, 'a.log');
    const r = await runCli(['generate', '-n', '2000', '--seed', '7', '-o', a]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^tsagent generate: wrote 2,000 lines \(.*\) to .*a\.log in [\d.]+ s/);
    const b = await runCli(['generate', '-n', '2000', '--seed', '7']);
    expect(b.stdout).toBe(readFileSync(a, 'latin1'));
    expect(b.stdout.split('\n')).toHaveLength(2001);
  });

  it('accepts --no-quirks, --no-diurnal, --start, --tz and --rate', async () => {
    const r = await runCli(['generate', '-n', '3', '--no-quirks', '--no-diurnal', '--start', '2020-02-29T12:00:00Z', '--tz', '+0000', '--rate', '1000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\S+ - - \[29\/Feb\/2020:12:00:00 \+0000\] "GET /);
  });

  it.each([
    [['generate', '--size', '1x'], 'tsagent: generate: --size "1x" is not a size; use e.g. 500000, 200MB or 1GiB'],
    [['generate', '--tz', 'EST'], 'tsagent: generate: --tz "EST" is not a zone; use e.g. -0400 or +0100'],
    [['generate', '-n', '1', '--rate', '0'], 'tsagent: generate: rate must be a number of lines per second > 0, got 0'],
  ])('refuses %j with one clear line', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(message);
  });
});

describe('tsagent replay', () => {
  it('replays a gzip file and prints the summary (JSON with --json)', async () => {
    const server = await new FakeNetcat().listen();
    servers.push(server);
    const lines = Array.from({ length: 3000 }, (_, i) => `l${i}`);
    const f = path.join(dir, 'in.log.gz');
    writeFileSync(f, gzipSync(lines.join('\n') + '\n'));
    const r = await runCli(['replay', f, '--host', '127.0.0.1', '--port', String(server.port), '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(s).toMatchObject({ linesRead: 3000, acked: 3000, complete: true, input: f });
    expect(server.committed).toEqual(lines);
  });

  it('prints plain progress lines when stderr is not a terminal, and a text summary', async () => {
    const server = await new FakeNetcat().listen();
    servers.push(server);
    const f = path.join(dir, 'slow.log');
    writeFileSync(f, Array.from({ length: 600 }, (_, i) => `p${i}`).join('\n'));
    const r = await runCli(['replay', f, '--host', '127.0.0.1', '--port', String(server.port), '--rate', '1000', '--progress-interval', '0.2']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/tsagent replay: (\d+\.\d% )?[\d,]+ lines acked, [\d,]+ lines\/s/);
    expect(r.stdout).toMatch(/replay summary\n {2}input +.*slow\.log/);
    expect(r.stdout).toMatch(/ {2}acknowledged +600\n/);
    expect(r.stdout).toMatch(/ {2}result +complete\n/);
  });

  it('reads stdin with -', async () => {
    const server = await new FakeNetcat().listen();
    servers.push(server);
    const r = await runWithStdin(['replay', '-', '--host', '127.0.0.1', '--port', String(server.port), '--json'], 'x\ny\n');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ input: 'stdin', acked: 2 });
    expect(server.committed).toEqual(['x', 'y']);
  });

  it('sends without waiting for replies with --no-ack', async () => {
    const server = await new FakeNetcat({ ack: false }).listen();
    servers.push(server);
    const f = path.join(dir, 'noack.log');
    writeFileSync(f, 'a\nb\nc\n');
    const r = await runCli(['replay', f, '--host', '127.0.0.1', '--port', String(server.port), '--no-ack', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ sent: 3, ackMode: false, complete: true });
    expect(server.committed).toEqual(['a', 'b', 'c']);
  });

  it.each<[string, () => Promise<string[]>, RegExp]>([
    ['a missing file', async () => ['replay', path.join(dir, 'missing.log')], /^tsagent: replay: file not found: .*missing\.log$/],
    ['a non-gzip .gz', async () => {
      const f = path.join(dir, 'not.gz');
      writeFileSync(f, 'hello\n');
      return ['replay', f];
    }, /^tsagent: replay: .*not\.gz is not gzip data/],
    ['a bad URL', async () => ['replay', 'http://'], /^tsagent: replay: bad URL "http:\/\/"$/],
    ['an unsupported URL scheme', async () => ['replay', 'sftp://host/x.log'], /^tsagent: replay: unsupported URL scheme "sftp:"/],
    ['two pacing options', async () => ['replay', 'x.log', '--delay', '0.1', '--rate', '5'], /^tsagent: replay: choose one of --delay, --rate and --speedup \(got --delay and --rate\)$/],
    ['a closed port', async () => {
      const f = path.join(dir, 'one.log');
      writeFileSync(f, 'x\n');
      return ['replay', f, '--host', '127.0.0.1', '--port', String(await freePort())];
    }, /^tsagent: replay: cannot connect to 127\.0\.0\.1:\d+: connection refused \(is the agent with its netcat source running\?\)$/],
  ])('fails on %s with one line on stderr and exit code 1', async (_name, args, message) => {
    const r = await runCli(await args());
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

/**
 * The real CLI with a file channel, killed with SIGKILL mid-stream and restarted on the same
 * directories (netcat -> file channel -> file_roll): every line the netcat source acknowledged
 * (OK = committed to the file channel) is in the output after the restart; nothing unknown
 * appears; duplicates are limited to the sink batch that was in flight at the kill
 * (at-least-once, as Flume). `npm run build` first.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startAgent } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';

function conf(dir: string, port: number): string {
  const f = path.join(dir, 'agent.conf');
  fs.writeFileSync(f, `a.sources = r
a.channels = c
a.sinks = k
a.sources.r.type = netcat
a.sources.r.bind = 127.0.0.1
a.sources.r.port = ${port}
a.sources.r.channels = c
a.channels.c.type = file
a.channels.c.checkpointDir = ${dir}/checkpoint
a.channels.c.dataDirs = ${dir}/data
a.channels.c.checkpointInterval = 500
a.channels.c.maxFileSize = 262144
a.channels.c.transactionCapacity = 1000
a.sinks.k.type = file_roll
a.sinks.k.sink.directory = ${dir}/out
a.sinks.k.sink.rollInterval = 0
a.sinks.k.sink.batchSize = 100
a.sinks.k.channel = c
`);
  return f;
}

function outLines(dir: string): string[] {
  return fs.readdirSync(path.join(dir, 'out')).flatMap((f) => fs.readFileSync(path.join(dir, 'out', f), 'utf8').split('\n').filter((l) => l !== ''));
}

/** Sends lines pipelined and counts OKs (replies come in line order) until the socket dies. */
function send(port: number, lines: string[]): { acked: () => number; closed: Promise<void> } {
  let ok = 0;
  const s = net.connect(port, '127.0.0.1');
  let buf = '';
  s.on('data', (d) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) { if (buf.slice(0, i) === 'OK') ok++; buf = buf.slice(i + 1); }
  });
  const closed = new Promise<void>((r) => { s.on('close', () => r()); s.on('error', () => r()); });
  s.on('connect', () => {
    let i = 0;
    const pump = (): void => {
      while (i < lines.length) {
        const chunk = lines.slice(i, i + 500).join('\n') + '\n';
        i += 500;
        if (!s.write(chunk)) { s.once('drain', pump); return; }
      }
    };
    pump();
  });
  return { acked: () => ok, closed };
}

const until = (cond: () => boolean, ms: number): Promise<boolean> => waitUntil(cond, ms, 200);

describe('file channel through the CLI: kill -9 and restart', () => {
  it('three kills mid-stream: every acknowledged line is written after the restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-cli-crash-'));
    fs.mkdirSync(path.join(dir, 'out'));
    const port = await freePort();
    const f = conf(dir, port);
    const ackedAll: string[] = [];
    const sentAll = new Set<string>();
    for (let round = 0; round < 3; round++) {
      const a = await startAgent(['-f', f, '-n', 'a', '--no-reload-conf']);
      const lines = Array.from({ length: 50_000 }, (_, i) => `r${round}-${i}`);
      for (const l of lines) sentAll.add(l);
      const c = send(port, lines);
      await until(() => c.acked() > 2000, 20000);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
      a.proc.kill('SIGKILL');
      await a.exited;
      await c.closed;
      const k = c.acked();
      expect(k).toBeGreaterThan(0);
      ackedAll.push(...lines.slice(0, k));
    }
    // Restart once more and let the sink drain what the channel kept.
    const a = await startAgent(['-f', f, '-n', 'a', '--no-reload-conf']);
    const have = (): Set<string> => new Set(outLines(dir));
    await until(() => { const h = have(); return ackedAll.every((l) => h.has(l)); }, 30000);
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    const out = outLines(dir);
    const set = new Set(out);
    expect(ackedAll.filter((l) => !set.has(l)), 'acknowledged but lost').toEqual([]);
    expect(out.filter((l) => !sentAll.has(l)), 'never sent').toEqual([]);
    // At-least-once: only the batch in flight at each kill may be written twice.
    expect(out.length - set.size).toBeLessThanOrEqual(3 * 100);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('SIGTERM with a backlog: the agent exits at once (no drain wait, no "lost" warning) and delivers it after the restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-cli-backlog-'));
    const port = await freePort();
    const f = conf(dir, port); // out/ does not exist yet: the sink cannot start
    const a = await startAgent(['-f', f, '-n', 'a', '--no-reload-conf']);
    const lines = Array.from({ length: 500 }, (_, i) => `b-${i}`);
    const c = send(port, lines);
    expect(await until(() => c.acked() === 500, 20000)).toBe(true);
    const t0 = Date.now();
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(a.output()).not.toMatch(/are lost/);
    fs.mkdirSync(path.join(dir, 'out'));
    const b = await startAgent(['-f', f, '-n', 'a', '--no-reload-conf']);
    expect(await until(() => outLines(dir).length >= 500, 20000)).toBe(true);
    b.proc.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(outLines(dir)).toEqual(lines);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});

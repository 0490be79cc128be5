import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, runCli, startAgent } from '../helpers/cli.js';

function conf(dir: string, port: number, extra = '', channel = 'capacity = 100000\na.channels.c.transactionCapacity = 1000'): string {
  const f = path.join(dir, 'agent.conf');
  writeFileSync(f, `a.sources = r
a.channels = c
a.sinks = k
a.sources.r.type = netcat
a.sources.r.bind = 127.0.0.1
a.sources.r.port = ${port}
a.sources.r.channels = c
a.channels.c.type = memory
a.channels.c.${channel}
a.sinks.k.type = file_roll
a.sinks.k.sink.directory = ${dir}/out
a.sinks.k.sink.rollInterval = 0
a.sinks.k.sink.batchSize = 1000
a.sinks.k.channel = c
${extra}`);
  return f;
}

function outLines(dir: string): string[] {
  const files = readdirSync(path.join(dir, 'out')).sort();
  return files.flatMap((f) => readFileSync(path.join(dir, 'out', f), 'utf8').split('\n').filter((l) => l !== ''));
}

/** Sends lines on one connection, pipelined; resolves with how many OK came back. */
function sendLines(port: number, lines: string[], opts: { stopAfterMs?: number } = {}): Promise<{ ok: number; other: number }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let ok = 0;
    let other = 0;
    let buf = '';
    const done = (): void => { s.destroy(); resolve({ ok, other }); };
    s.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { if (buf.slice(0, i) === 'OK') ok++; else other++; buf = buf.slice(i + 1); }
      if (ok + other >= lines.length) done();
    });
    s.on('close', done);
    s.on('error', done);
    s.on('connect', () => {
      const CH = 1000;
      let i = 0;
      const pump = (): void => {
        while (i < lines.length) {
          const chunk = lines.slice(i, i + CH).join('\n') + '\n';
          i += CH;
          if (!s.write(chunk)) { s.once('drain', pump); return; }
        }
      };
      pump();
    });
    if (opts.stopAfterMs) setTimeout(done, opts.stopAfterMs);
  });
}

describe('tsagent agent (netcat -> memory -> file_roll)', () => {
  it('100,000 lines over 10 connections: each acknowledged once, written once, in per-connection order', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ts-agent-'));
    const port = await freePort();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'out'));
    const a = await startAgent(['-f', conf(dir, port), '-n', 'a', '--no-reload-conf']);
    const conns = 10;
    const per = 10_000;
    const results = await Promise.all(Array.from({ length: conns }, (_, c) =>
      sendLines(port, Array.from({ length: per }, (_, i) => `conn${c} line${i}`))));
    for (const r of results) expect(r).toEqual({ ok: per, other: 0 });
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    const lines = outLines(dir);
    expect(lines).toHaveLength(conns * per);
    expect(new Set(lines).size).toBe(conns * per);
    for (let c = 0; c < conns; c++) {
      const seq = lines.filter((l) => l.startsWith(`conn${c} `)).map((l) => Number(l.split('line')[1]));
      expect(seq).toEqual(Array.from({ length: per }, (_, i) => i));
    }
  });

  it('SIGTERM while events are in flight: every acknowledged line is written, exit 0 within 10 s', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ts-agent-'));
    const port = await freePort();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'out'));
    const a = await startAgent(['-f', conf(dir, port), '-n', 'a', '--no-reload-conf']);
    const lines = Array.from({ length: 300_000 }, (_, i) => `line-${i}`);
    // Count the OKs as they come; stop the agent mid-stream.
    let acked = 0;
    const sender = new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let buf = '';
      s.on('data', (d) => { buf += d.toString(); let i; while ((i = buf.indexOf('\n')) >= 0) { if (buf.slice(0, i) === 'OK') acked++; buf = buf.slice(i + 1); } });
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      s.on('connect', () => { s.write(lines.join('\n') + '\n'); });
    });
    await new Promise((r) => setTimeout(r, 150));
    const t0 = Date.now();
    a.proc.kill('SIGTERM');
    const code = await a.exited;
    await sender;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(acked).toBeGreaterThan(0);
    const written = outLines(dir);
    // Acknowledged lines are a prefix of the stream (one connection): all must be in the output.
    const set = new Set(written);
    for (let i = 0; i < acked; i++) expect(set.has(`line-${i}`)).toBe(true);
    expect(new Set(written).size).toBe(written.length);
  });

  it('serves Flume-shaped JSON metrics over HTTP with -Dflume.monitoring.type=http', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ts-agent-'));
    const port = await freePort();
    const mport = await freePort();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'out'));
    const a = await startAgent(['-f', conf(dir, port), '-n', 'a', '-Dflume.monitoring.type=http', `-Dflume.monitoring.port=${mport}`]);
    await sendLines(port, ['a', 'b', 'c']);
    await new Promise((r) => setTimeout(r, 200));
    const res = await fetch(`http://127.0.0.1:${mport}/metrics`);
    const j = (await res.json()) as Record<string, Record<string, string>>;
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(j['CHANNEL.c']).toMatchObject({ Type: 'CHANNEL', EventPutSuccessCount: '3', ChannelCapacity: '100000' });
    expect(j['SINK.k']).toMatchObject({ Type: 'SINK', EventDrainSuccessCount: '3' });
    expect(j['SOURCE.r']).toBeUndefined(); // Flume's netcat source reports no counters
    expect((await fetch(`http://127.0.0.1:${mport}/nope`)).status).toBe(404);
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  });

  it('reloads when the file changes and restarts only what changed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ts-agent-'));
    const port = await freePort();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'out'));
    const f = conf(dir, port);
    const a = await startAgent(['-f', f, '-n', 'a', '--poll-interval', '0.2']);
    await sendLines(port, ['before']);
    // Change only the sink's batch size: the source keeps its socket, the channel its events.
    await new Promise((r) => setTimeout(r, 50));
    writeFileSync(f, readFileSync(f, 'utf8').replace('sink.batchSize = 1000', 'sink.batchSize = 10'));
    const deadline = Date.now() + 5000;
    while (!a.output().includes('Configuration reloaded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(a.output()).toContain('Reloading configuration file');
    const reloadLog = a.output().slice(a.output().indexOf('Reloading configuration file'));
    expect(reloadLog).toContain('Stopping Sink k');
    expect(reloadLog).not.toContain('Stopping Source r');
    expect(await sendLines(port, ['after'])).toEqual({ ok: 1, other: 0 });
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(outLines(dir).sort()).toEqual(['after', 'before']);
  });

  it('refuses to start on config errors with exit 78, and --lenient runs what is valid', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ts-agent-'));
    const port = await freePort();
    const f = conf(dir, port, 'a.sinks = k k2\na.sinks.k2.type = null\na.sinks.k2.channel = c\na.sinks.k2.batchSize = 5000\n');
    const strict = await runCli(['-f', f, '-n', 'a']);
    expect(strict.code).toBe(78);
    expect(strict.stderr).toContain("Incompatible sink and channel settings defined. sink's batch size is greater than the channels transaction capacity");
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'out'));
    const a = await startAgent(['-f', f, '-n', 'a', '--lenient', '--no-reload-conf']);
    expect(a.output()).toContain('component dropped');
    expect(await sendLines(port, ['x'])).toEqual({ ok: 1, other: 0 });
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  });

  it('retries a source that cannot bind every 3 s until the port is free (Flume supervisor)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ts-agent-'));
    const port = await freePort();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'out'));
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    const a = await startAgent(['-f', conf(dir, port), '-n', 'a', '--no-reload-conf']);
    expect(a.output()).toMatch(/Unable to start Source r - Exception follows\. Unable to bind to socket/);
    await new Promise<void>((r) => blocker.close(() => r()));
    const deadline = Date.now() + 8000;
    while (!a.output().includes('Created serverSocket') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await sendLines(port, ['late'])).toEqual({ ok: 1, other: 0 });
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(outLines(dir)).toEqual(['late']);
  });
});

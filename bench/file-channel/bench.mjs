#!/usr/bin/env node
/**
 * File channel throughput, tsagent vs the real Apache Flume 1.11.0 (stack/flume.sh), same
 * configuration, same machine: seq source (batchSize B) -> file channel (fsyncPerTransaction
 * true, the default) -> null sink (batchSize B). Every source commit and every sink commit is
 * one fsync'd transaction.
 *
 * events/s = N / (time from the source's start (its StartTime counter, epoch ms) until the
 * sink's N-th committed take is seen in the agent's HTTP metrics (-Dflume.monitoring.type=http,
 * polled every 50 ms)). The source's StartTime is used rather than the first poll that shows a
 * put because tsagent's event loop may answer the first poll late while the source is busy.
 *
 *   npm run build
 *   node bench/file-channel/bench.mjs [--batches 1,100,1000] [--only tsagent|flume] [--json out.json]
 */
import { spawn } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const argOf = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const batches = argOf('--batches', '1,100,1000').split(',').map(Number);
const only = argOf('--only', undefined);
const jsonOut = argOf('--json', undefined);
const EVENTS = { 1: 5000, 10: 30000, 100: 200000, 1000: 500000 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => resolve(a.port)); });
  });
}

function conf(dir, batch, n) {
  return `a.sources = r
a.channels = c
a.sinks = k
a.sources.r.type = seq
a.sources.r.batchSize = ${batch}
a.sources.r.totalEvents = ${n}
a.sources.r.channels = c
a.channels.c.type = file
a.channels.c.checkpointDir = ${dir}/checkpoint
a.channels.c.dataDirs = ${dir}/data
a.channels.c.capacity = 1000000
a.channels.c.transactionCapacity = ${Math.max(batch, 100)}
a.sinks.k.type = null
a.sinks.k.batchSize = ${batch}
a.sinks.k.channel = c
`;
}

async function metrics(port) {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/metrics`);
    return await r.json();
  } catch { return undefined; }
}

/** Median latency (µs) of a 4 KiB append + fdatasync in `dir`: the disk's state right now. */
function fsyncProbe(dir) {
  const f = path.join(dir, 'probe');
  const fd = openSync(f, 'w');
  const b = Buffer.alloc(4096, 1);
  const t = [];
  for (let i = 0; i < 100; i++) {
    const s = process.hrtime.bigint();
    writeSync(fd, b);
    fdatasyncSync(fd);
    t.push(Number(process.hrtime.bigint() - s) / 1000);
  }
  closeSync(fd);
  rmSync(f);
  t.sort((a, b) => a - b);
  return Math.round(t[50]);
}

async function runOne(impl, batch) {
  const n = EVENTS[batch] ?? 100000;
  const dir = mkdtempSync(path.join(tmpdir(), `fcbench-${impl}-`));
  const fsyncUs = fsyncProbe(dir);
  const load = Number(loadavg()[0].toFixed(1));
  const f = path.join(dir, 'agent.conf');
  writeFileSync(f, conf(dir, batch, n));
  const port = await freePort();
  const proc = impl === 'tsagent'
    ? spawn(process.execPath, [path.join(repo, 'bin', 'tsagent.js'), '-f', f, '-n', 'a', '--no-reload-conf',
      '-Dflume.monitoring.type=http', `-Dflume.monitoring.port=${port}`], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn('bash', [path.join(repo, 'stack', 'flume.sh'), f, 'a', '--no-reload-conf'],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FLUME_MONITORING_PORT: String(port), FLUME_LOG_LEVEL: 'WARN' } });
  let err = '';
  proc.stderr.on('data', (d) => { err += d; if (err.length > 100000) err = err.slice(-50000); });
  let t0;
  let tPut;
  let tDone;
  const deadline = Date.now() + 600000;
  try {
    while (Date.now() < deadline) {
      const m = await metrics(port);
      const c = m?.['CHANNEL.c'];
      const src = m?.['SOURCE.r'];
      if (c && src && Number(src.StartTime) > 0) {
        const put = Number(c.EventPutSuccessCount);
        const take = Number(c.EventTakeSuccessCount);
        const now = Date.now();
        t0 = Number(src.StartTime);
        if (tPut === undefined && put >= n) tPut = now;
        if (take >= n) { tDone = now; break; }
      }
      if (proc.exitCode !== null) throw new Error(`${impl} exited: ${err.slice(-2000)}`);
      await sleep(50);
    }
    if (tDone === undefined) throw new Error(`${impl} batch ${batch}: timeout`);
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => { if (proc.exitCode !== null) r(); else proc.on('exit', r); setTimeout(() => { proc.kill('SIGKILL'); r(); }, 20000); });
    rmSync(dir, { recursive: true, force: true });
  }
  const secs = (tDone - t0) / 1000;
  return { impl, batch, events: n, seconds: Number(secs.toFixed(2)), eventsPerSec: Math.round(n / secs), putSeconds: Number(((tPut - t0) / 1000).toFixed(2)), fsyncMedianUs: fsyncUs, loadavg1: load };
}

const results = [];
for (const b of batches) {
  for (const impl of ['tsagent', 'flume']) {
    if (only && only !== impl) continue;
    const r = await runOne(impl, b);
    results.push(r);
    console.log(JSON.stringify(r));
  }
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), results }, null, 2) + '\n');

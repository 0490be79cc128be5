/**
 * S1: netcat -> memory -> null, tsagent vs Apache Flume 1.11 (stack/flume.sh), same config file,
 * same input, alternating runs. Every line must be acknowledged `OK` on both sides (checked).
 *
 *   npm run bench:s1 -- [lines] [connections] [reps]
 * Writes bench/results/s1.json and prints a Markdown table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { netcatLoad, type LoadResult } from '../lib/netcat-load.js';

const lines = Number(process.argv[2] ?? 1_000_000);
const conns = Number(process.argv[3] ?? 8);
const reps = Number(process.argv[4] ?? 3);
const dir = mkdtempSync(path.join(tmpdir(), 's1-'));

function writeConf(port: number): string {
  const conf = path.join(dir, `s1-${port}.conf`);
  // The same file is given to both runtimes.
  writeFileSync(conf, `a.sources = r
a.channels = c
a.sinks = k
a.sources.r.type = netcat
a.sources.r.bind = 127.0.0.1
a.sources.r.port = ${port}
a.sources.r.channels = c
a.channels.c.type = memory
a.channels.c.capacity = 100000
a.channels.c.transactionCapacity = 1000
a.sinks.k.type = null
a.sinks.k.batchSize = 1000
a.sinks.k.logEveryNEvents = 100000000
a.sinks.k.channel = c
`);
  return conf;
}

function procStats(pid: number): { rssMB: number; cpuSec: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(stat[11]) + Number(stat[12]);
    return { rssMB: hwm, cpuSec: ticks / 100 };
  } catch {
    return { rssMB: 0, cpuSec: 0 };
  }
}

async function start(side: 'tsagent' | 'flume', conf: string, port: number): Promise<ChildProcess> {
  const p = side === 'tsagent'
    ? spawn(process.execPath, [path.resolve('bin/tsagent.js'), '-f', conf, '-n', 'a', '--no-reload-conf'], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn('bash', [path.resolve('stack/flume.sh'), conf, 'a', '--no-reload-conf'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FLUME_LOG_LEVEL: 'WARN' } });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // Ready when the port accepts connections.
  const net = await import('node:net');
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (p.exitCode !== null) throw new Error(`${side} exited: ${err}`);
    const ok = await new Promise<boolean>((r) => { const s = net.connect(port, '127.0.0.1'); s.on('connect', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return p;
    if (Date.now() > deadline) throw new Error(`${side} did not open port ${port}: ${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Run extends LoadResult { side: string; rssMB: number; cpuSecPerMillion: number }
const runs: Run[] = [];
for (let rep = 0; rep < reps; rep++) {
  for (const side of ['tsagent', 'flume'] as const) {
    const port = 47000 + rep * 10 + (side === 'flume' ? 1 : 0);
    const conf = writeConf(port);
    const p = await start(side, conf, port);
    // Warm-up (JIT) so both sides are measured in steady state.
    await netcatLoad({ host: '127.0.0.1', port, lines: Math.min(50_000, lines), connections: conns });
    const before = procStats(p.pid!);
    const r = await netcatLoad({ host: '127.0.0.1', port, lines, connections: conns, lineBytes: 100 });
    const after = procStats(p.pid!);
    p.kill('SIGTERM');
    await new Promise((res) => p.on('exit', res));
    if (r.acked !== lines) throw new Error(`${side} acknowledged ${r.acked} of ${lines} lines (${r.failed} FAILED)`);
    const run: Run = { ...r, side, rssMB: after.rssMB, cpuSecPerMillion: ((after.cpuSec - before.cpuSec) / lines) * 1e6 };
    runs.push(run);
    console.error(`${side} rep ${rep + 1}: ${Math.round(r.linesPerSec)} lines/s, p50 ${r.p50ms.toFixed(1)} ms, p99 ${r.p99ms.toFixed(1)} ms, RSS ${run.rssMB.toFixed(0)} MB`);
  }
}
const med = (xs: number[]): number => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const summary = (side: string) => {
  const rs = runs.filter((r) => r.side === side);
  const lps = rs.map((r) => r.linesPerSec);
  return { side, medianLinesPerSec: med(lps), min: Math.min(...lps), max: Math.max(...lps), p50ms: med(rs.map((r) => r.p50ms)), p99ms: med(rs.map((r) => r.p99ms)), peakRssMB: Math.max(...rs.map((r) => r.rssMB)), cpuSecPerMillion: med(rs.map((r) => r.cpuSecPerMillion)) };
};
const t = summary('tsagent');
const f = summary('flume');
const result = {
  scenario: 'S1 netcat -> memory -> null', lines, connections: conns, reps, date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGB: Math.round(totalmem() / 2 ** 30), node: process.version },
  command: `npm run bench:s1 -- ${lines} ${conns} ${reps}`, tsagent: t, flume: f, ratio: t.medianLinesPerSec / f.medianLinesPerSec, runs,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/s1.json', JSON.stringify(result, null, 2) + '\n');
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
console.log(`| side | events/s median (min-max) | ack p50 / p99 ms | peak RSS MB | CPU s per 1M events |
|---|---|---|---|---|
| tsagent | ${fmt(t.medianLinesPerSec)} (${fmt(t.min)}-${fmt(t.max)}) | ${t.p50ms.toFixed(1)} / ${t.p99ms.toFixed(1)} | ${t.peakRssMB.toFixed(0)} | ${t.cpuSecPerMillion.toFixed(2)} |
| Flume 1.11 | ${fmt(f.medianLinesPerSec)} (${fmt(f.min)}-${fmt(f.max)}) | ${f.p50ms.toFixed(1)} / ${f.p99ms.toFixed(1)} | ${f.peakRssMB.toFixed(0)} | ${f.cpuSecPerMillion.toFixed(2)} |
| ratio tsagent/Flume | ${(t.medianLinesPerSec / f.medianLinesPerSec).toFixed(1)}x | | ${(t.peakRssMB / f.peakRssMB).toFixed(2)} | |`);

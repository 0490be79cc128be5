#!/usr/bin/env node
// Benchmark of the whole reference pipeline (issue 7): generated NASA-like lines replayed as fast
// as agent 1 acknowledges -> Kafka -> agent 2 -> HDFS, and Kafka -> analyzer, through the real CLI
// (`tsagent pipeline`, so every process is separate, as in production). Reports lines/s at each
// stage (lines / time from the replay's start until the last line reached the stage), the time
// until the last line is in HDFS and counted, and checks zero loss (acked = Kafka records = HDFS
// lines = analyzer total_requests).
//
//   npm run build && node bench/pipeline/run.mjs [--lines 1891715] [--variants seed,tuned] [--json bench/pipeline/results.json]
//
// Variants (all with --isolate: private topic/groups/prefix/port; analyzer trigger 1 s instead of
// the seed's 60 s so that "counted" measures the analyzer, not the trigger interval):
//   seed   conf/ as it is
//   tuned  + agent 1 Kafka sink flumeBatchSize 1000 (the seed's kafka.flumeBatchSize=20 is a key
//          Flume ignores), agent 2 Kafka source batchSize 1000, HDFS sink batchSize 1000
//   fast   batches of 5000 everywhere (channel transactionCapacity 10000)
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const lines = Number(opt('lines', '1891715'));
const variants = opt('variants', 'seed,tuned').split(',');
const jsonOut = opt('json', path.join(repo, 'bench', 'pipeline', 'results.json'));
const trigger = opt('trigger', '1s');

const SETS = {
  seed: [],
  tuned: [
    'agent1.sinks.kafka_sink.flumeBatchSize=1000',
    'agent2.sources.kafka_source.batchSize=1000',
    'agent2.sinks.hdfs_sink.hdfs.batchSize=1000',
  ],
  fast: [
    'agent1.channels.memory_channel.transactionCapacity=10000',
    'agent1.sinks.kafka_sink.flumeBatchSize=5000',
    'agent2.channels.memory_channel.transactionCapacity=10000',
    'agent2.sources.kafka_source.batchSize=5000',
    'agent2.sinks.hdfs_sink.hdfs.batchSize=5000',
  ],
};

function run(variant) {
  const runDir = mkdtempSync(path.join(os.tmpdir(), `tsagent-bench-pipeline-${variant}-`));
  const cli = ['bin/tsagent.js', 'pipeline', '-n', String(lines), '--seed', '1', '--isolate', '--trigger', trigger, '--hide-analyzer', '--json', '--run-dir', runDir, '--timeout', '900'];
  for (const s of SETS[variant]) cli.push('--set', s);
  const load0 = os.loadavg()[0];
  const t0 = Date.now();
  return new Promise((resolve) => {
    const c = spawn(process.execPath, cli, { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('close', (code) => {
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      const s = line ? JSON.parse(line) : null;
      resolve({ variant, command: `node ${cli.join(' ').replace(runDir, '<tmp>')}`, code, wallMs: Date.now() - t0, loadAvgBefore: load0, loadAvgAfter: os.loadavg()[0], summary: s });
    });
  });
}

const results = [];
for (const v of variants) {
  if (!SETS[v]) { console.error(`unknown variant ${v}`); process.exit(2); }
  console.error(`\n=== pipeline benchmark: ${v}, ${lines.toLocaleString('en-US')} lines ===`);
  results.push(await run(v));
}

const f = (n) => (n == null ? '-' : Math.round(n).toLocaleString('en-US'));
const secs = (ms) => (ms == null ? '-' : (ms / 1000).toFixed(1));
console.log('\n| variant | lines | acked by agent 1 (s, lines/s) | in Kafka (s, lines/s) | in HDFS (s, lines/s) | counted by analyzer (s, lines/s) | zero loss | load avg |');
console.log('|---|---:|---|---|---|---|---|---|');
for (const r of results) {
  const s = r.summary;
  if (!s) { console.log(`| ${r.variant} | failed (exit ${r.code}) |`); continue; }
  const L = s.lastLineMs, R = s.rates;
  const zero = s.ok ? 'yes' : `NO (acked ${f(s.replay?.acked)}, Kafka ${f(s.kafka?.records)}, HDFS ${f(s.hdfs?.lines)}, analyzer ${f(s.analyzer?.totalRequests)})`;
  console.log(`| ${r.variant} | ${f(s.replay?.acked)} | ${secs(L.acked)} s, ${f(R.replay)} | ${secs(L.kafka)} s, ${f(R.kafka)} | ${secs(L.hdfs)} s, ${f(R.hdfs)} | ${secs(L.analyzer)} s, ${f(R.analyzer)} | ${zero} | ${r.loadAvgBefore.toFixed(1)} -> ${r.loadAvgAfter.toFixed(1)} |`);
}
let prev = [];
try { prev = JSON.parse(readFileSync(jsonOut, 'utf8')); } catch { /* first run */ }
const record = { date: new Date().toISOString(), host: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) }, lines, trigger, results };
writeFileSync(jsonOut, JSON.stringify([...(Array.isArray(prev) ? prev : []), record], null, 2) + '\n');
console.error(`\nappended to ${jsonOut}`);
process.exitCode = results.every((r) => r.summary?.ok) ? 0 : 1;

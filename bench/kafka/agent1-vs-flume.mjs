#!/usr/bin/env node
/**
 * Agent 1 of the reference pipeline (netcat -> memory -> Kafka sink) side by side: the tsagent CLI
 * and the real Apache Flume 1.11.0 (stack/flume.sh), same configuration, same broker, same load.
 * For each: 20,000 warm-up lines, then N lines over one netcat connection (5,000 unacknowledged
 * lines at most); lines/s = N / (time until the topic holds all of them); CPU = the agent
 * process's CPU time over that interval (100 % = one core).
 *
 *   npm run build && bash stack/stack.sh up
 *   node bench/kafka/agent1-vs-flume.mjs [--events 200000] [--json bench/kafka/agent1-vs-flume.json] [--only tsagent|flume]
 */
import { spawn, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const argOf = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const N = Number(argOf('--events', '200000'));
const WARM = 20000;
const only = argOf('--only', undefined);
const jsonOut = argOf('--json', undefined);
const envText = execFileSync('bash', [path.join(repo, 'stack', 'stack.sh'), 'env'], { encoding: 'utf8' });
const brokers = process.env.TSAGENT_KAFKA_BROKERS ?? /TSAGENT_KAFKA_BROKERS='([^']*)'/.exec(envText)[1];
const kafka = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch { return NaN; }
}

async function topicTotal(topic) {
  const a = kafka.admin();
  await a.connect();
  try { return (await a.fetchTopicOffsets(topic)).reduce((s, o) => s + Number(o.high), 0); } finally { await a.disconnect(); }
}

function freePort() {
  return new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
}

async function waitPort(port, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((r) => { const s = net.connect(port, '127.0.0.1'); s.once('connect', () => { s.destroy(); r(true); }); s.once('error', () => r(false)); });
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`port ${port} not open`);
}

function send(port, from, n, window = 5000) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let sent = 0; let acked = 0; let rest = '';
    const pump = () => {
      while (sent < n && sent - acked < window) {
        let chunk = '';
        const end = Math.min(n, sent + 500);
        for (; sent < end; sent++) { const i = from + sent; chunk += `host${i % 97}.example.com - - [01/Jul/1995:00:00:01 -0400] "GET /images/b-${i}.gif HTTP/1.0" 200 ${i}\n`; }
        if (!s.write(chunk)) { s.once('drain', pump); return; }
      }
    };
    s.on('connect', pump);
    s.on('data', (d) => {
      rest += d.toString();
      let i;
      while ((i = rest.indexOf('\n')) >= 0) { if (!rest.startsWith('OK')) { reject(new Error(`reply ${rest.slice(0, i)}`)); return; } acked++; rest = rest.slice(i + 1); }
      if (acked >= n) { s.end(); resolve(); } else pump();
    });
    s.on('error', reject);
  });
}

async function runOne(impl, label, batchProp) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsagent-a1-bench-'));
  const topic = `bench-a1-${impl}-${randomUUID().slice(0, 6)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const port = await freePort();
  const conf = path.join(dir, 'a1.conf');
  writeFileSync(conf, [
    'a1.sources = r1', 'a1.channels = c1', 'a1.sinks = k1',
    'a1.sources.r1.type = netcat', 'a1.sources.r1.bind = 127.0.0.1', `a1.sources.r1.port = ${port}`, 'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory', 'a1.channels.c1.capacity = 100000', 'a1.channels.c1.transactionCapacity = 1000',
    'a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink', `a1.sinks.k1.kafka.topic = ${topic}`,
    `a1.sinks.k1.kafka.bootstrap.servers = ${brokers}`, 'a1.sinks.k1.kafka.producer.acks = 1', ...batchProp, 'a1.sinks.k1.channel = c1', '',
  ].join('\n'));
  const child = impl === 'flume'
    ? spawn('bash', [path.join(repo, 'stack', 'flume.sh'), conf, 'a1', '--no-reload-conf'], { cwd: repo, stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, FLUME_LOG_LEVEL: 'WARN', FLUME_HEAP: '1g' } })
    : spawn(process.execPath, [path.join(repo, 'bin', 'tsagent.js'), 'agent', '-f', conf, '-n', 'a1', '--no-reload-conf'], { cwd: repo, stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await waitPort(port, 180_000);
    await send(port, 0, WARM);
    while ((await topicTotal(topic)) < WARM) await sleep(100);
    const c0 = cpuTicks(child.pid);
    const t0 = Date.now();
    await send(port, WARM, N);
    const tAck = Date.now();
    while ((await topicTotal(topic)) < WARM + N) await sleep(50);
    const t1 = Date.now();
    const c1 = cpuTicks(child.pid);
    const secs = (t1 - t0) / 1000;
    await sleep(1000); // records that arrive after the count reached N (duplicates) show up in `delivered`
    const delivered = (await topicTotal(topic)) - WARM;
    const r = { impl, label, events: N, seconds: +secs.toFixed(2), linesPerSec: Math.round(N / secs), ackSeconds: +((tAck - t0) / 1000).toFixed(2), agentCpuPct: Math.round(((c1 - c0) / 100 / secs) * 100), delivered };
    console.log(JSON.stringify(r));
    return r;
  } finally {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 20000);
    await exited;
    clearTimeout(t);
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
for (const impl of ['tsagent', 'flume']) {
  if (only && only !== impl) continue;
  results.push(await runOne(impl, 'seed (kafka.flumeBatchSize = 20 ignored -> 100)', ['a1.sinks.k1.kafka.flumeBatchSize = 20']));
  results.push(await runOne(impl, 'tuned (flumeBatchSize = 1000)', ['a1.sinks.k1.flumeBatchSize = 1000']));
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, events: N, results }, null, 2) + '\n');

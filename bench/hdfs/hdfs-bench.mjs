#!/usr/bin/env node
/**
 * HDFS sink throughput into the local HDFS (stack/, WebHDFS) with the seed settings and with
 * tuned settings, plus the local file:/// path as a reference.
 *
 *   npm run build && bash stack/stack.sh up
 *   node bench/hdfs/hdfs-bench.mjs [--events 200000] [--json bench/hdfs/results.json]
 *
 * Each run: a memory channel pre-filled with N NASA-like lines (timestamp header set, as the Kafka
 * source does) is drained by the HDFS sink (process() in a loop, as the runner does under load);
 * events/s = N / time to drain and commit everything; MB/s counts body bytes. Files are removed
 * afterwards. The seed's settings (batchSize 100 default, DataStream) are run twice: strictly one
 * transaction per WebHDFS request as Flume (hdfs.batchesPerWrite = 1) and with tsagent's group
 * commit default (10).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(path.join(repo, 'dist', p));
const { buildComponent } = await dist('engine/build.js');
const { MemoryLogger } = await dist('core/logger.js');
const { createEvent } = await dist('core/event.js');
const memory = (await dist('channels/memory.js')).default;
const hdfs = (await dist('sinks/hdfs.js')).default;
const { WebHdfsClient } = await dist('hdfs/webhdfs.js');

const arg = (k, d) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1] : d; };
const N = Number(arg('--events', '200000'));
const jsonOut = arg('--json', undefined);

const envText = execFileSync('bash', [path.join(repo, 'stack/stack.sh'), 'env'], { encoding: 'utf8' });
for (const m of envText.matchAll(/^export ([A-Z_]+)='([^']*)'$/gm)) process.env[m[1]] ??= m[2];
process.env.HADOOP_USER_NAME ??= process.env.TSAGENT_HDFS_USER;
const client = new WebHdfsClient(process.env.TSAGENT_WEBHDFS_URL, { user: process.env.HADOOP_USER_NAME, timeoutMs: 60000 });
const base = `/user/bigdata/tsagent-bench-${Date.now()}`;

function line(i) {
  return `host${i % 97}.example.com - - [01/Jul/1995:00:${String(i % 60).padStart(2, '0')}:00 -0400] "GET /images/bench/${i}.gif HTTP/1.0" 200 ${1000 + (i % 5000)}`;
}

async function run(label, props, n) {
  const ch = buildComponent(memory, 'c1', { capacity: String(n + 10), transactionCapacity: '10000', byteCapacity: '0' }).instance;
  await ch.start();
  const ts = String(Date.now());
  let bytes = 0;
  for (let i = 0; i < n; i += 5000) {
    const tx = ch.createTransaction();
    tx.begin();
    for (let j = i; j < Math.min(n, i + 5000); j++) {
      const e = createEvent(line(j), { timestamp: ts, topic: 'apache_logs' });
      bytes += e.body.length;
      tx.put(e);
    }
    tx.commit();
    tx.close();
  }
  const logger = new MemoryLogger();
  const sink = buildComponent(hdfs, 'k1', props, { logger }).instance;
  await sink.start(ch);
  const t0 = performance.now();
  while (ch.size() > 0) {
    const st = await sink.process();
    if (st === 'BACKOFF') await new Promise((r) => setTimeout(r, 100));
  }
  const secs = (performance.now() - t0) / 1000;
  await sink.stop();
  const fails = sink.counters.values.EventWriteFail;
  const r = { label, events: n, seconds: +secs.toFixed(2), eventsPerSec: Math.round(n / secs), mbPerSec: +(bytes / 1e6 / secs).toFixed(2), writeFails: fails, props };
  console.log(`${label.padEnd(58)} ${String(r.eventsPerSec).padStart(8)} ev/s ${String(r.mbPerSec).padStart(7)} MB/s  (${n} events, ${r.seconds} s${fails ? `, ${fails} failed writes` : ''})`);
  return r;
}

const seed = {
  'hdfs.filePrefix': 'apache_logs', 'hdfs.fileSuffix': '.log', 'hdfs.rollInterval': '300', 'hdfs.rollSize': '0', 'hdfs.rollCount': '0',
  'hdfs.fileType': 'DataStream', 'hdfs.writeFormat': 'Text',
};
const localDir = mkdtempSync(path.join(tmpdir(), 'tsagent-hdfs-bench-'));
const results = [];
console.log(`HDFS sink → ${process.env.TSAGENT_WEBHDFS_URL} (one NameNode + one DataNode on this machine), ~${line(1).length}-byte lines`);
results.push(await run('seed settings, Flume-strict (batchSize 100, 1 tx per write)', { ...seed, 'hdfs.path': `hdfs://${base}/seed-strict/%y-%m-%d`, 'hdfs.batchesPerWrite': '1' }, Math.min(N, 10000)));
results.push(await run('seed settings (batchSize 100, group commit up to 100 tx)', { ...seed, 'hdfs.path': `hdfs://${base}/seed/%y-%m-%d` }, N));
results.push(await run('tuned DataStream (batchSize 1000, group commit up to 100 tx)', { ...seed, 'hdfs.path': `hdfs://${base}/tuned/%y-%m-%d`, 'hdfs.batchSize': '1000' }, N));
results.push(await run('tuned CompressedStream gzip (batchSize 1000, up to 100 tx)', { ...seed, 'hdfs.fileSuffix': '', 'hdfs.path': `hdfs://${base}/gzip/%y-%m-%d`, 'hdfs.fileType': 'CompressedStream', 'hdfs.codeC': 'gzip', 'hdfs.batchSize': '1000' }, N));
results.push(await run('tuned SequenceFile Writable (batchSize 1000, up to 100 tx)', { ...seed, 'hdfs.fileSuffix': '', 'hdfs.path': `hdfs://${base}/seq/%y-%m-%d`, 'hdfs.fileType': 'SequenceFile', 'hdfs.batchSize': '1000' }, N));
results.push(await run('reference: file:/// local, seed settings, Flume-strict', { ...seed, 'hdfs.path': `file://${localDir}/%y-%m-%d`, 'hdfs.batchesPerWrite': '1' }, N));
rmSync(localDir, { recursive: true, force: true });
execFileSync('bash', [path.join(repo, 'stack/stack.sh'), 'hdfs', 'dfs', '-rm', '-r', '-f', '-skipTrash', base], { stdio: 'ignore' });
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2) + '\n');
await client.close();

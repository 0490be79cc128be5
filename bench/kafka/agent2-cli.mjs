#!/usr/bin/env node
/**
 * Agent 2 through the real CLI: 200,000 records pre-produced to a fresh 3-partition topic, then
 * `tsagent agent` with the seed's Kafka source settings (batchSize 500, batchDurationMillis 2000;
 * auto.offset.reset=earliest) -> memory -> file_roll; prints the time until every line is in the
 * files, including process start-up and the group join.
 *   npm run build && node bench/kafka/agent2-cli.mjs [source batchSize=500] [file_roll batchSize=100]
 */
import { Kafka, logLevel } from 'kafkajs';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readdirSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
const k = new Kafka({ brokers: [process.env.TSAGENT_KAFKA_BROKERS ?? '127.0.0.1:9092'], logLevel: logLevel.NOTHING });
const topic = `a2bench-${Date.now()}`;
const a = k.admin(); await a.connect(); await a.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }); await a.disconnect();
const p = k.producer(); await p.connect();
const N = 200000;
for (let i = 0; i < N; i += 10000) await p.send({ topic, acks: 1, messages: Array.from({ length: 10000 }, (_, j) => ({ value: `line ${i + j} host.example.com - - "GET /x HTTP/1.0" 200 1234` })) });
await p.disconnect();
const dir = mkdtempSync(path.join(tmpdir(), 'a2b-')); mkdirSync(path.join(dir, 'out'));
const conf = path.join(dir, 'a2.conf');
writeFileSync(conf, `a2.sources = r\na2.channels = c\na2.sinks = k\na2.sources.r.type = org.apache.flume.source.kafka.KafkaSource\na2.sources.r.batchSize = ${process.argv[2] ?? 500}\na2.sources.r.batchDurationMillis = 2000\na2.sources.r.kafka.bootstrap.servers = ${process.env.TSAGENT_KAFKA_BROKERS ?? '127.0.0.1:9092'}\na2.sources.r.kafka.topics = ${topic}\na2.sources.r.kafka.consumer.group.id = g-${topic}\na2.sources.r.kafka.consumer.auto.offset.reset = earliest\na2.sources.r.channels = c\na2.channels.c.type = memory\na2.channels.c.capacity = 100000\na2.channels.c.transactionCapacity = 1000\na2.sinks.k.type = file_roll\na2.sinks.k.sink.directory = ${dir}/out\na2.sinks.k.sink.rollInterval = 0\na2.sinks.k.sink.batchSize = ${process.argv[3] ?? 100}\na2.sinks.k.channel = c\n`);
const t0 = Date.now();
const child = spawn(process.execPath, [path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'bin', 'tsagent.js'), 'agent', '-f', conf, '-n', 'a2', '--no-reload-conf'], { stdio: ['ignore', 'ignore', 'inherit'] });
for (;;) {
  await new Promise((r) => setTimeout(r, 200));
  const f = readdirSync(path.join(dir, 'out'));
  let n = 0; for (const x of f) { const b = readFileSync(path.join(dir, 'out', x)); for (let i = 0; i < b.length; i++) if (b[i] === 10) n++; }
  if (n >= N) { console.log(`agent2 CLI: ${N} in ${((Date.now() - t0) / 1000).toFixed(1)} s incl. startup`); break; }
}
child.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });

/**
 * End to end with the real CLI (`bin/tsagent.js`, built by `npm run build`) on the real broker:
 *   agent 1 = conf/flume-agent1.conf unmodified (netcat localhost:9999 -> memory -> Kafka apache_logs)
 *   agent 2 = the seed's Kafka source settings (batchSize 500, batchDurationMillis 2000, topic
 *             apache_logs) -> memory -> file_roll, with a consumer group unique to the test
 *             (`flume_consumer` is shared with other pipelines on this machine, which would split
 *             the partitions with us), positioned at the current end of apache_logs.
 * Lines carry a run id, because apache_logs is shared with other tests.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { countNewlines, countTagged, readRolledLines, startAgent, stopAgent, waitForPort, type AgentProcess } from '../kafka/agent-process.js';
import { createTopic, kafkaClient, makeLines, netcatSend, uniqueTopic, waitUntil, withAdmin } from '../kafka/helpers.js';
import { stackEnv } from './stack-env.js';

const env = stackEnv();
const TOPIC = 'apache_logs';
const N = 200_000;
const agents: AgentProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await stopAgent(a, 'SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function endOffsets(): Promise<number[]> {
  return withAdmin(env.kafkaBrokers, async (a) => (await a.fetchTopicOffsets(TOPIC)).sort((x, y) => x.partition - y.partition).map((o) => Number(o.high)));
}

/** A fresh consumer group whose committed offsets are the current end of apache_logs. */
async function groupAtEnd(): Promise<string> {
  const group = `tsagent-e2e-${randomUUID().slice(0, 8)}`;
  await withAdmin(env.kafkaBrokers, async (a) => {
    const offs = await a.fetchTopicOffsets(TOPIC);
    await a.setOffsets({ groupId: group, topic: TOPIC, partitions: offs.map((o) => ({ partition: o.partition, offset: o.high })) });
  });
  return group;
}

function agent2Conf(dir: string, group: string): string {
  const out = path.join(dir, 'out');
  const conf = path.join(dir, 'agent2.conf');
  writeFileSync(conf, [
    'agent2.sources = kafka_source',
    'agent2.channels = memory_channel',
    'agent2.sinks = file_sink',
    'agent2.sources.kafka_source.type = org.apache.flume.source.kafka.KafkaSource',
    'agent2.sources.kafka_source.batchSize = 500',
    'agent2.sources.kafka_source.batchDurationMillis = 2000',
    `agent2.sources.kafka_source.kafka.bootstrap.servers = ${env.kafkaBrokers.join(',')}`,
    `agent2.sources.kafka_source.kafka.topics = ${TOPIC}`,
    `agent2.sources.kafka_source.kafka.consumer.group.id = ${group}`,
    'agent2.channels.memory_channel.type = memory',
    'agent2.channels.memory_channel.capacity = 100000',
    'agent2.channels.memory_channel.transactionCapacity = 1000',
    'agent2.sinks.file_sink.type = file_roll',
    `agent2.sinks.file_sink.sink.directory = ${out}`,
    'agent2.sinks.file_sink.sink.rollInterval = 0',
    'agent2.sources.kafka_source.channels = memory_channel',
    'agent2.sinks.file_sink.channel = memory_channel',
    '',
  ].join('\n'));
  return conf;
}

async function setup(): Promise<{ dir: string; out: string; conf2: string; a1: AgentProcess; group: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsagent-kafka-e2e-'));
  dirs.push(dir);
  const out = path.join(dir, 'out');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(out);
  const group = await groupAtEnd();
  const conf2 = agent2Conf(dir, group);
  const a1 = startAgent(env.repoRoot, path.join(env.repoRoot, 'conf', 'flume-agent1.conf'), 'agent1', path.join(dir, 'agent1.log'));
  agents.push(a1);
  await waitForPort(9999, 'localhost', 30_000);
  return { dir, out, conf2, a1, group };
}

describe('Kafka end to end with the tsagent CLI', () => {
  it('round trip: 200,000 lines via agent 1 (seed file) reach Kafka on 3 partitions and agent 2 writes each exactly once', async () => {
    const { dir, out, conf2 } = await setup();
    const a2 = startAgent(env.repoRoot, conf2, 'agent2', path.join(dir, 'agent2.log'));
    agents.push(a2);
    const run = randomUUID().slice(0, 8);
    const lines = makeLines(N, `e2e-${run}`);
    const before = await endOffsets();
    const t0 = Date.now();
    const replies = await netcatSend(9999, lines, 5000, 300_000, 'localhost');
    expect(replies.length).toBe(N);
    expect(replies.filter((r) => r !== 'OK')).toEqual([]);
    const tOk = Date.now();
    let counts = new Map<string, number>();
    // cheap newline counting while waiting; parse the files only once they can be complete
    const done = await waitUntil(() => {
      if (countNewlines(out) < N) return false;
      counts = countTagged(readRolledLines(out), `e2e-${run}/`);
      return counts.size >= N;
    }, 180_000, 500);
    const tDone = Date.now();
    expect(done, `agent 2 wrote ${counts.size} of ${N} lines\n${a2.log().slice(-3000)}`).toBe(true);
    await new Promise((r) => setTimeout(r, 3000)); // anything extra (duplicates) would show up now
    counts = countTagged(readRolledLines(out), `e2e-${run}/`);
    expect(counts.size).toBe(N);
    const dups = [...counts.values()].filter((c) => c > 1).length;
    expect(dups).toBe(0);
    for (const l of lines) expect(counts.get(l)).toBe(1);
    const after = await endOffsets();
    const deltas = after.map((x, i) => x - before[i]!);
    console.log(`[kafka-e2e] netcat OK for ${N} lines in ${((tOk - t0) / 1000).toFixed(1)} s; all in agent 2's files after ${((tDone - t0) / 1000).toFixed(1)} s; apache_logs grew per partition by ${deltas.join(', ')}`);
    expect(deltas).toHaveLength(3);
    for (const d of deltas) expect(d).toBeGreaterThan(N / 10);
    expect(deltas.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(N);
    await stopAgent(a2);
    expect(a2.log()).not.toMatch(/KafkaSource EXCEPTION/);
  });

  it('kill -9 of agent 2 mid-stream and restart: every line at least once, duplicates at most one batch per partition', async () => {
    const { dir, out, conf2 } = await setup();
    let a2 = startAgent(env.repoRoot, conf2, 'agent2', path.join(dir, 'agent2.log'));
    agents.push(a2);
    const run = randomUUID().slice(0, 8);
    const tag = `kill-${run}/`;
    const lines = makeLines(N, `kill-${run}`);
    const sending = netcatSend(9999, lines, 2000, 300_000, 'localhost');
    expect(await waitUntil(() => countNewlines(out) >= 30_000, 120_000, 50)).toBe(true);
    a2.child.kill('SIGKILL');
    await a2.exited;
    const atKill = countTagged(readRolledLines(out), tag).size;
    console.log(`[kafka-e2e] killed agent 2 (SIGKILL) with ${atKill} of ${N} lines written`);
    expect(atKill).toBeLessThan(N);
    a2 = startAgent(env.repoRoot, conf2, 'agent2', path.join(dir, 'agent2-restarted.log'));
    agents.push(a2);
    const replies = await sending;
    expect(replies.length).toBe(N);
    expect(replies.filter((r) => r !== 'OK')).toEqual([]);
    let counts = new Map<string, number>();
    const done = await waitUntil(() => countNewlines(out) >= N && (counts = countTagged(readRolledLines(out), tag)).size >= N, 180_000, 500);
    expect(done, `agent 2 wrote ${counts.size} of ${N} lines after the restart\n${a2.log().slice(-3000)}`).toBe(true);
    await new Promise((r) => setTimeout(r, 3000));
    counts = countTagged(readRolledLines(out), tag);
    const missing = lines.filter((l) => !counts.has(l)).length;
    const dupLines = [...counts.values()].filter((c) => c > 1).length;
    const dupCopies = [...counts.values()].reduce((s, c) => s + (c - 1), 0);
    console.log(`[kafka-e2e] after kill -9 + restart: ${counts.size} distinct lines, ${missing} missing, ${dupLines} duplicated lines (${dupCopies} extra copies)`);
    expect(missing).toBe(0);
    // at-least-once window: a batch (batchSize 500) put in the channel whose offsets were not yet committed, per partition
    expect(dupCopies).toBeLessThanOrEqual(500 * 3);
  });
});

describe('Kafka source -> HDFS sink with the seed agent-2 settings (tsagent CLI)', () => {
  async function webhdfs(op: string, p: string): Promise<Response> {
    const extra = op === 'DELETE' ? '&recursive=true' : '';
    return fetch(`${env.webhdfsUrl}/webhdfs/v1${p}?op=${op}${extra}&user.name=${encodeURIComponent(env.hdfsUser)}`, op === 'DELETE' ? { method: 'DELETE' } : {});
  }

  it('puts each event in the %y-%m-%d directory of its Kafka record timestamp (the timestamp header, as Flume 1.11)', async () => {
    const topic = uniqueTopic('it-e2e-hdfs');
    await createTopic(env.kafkaBrokers, topic, 3);
    const run = randomUUID().slice(0, 8);
    const base = `${env.hdfsHome}/tsagent-kafka-e2e-${run}`;
    const dir = mkdtempSync(path.join(tmpdir(), 'tsagent-kafka-hdfs-'));
    dirs.push(dir);
    const group = `tsagent-e2e-hdfs-${run}`;
    const days = [{ ts: Date.UTC(2023, 10, 14, 12), dir: '23-11-14' }, { ts: Date.UTC(2023, 10, 15, 12), dir: '23-11-15' }];
    const p = kafkaClient(env.kafkaBrokers).producer();
    await p.connect();
    for (const d of days) {
      await p.send({ topic, acks: -1, messages: Array.from({ length: 1000 }, (_, i) => ({ value: `${d.dir} line ${i}`, timestamp: String(d.ts) })) });
    }
    await p.disconnect();
    const conf = path.join(dir, 'agent2.conf');
    writeFileSync(conf, [
      'agent2.sources = kafka_source', 'agent2.channels = memory_channel', 'agent2.sinks = hdfs_sink',
      'agent2.sources.kafka_source.type = org.apache.flume.source.kafka.KafkaSource',
      'agent2.sources.kafka_source.batchSize = 500', 'agent2.sources.kafka_source.batchDurationMillis = 2000',
      `agent2.sources.kafka_source.kafka.bootstrap.servers = ${env.kafkaBrokers.join(',')}`,
      `agent2.sources.kafka_source.kafka.topics = ${topic}`,
      `agent2.sources.kafka_source.kafka.consumer.group.id = ${group}`,
      'agent2.sources.kafka_source.kafka.consumer.auto.offset.reset = earliest',
      'agent2.channels.memory_channel.type = memory', 'agent2.channels.memory_channel.capacity = 100000',
      'agent2.channels.memory_channel.transactionCapacity = 1000',
      'agent2.sinks.hdfs_sink.type = hdfs', `agent2.sinks.hdfs_sink.hdfs.path = hdfs://${base}/%y-%m-%d`,
      'agent2.sinks.hdfs_sink.hdfs.filePrefix = apache_logs', 'agent2.sinks.hdfs_sink.hdfs.fileSuffix = .log',
      'agent2.sinks.hdfs_sink.hdfs.rollInterval = 300', 'agent2.sinks.hdfs_sink.hdfs.rollSize = 0', 'agent2.sinks.hdfs_sink.hdfs.rollCount = 0',
      'agent2.sinks.hdfs_sink.hdfs.fileType = DataStream', 'agent2.sinks.hdfs_sink.hdfs.writeFormat = Text',
      'agent2.sources.kafka_source.channels = memory_channel', 'agent2.sinks.hdfs_sink.channel = memory_channel', '',
    ].join('\n'));
    process.env['HADOOP_CONF_DIR'] = env.hadoopConfDir;
    const a2 = startAgent(env.repoRoot, conf, 'agent2', path.join(dir, 'agent2.log'));
    agents.push(a2);
    try {
      const committed = async (): Promise<number> => withAdmin(env.kafkaBrokers, async (a) =>
        (await a.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.reduce((s2, x) => s2 + Math.max(0, Number(x.offset)), 0));
      expect(await waitUntil(async () => (await committed()) === 2000, 120_000, 500), a2.log().slice(-3000)).toBe(true);
      await new Promise((r) => setTimeout(r, 2000));
      await stopAgent(a2); // closes (and renames) the open files
      const listing = (await (await webhdfs('LISTSTATUS', base)).json()) as { FileStatuses: { FileStatus: Array<{ pathSuffix: string }> } };
      expect(listing.FileStatuses.FileStatus.map((f) => f.pathSuffix).sort()).toEqual(days.map((d) => d.dir));
      for (const d of days) {
        const files = ((await (await webhdfs('LISTSTATUS', `${base}/${d.dir}`)).json()) as { FileStatuses: { FileStatus: Array<{ pathSuffix: string }> } }).FileStatuses.FileStatus.map((f) => f.pathSuffix);
        expect(files.every((f) => /^apache_logs\.\d+\.log$/.test(f))).toBe(true);
        let text = '';
        for (const f of files) text += await (await webhdfs('OPEN', `${base}/${d.dir}/${f}`)).text();
        const got = text.split('\n').filter((l) => l.length > 0).sort();
        expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => `${d.dir} line ${i}`).sort());
      }
    } finally {
      await webhdfs('DELETE', base).then((r) => r.text()).catch(() => undefined);
    }
  });
});

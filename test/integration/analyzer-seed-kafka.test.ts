/**
 * Processing time on the real broker, side by side with the seed job itself: PySpark with the
 * spark-sql-kafka connector (bench/anchors/pyspark.sh --kafka) and the analyzer read the same
 * topic with startingOffsets = latest and a 5-second trigger. Both must print Spark's empty
 * Batch 0 byte for byte, then, for one burst of records (one produce request, so both see it in
 * one micro-batch), the same Batch 1 table; only the window bounds may differ (each side stamps
 * the batch with its own clock), so they are compared with the time blanked.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { propMap, startAnalyzer } from '../../src/analyzer/index.js';
import { stackEnv } from './stack-env.js';

const ROOT = resolve(import.meta.dirname, '../..');
const env = stackEnv();
const kafka = new Kafka({ clientId: 'analyzer-seed-it', brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING });
let spark: ChildProcess | null = null;
afterAll(() => { if (spark && spark.exitCode === null) spark.kill('SIGKILL'); });

async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const batch = (out: string, n: number): string | null => {
  const parts = out.split('-------------------------------------------\nBatch: ');
  const p = parts.find((x) => x.startsWith(`${n}\n`));
  // Complete only once the table and the blank line after it arrived (stdout comes in pieces).
  if (p === undefined || !/(\+|rows?)\n\n$/.test(p)) return null;
  return '-------------------------------------------\nBatch: ' + p;
};
const blankTimes = (s: string): string => s.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, 'T');

describe('seed job (PySpark + Kafka) vs analyzer, processing time', () => {
  it.each(['status_distribution'])('%s: same batches on the same topic', async (query) => {
    const py = execFileSync('bash', [join(ROOT, 'bench/anchors/pyspark.sh'), '--kafka'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
    const jarsDir = join(ROOT, '.stack/pyspark-jars');
    const jars = readdirSync(jarsDir).filter((f) => f.endsWith('.jar')).map((f) => join(jarsDir, f)).join(',');
    const topic = `analyzer-seed-${query.replace('_', '-')}-${Date.now().toString(36)}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();

    let sparkOut = '';
    spark = spawn(py, [join(ROOT, 'bench/analyzer/seed_kafka.py'), env.kafkaBrokers.join(','), topic, '5 seconds', query, '240'], {
      env: { ...process.env, PYSPARK_SUBMIT_ARGS: `--jars ${jars} pyspark-shell`, PYSPARK_PYTHON: py, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'ignore'],
    });
    spark.stdout!.on('data', (d: Buffer) => { sparkOut += d.toString(); });
    const out = new PassThrough();
    let ours = '';
    out.on('data', (d: Buffer) => { ours += d.toString(); });
    const h = await startAnalyzer({
      agentName: 'analyzer', file: 'test', out,
      props: propMap({
        type: 'analyzer', 'source.kafka.bootstrap.servers': env.kafkaBrokers.join(','), 'source.kafka.topics': topic,
        'source.kafka.groupId': topic, trigger: '5 seconds', queries: query, timeZone: 'UTC', 'sinks.console.format': 'spark3.5',
      }),
    });
    try {
      await waitUntil(() => batch(sparkOut, 0) !== null && batch(ours, 0) !== null, 180_000, 'Batch 0 on both sides');
      expect(batch(ours, 0)).toBe(batch(sparkOut, 0));
      // Let Spark's consumer settle at the end of the topic before the burst.
      await new Promise((r) => setTimeout(r, 6000));
      const lines = gunzipSync(readFileSync(resolve(ROOT, '../shared/data/nasa/NASA_access_log_Jul95.head-124979.txt.gz'))).toString('latin1').split('\n').slice(0, 2000);
      const p = kafka.producer();
      await p.connect();
      await p.send({ topic, messages: lines.map((l) => ({ value: Buffer.from(l, 'latin1') })) });
      await p.disconnect();
      await waitUntil(() => batch(sparkOut, 1) !== null && batch(ours, 1) !== null, 120_000, 'Batch 1 on both sides');
      await new Promise((r) => setTimeout(r, 500));
      expect(blankTimes(batch(ours, 1)!)).toBe(blankTimes(batch(sparkOut, 1)!));
      expect(batch(ours, 1)).toMatch(/\|\{\d{4}-/);
    } finally {
      await h.stop();
      spark.kill('SIGTERM');
    }
  }, 400_000);
});

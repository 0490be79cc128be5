/**
 * Analyzer on the real Kafka broker of stack/:
 * - processing time: every micro-batch's count equals the records consumed in that batch, and
 *   the console prints Spark's empty Batch 0 first;
 * - restart safety: an analyzer process killed with SIGKILL mid-stream and restarted from its
 *   checkpoint ends with exactly the counts of an uninterrupted run (event time, 3 partitions);
 * - the kafka sink writes one JSON record per updated row.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyzerEngine, propMap, startAnalyzer, type BatchResult } from '../../src/analyzer/index.js';
import { stackEnv } from './stack-env.js';

const ROOT = resolve(import.meta.dirname, '../..');
const env = stackEnv();
const kafka = new Kafka({ clientId: 'analyzer-it', brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING });
const NASA = gunzipSync(readFileSync(resolve(ROOT, '../shared/data/nasa/NASA_access_log_Jul95.head-124979.txt.gz'))).toString('latin1').split('\n').filter(Boolean);
const children: ChildProcess[] = [];

function uniqueTopic(p: string): string {
  return `${p}-${process.pid}-${Date.now().toString(36)}`;
}
async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
async function produce(topic: string, lines: string[]): Promise<void> {
  const p = kafka.producer();
  await p.connect();
  try {
    for (let i = 0; i < lines.length; i += 5000) {
      await p.send({ topic, messages: lines.slice(i, i + 5000).map((l, j) => ({ key: String((i + j) % 7), value: Buffer.from(l, 'latin1') })) });
    }
  } finally {
    await p.disconnect();
  }
}
async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('analyzer on Kafka', () => {
  it('processing time: each batch counts exactly the records it consumed', async () => {
    const topic = uniqueTopic('analyzer-pt');
    await createTopic(topic, 3);
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => { text += c.toString(); });
    const batches: BatchResult[] = [];
    const rows = new Map<number, number>();
    const h = await startAnalyzer({
      agentName: 'a', file: 'test', out,
      props: propMap({
        type: 'analyzer', 'source.kafka.bootstrap.servers': env.kafkaBrokers.join(','), 'source.kafka.topics': topic,
        'source.kafka.groupId': topic, trigger: '2s', 'window.duration': '2s', queries: 'total_requests status_distribution', timeZone: 'UTC',
      }),
      onBatch: (b) => {
        batches.push(b);
        // The batch's window (its time, floored to 2 s) holds exactly this batch's records.
        const w = b.batchTimeMs - (b.batchTimeMs % 2000);
        const r = b.queries[0]!.rows().find((x) => x.windowStart === w);
        rows.set(b.batchId, r ? r.count : 0);
      },
    });
    try {
      await waitUntil(() => batches.length >= 1, 10_000, 'batch 0');
      expect(batches[0]!.records).toBe(0);
      expect(text.startsWith('-------------------------------------------\nBatch: 0\n-------------------------------------------\n+------+--------------+\n|window|total_requests|\n+------+--------------+\n+------+--------------+\n\n')).toBe(true);
      const sent = [3000, 5000, 7000];
      let offset = 0;
      for (const n of sent) {
        await produce(topic, NASA.slice(offset, offset + n));
        offset += n;
        await new Promise((r) => setTimeout(r, 2500));
      }
      const total = sent.reduce((a, b) => a + b, 0);
      await waitUntil(() => batches.reduce((a, b) => a + b.records, 0) >= total, 30_000, 'all records');
      const withData = batches.filter((b) => b.records > 0);
      expect(withData.length).toBeGreaterThanOrEqual(2);
      for (const b of withData) expect(rows.get(b.batchId), `batch ${b.batchId}`).toBe(b.records);
      expect(batches.reduce((a, b) => a + b.records, 0)).toBe(total);
      // batches without new records are not run (Spark runs a batch only for new data)
      expect(batches.slice(1).every((b) => b.records > 0)).toBe(true);
      expect(batches.map((b) => b.batchId)).toEqual(batches.map((_, i) => i));
    } finally {
      await h.stop();
    }
  });

  describe('restart safety', () => {
    let build = '';
    beforeAll(() => {
      // The child process runs the compiled analyzer (plain node cannot load the TS sources).
      build = join(ROOT, '.stack', 'analyzer-it-build');
      try {
        execFileSync('npx', ['tsc', 'src/analyzer/index.ts', 'src/analyzer/worker.ts', '--outDir', build, '--rootDir', 'src',
          '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', '--strict'], { cwd: ROOT, stdio: 'pipe' });
      } catch (e) {
        if (!existsSync(join(build, 'analyzer/index.js'))) throw e;
      }
      writeFileSync(join(build, 'child.mjs'), `
import { writeFileSync } from 'node:fs';
import { startAnalyzer, propMap } from './analyzer/index.js';
const [props, expect, outFile] = [JSON.parse(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const h = await startAnalyzer({ agentName: 'a', file: 'child', props: propMap(props), out: process.stderr,
  onBatch: (b) => {
    process.stdout.write(JSON.stringify({ batch: b.batchId, lines: b.metrics.lines }) + '\\n');
    if (b.metrics.lines >= expect) {
      writeFileSync(outFile, JSON.stringify(b.queries.map((q) => q.rows())));
      h.stop().then(() => process.exit(0));
    }
  } });
`);
    });

    it('kill -9 mid-stream and restart from the checkpoint gives the counts of an uninterrupted run', async () => {
      const topic = uniqueTopic('analyzer-ckpt');
      await createTopic(topic, 3);
      const lines = NASA.slice(0, 120_000);
      await produce(topic, lines);
      const work = mkdtempSync(join(tmpdir(), 'analyzer-ckpt-'));
      const base = {
        type: 'analyzer', 'source.kafka.bootstrap.servers': env.kafkaBrokers.join(','), 'source.kafka.topics': topic,
        'source.kafka.startingOffsets': 'earliest', time: 'event', trigger: 'available', 'source.maxRecordsPerBatch': 5000,
        sinks: 'results', timeZone: 'UTC',
      };
      const run = (name: string, extra: Record<string, string>): ChildProcess => {
        const c = spawn(process.execPath, [join(build, 'child.mjs'), JSON.stringify({ ...base, 'source.kafka.groupId': `${topic}-${name}`, ...extra }), String(lines.length), join(work, `${name}.json`)], { stdio: ['ignore', 'pipe', 'ignore'] });
        children.push(c);
        return c;
      };
      const exited = (c: ChildProcess): Promise<number | null> => new Promise((r) => c.on('exit', (code) => r(code)));
      // Uninterrupted run.
      const a = run('straight', {});
      expect(await exited(a)).toBe(0);
      // Interrupted run: SIGKILL once it has checkpointed a few batches, then restart.
      const ckpt = join(work, 'ckpt');
      mkdirSync(ckpt);
      const b1 = run('killed', { 'checkpoint.dir': ckpt });
      let seen = 0;
      b1.stdout!.on('data', (d: Buffer) => { seen += d.toString().split('\n').filter(Boolean).length; });
      await waitUntil(() => seen >= 5, 60_000, 'five batches before the kill');
      b1.kill('SIGKILL');
      await exited(b1);
      expect(existsSync(join(work, 'killed.json'))).toBe(false);
      const ck = JSON.parse(readFileSync(join(ckpt, 'checkpoint.json'), 'utf8')) as { engine: { metrics: { lines: number } } };
      expect(ck.engine.metrics.lines).toBeGreaterThan(0);
      expect(ck.engine.metrics.lines).toBeLessThan(lines.length);
      const b2 = run('killed', { 'checkpoint.dir': ckpt });
      expect(await exited(b2)).toBe(0);
      const straight = JSON.parse(readFileSync(join(work, 'straight.json'), 'utf8')) as unknown[];
      const killed = JSON.parse(readFileSync(join(work, 'killed.json'), 'utf8')) as unknown[];
      expect(killed).toEqual(straight);
      const totals = (straight[0] as Array<{ count: number }>).reduce((s, r) => s + r.count, 0);
      expect(totals).toBe(lines.length);
    });
  });

  it('scale-out: two instances in one consumer group split the partitions; their merged counts equal one instance', async () => {
    const topic = uniqueTopic('analyzer-group');
    await createTopic(topic, 4);
    const props = (group: string): ReturnType<typeof propMap> => propMap({
      type: 'analyzer', 'source.kafka.bootstrap.servers': env.kafkaBrokers.join(','), 'source.kafka.topics': topic, 'source.kafka.groupId': group,
      'source.kafka.startingOffsets': 'earliest', time: 'event', trigger: 'available', sinks: 'results', timeZone: 'UTC',
    });
    const start = (group: string): ReturnType<typeof startAnalyzer> => startAnalyzer({ agentName: 'a', file: 'test', out: new PassThrough(), props: props(group) });
    const a = await start(`${topic}-shared`);
    const b = await start(`${topic}-shared`);
    const one = await start(`${topic}-single`);
    try {
      const parts = (h: Awaited<ReturnType<typeof startAnalyzer>>): number => (h.assignment()[topic] ?? []).length;
      await waitUntil(() => parts(a) > 0 && parts(b) > 0 && parts(a) + parts(b) === 4, 60_000, 'the group to split 4 partitions over 2 instances');
      const lines = NASA.slice(0, 40_000);
      await produce(topic, lines);
      await waitUntil(() => a.engine.metrics.lines + b.engine.metrics.lines >= lines.length && one.engine.metrics.lines >= lines.length, 60_000, 'all records');
      expect(a.engine.metrics.lines).toBeGreaterThan(0);
      expect(b.engine.metrics.lines).toBeGreaterThan(0);
      // Merge the two instances' counts, as a downstream merger of their outputs would.
      const merged = new AnalyzerEngine(one.engine.opts);
      merged.beginBatch(0);
      merged.mergeCounts(a.engine.snapshot());
      merged.mergeCounts(b.engine.snapshot());
      const m = merged.endBatch();
      const ref = new AnalyzerEngine(one.engine.opts);
      ref.beginBatch(0);
      ref.mergeCounts(one.engine.snapshot());
      const r = ref.endBatch();
      expect(m.metrics.lines).toBe(lines.length);
      for (let i = 0; i < r.queries.length; i++) expect(m.queries[i]!.rows(), r.queries[i]!.spec.name).toEqual(r.queries[i]!.rows());
    } finally {
      await Promise.all([a.stop(), b.stop(), one.stop()]);
    }
  });

  it('kafka sink: one JSON record per updated row', async () => {
    const src = uniqueTopic('analyzer-src');
    const dst = uniqueTopic('analyzer-out');
    await createTopic(src, 1);
    await createTopic(dst, 1);
    await produce(src, NASA.slice(0, 1000));
    const h = await startAnalyzer({
      agentName: 'a', file: 'test', out: new PassThrough(),
      props: propMap({
        type: 'analyzer', 'source.kafka.bootstrap.servers': env.kafkaBrokers.join(','), 'source.kafka.topics': src, 'source.kafka.groupId': src,
        'source.kafka.startingOffsets': 'earliest', time: 'event', trigger: 'available', queries: 'error_rates', sinks: 'out', 'sinks.out.type': 'kafka',
        'sinks.out.topic': dst, timeZone: 'UTC',
      }),
    });
    let got: Array<Record<string, unknown>> = [];
    try {
      await waitUntil(() => h.engine.metrics.lines >= 1000, 30_000, '1000 lines');
      const c = kafka.consumer({ groupId: `${dst}-reader` });
      await c.connect();
      await c.subscribe({ topic: dst, fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => { got.push(JSON.parse(message.value!.toString()) as Record<string, unknown>); } });
      await waitUntil(() => got.length > 0, 20_000, 'sink records');
      await new Promise((r) => setTimeout(r, 1000));
      await c.disconnect();
    } finally {
      await h.stop();
    }
    // Latest value per (window, status) equals the final count of errors in the input.
    const last = new Map<string, number>();
    for (const r of got) last.set(`${(r.window as { start: string }).start}|${String(r.status)}`, r.count as number);
    const errors = NASA.slice(0, 1000).filter((l) => / (4\d\d|5\d\d) /.test(l)).length;
    expect([...last.values()].reduce((a, b) => a + b, 0)).toBe(errors);
    expect(got[0]).toMatchObject({ query: 'error_rates' });
    got = [];
  });
});

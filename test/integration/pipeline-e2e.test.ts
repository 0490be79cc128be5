/**
 * Acceptance of issue 7 (the reference pipeline in one command), on the real stack, through the
 * real CLI: `tsagent pipeline FILE --isolate --trigger 5s`.
 *
 * - The real NASA sample (../shared/data/nasa, 124,979 lines; generated data when absent) goes
 *   replay -> agent 1 -> Kafka -> agent 2 -> HDFS /user/bigdata/apache_logs/<yy-mm-dd>/ and
 *   Kafka -> analyzer. Every line appears exactly once across the run's HDFS files (multisets
 *   compared), the analyzer's total_requests over all windows equals the number of lines, and no
 *   process of the run is left.
 * - Ctrl-C (SIGINT) while the agents start, during the replay, while waiting for the analyzer's
 *   60 s trigger, and twice at once (npm start forwards the terminal's SIGINT, so the runner gets
 *   two): exit 130, every child stopped (drained, not killed), the private topic deleted.
 *
 * Isolation (the stack is shared with other tests): --isolate gives the run a fresh topic
 * apache_logs_<run> (3 partitions, deleted at the end), fresh consumer groups, a free netcat port
 * and the HDFS file prefix apache_logs_<run> in the seed's directory
 * /user/bigdata/apache_logs/%y-%m-%d. These overrides and --trigger 5s go to overlay files in the
 * run dir (a second -f); conf/ is used as it is. The seed's analyzer trigger (60 s) is kept in the
 * Ctrl-C case that waits for it.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeString } from '../../src/hdfs/escapes.js';
import { WebHdfsClient } from '../../src/hdfs/webhdfs.js';
import { writeGenerated } from '../../src/tools/generate.js';
import { withAdmin } from '../kafka/helpers.js';
import { lastTotalRequests, multisetDiff, portOpen, processesWith, replayLines, runCli } from './pipeline-helpers.js';
import { stackEnv } from './stack-env.js';

const env = stackEnv();
const NASA = path.resolve(env.repoRoot, '..', 'shared', 'data', 'nasa', 'NASA_access_log_Jul95.head-124979.txt.gz');
const DIR = '/user/bigdata/apache_logs';
const hdfs = new WebHdfsClient(env.webhdfsUrl, { user: env.hdfsUser, timeoutMs: 60_000 });

interface Summary {
  ok: boolean; interrupted: boolean; error: string | null; runId: string; runDir: string;
  replay: { acked: number; linesRead: number } | null;
  kafka: { topic: string; records: number } | null;
  hdfs: { lines: number; files: Array<{ path: string; lines: number }> } | null;
  analyzer: { totalRequests: number } | null;
}

function lastJson(stdout: string): Summary {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`no JSON summary on stdout:\n${stdout.slice(-2000)}`);
  return JSON.parse(line) as Summary;
}

/** Files of the run's prefix in the day directories that can hold it (today and yesterday, agent zone). */
async function runFiles(prefix: string): Promise<Array<{ path: string; name: string }>> {
  const now = Date.now();
  const out: Array<{ path: string; name: string }> = [];
  for (const d of new Set([escapeString('%y-%m-%d', { timestamp: String(now) }), escapeString('%y-%m-%d', { timestamp: String(now - 86_400_000) })])) {
    for (const e of await hdfs.list(`${DIR}/${d}`)) {
      if (e.status.type === 'FILE' && e.name.startsWith(`${prefix}.`)) out.push({ path: `${DIR}/${d}/${e.name}`, name: e.name });
    }
  }
  return out;
}

async function topicExists(topic: string): Promise<boolean> {
  return withAdmin(env.kafkaBrokers, async (a) => (await a.listTopics()).includes(topic));
}

/** What an isolated run used: from the overlay files it wrote into its run dir. */
function overlayValue(runDir: string, file: string, keySuffix: string): string | undefined {
  const p = path.join(runDir, file);
  if (!existsSync(p)) return undefined;
  const l = readFileSync(p, 'utf8').split('\n').find((x) => x.split('=')[0]!.trim().endsWith(keySuffix));
  return l?.split('=').slice(1).join('=').trim();
}

async function expectNothingLeft(runDir: string): Promise<void> {
  // Every child of the run has the run dir in its command line (its overlay file).
  expect(processesWith(runDir), 'processes of the run still alive').toEqual([]);
  const port = overlayValue(runDir, 'agent1.overlay.conf', '.port');
  if (port !== undefined) expect(await portOpen(Number(port)), `netcat port ${port} still open`).toBe(false);
  const topic = overlayValue(runDir, 'agent1.overlay.conf', '.kafka.topic');
  if (topic !== undefined) {
    // Topic deletion is asynchronous in the broker; give it a moment.
    let exists = true;
    for (let i = 0; i < 20 && exists; i++) { exists = await topicExists(topic); if (exists) await new Promise((r) => setTimeout(r, 500)); }
    expect(exists, `private topic ${topic} not deleted`).toBe(false);
  }
}

describe('tsagent pipeline end to end (replay -> agent 1 -> Kafka -> agent 2 -> HDFS, Kafka -> analyzer)', () => {
  it('every line of >= 100,000 exactly once in HDFS, analyzer total_requests = lines, nothing left running', async () => {
    let input = NASA;
    if (!existsSync(NASA)) {
      input = path.join(mkdtempSync(path.join(tmpdir(), 'tsagent-pipeline-')), 'generated.log.gz');
      await writeGenerated(input, { seed: 7, lines: 120_000, gzip: true });
    }
    const expected = await replayLines(input);
    expect(expected.length).toBeGreaterThanOrEqual(100_000);
    const runDir = mkdtempSync(path.join(tmpdir(), 'tsagent-pipeline-e2e-'));
    const t0 = Date.now();
    const run = runCli(env.repoRoot, ['pipeline', input, '--isolate', '--trigger', '5s', '--hide-analyzer', '--json', '--run-dir', runDir]);
    const ex = await run.exited;
    const secs = (Date.now() - t0) / 1000;
    const s = lastJson(run.stdout());
    expect(ex.code, `exit status; summary: ${JSON.stringify({ ...s, hdfs: undefined })}\n${run.stderr().slice(-3000)}`).toBe(0);
    expect(s.ok).toBe(true);
    expect(s.replay?.acked).toBe(expected.length);
    expect(s.kafka?.records).toBe(expected.length);

    // HDFS, read independently: the run's files under /user/bigdata/apache_logs/<yy-mm-dd>/.
    const prefix = `apache_logs_${s.runId.replace(/[^a-z0-9]/g, '')}`;
    const files = await runFiles(prefix);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f.name, 'closed and renamed at agent 2 stop').toMatch(new RegExp(`^${prefix}\\.\\d{13}\\.log$`));
    const got: string[] = [];
    for (const f of files) {
      const text = (await hdfs.read(f.path)).toString('utf8');
      expect(text.endsWith('\n')).toBe(true);
      for (const l of text.slice(0, -1).split('\n')) got.push(l);
    }
    expect(got.length).toBe(expected.length);
    expect(multisetDiff(expected, got)).toEqual([]);

    // The analyzer's own console output (its log in the run dir), last batch, all windows.
    const t = lastTotalRequests(readFileSync(path.join(runDir, 'analyzer.log'), 'utf8'));
    expect(t.windows).toBeGreaterThan(0);
    expect(t.total).toBe(expected.length);
    expect(s.analyzer?.totalRequests).toBe(expected.length);

    await expectNothingLeft(runDir);
    console.log(`[pipeline-e2e] ${expected.length} lines (${input === NASA ? 'NASA sample' : 'generated'}) end to end in ${secs.toFixed(1)} s; ${files.length} HDFS file(s): ${files.map((f) => f.path).join(', ')}; analyzer ${t.total} over ${t.windows} window(s)`);
  }, 600_000);

  const cases: Array<{ when: string; args: string[]; at: RegExp; delayMs: number; twice?: boolean }> = [
    { when: 'while the agents start', args: ['-n', '5000', '--trigger', '5s'], at: /agent 2 running/, delayMs: 0 },
    { when: 'during the replay', args: ['-n', '3000000', '--rate', '20000', '--trigger', '5s'], at: /replaying/, delayMs: 3000 },
    { when: "while waiting for the analyzer's 60 s trigger (seed conf)", args: ['-n', '5000'], at: /next trigger in/, delayMs: 0 },
    // `npm start` forwards the terminal's SIGINT to its child, which also gets it from the terminal.
    { when: 'delivered twice at once, as under npm start', args: ['-n', '3000000', '--rate', '20000', '--trigger', '5s'], at: /replaying/, delayMs: 2000, twice: true },
  ];
  for (const c of cases) {
    it(`Ctrl-C ${c.when}: exit 130, every child stopped, private topic deleted`, async () => {
      const runDir = mkdtempSync(path.join(tmpdir(), 'tsagent-pipeline-int-'));
      const run = runCli(env.repoRoot, ['pipeline', ...c.args, '--isolate', '--hide-analyzer', '--run-dir', runDir]);
      try {
        await run.waitFor(c.at, 180_000);
        if (c.delayMs) await new Promise((r) => setTimeout(r, c.delayMs));
        expect(processesWith(runDir).length, 'children running before Ctrl-C').toBeGreaterThan(0);
        const t0 = Date.now();
        run.child.kill('SIGINT');
        if (c.twice) { await new Promise((r) => setTimeout(r, 50)); run.child.kill('SIGINT'); }
        const ex = await run.exited;
        const secs = (Date.now() - t0) / 1000;
        expect(ex.code, run.stderr().slice(-3000)).toBe(130);
        expect(run.stdout()).toMatch(/interrupted \(Ctrl-C\); everything this run started is stopped/);
        expect(run.stderr(), 'an orderly stop, not the second-Ctrl-C kill').not.toMatch(/killed the child processes/);
        expect(secs).toBeLessThan(120);
        await expectNothingLeft(runDir);
        const logs = readdirSync(runDir).filter((f) => f.endsWith('.log'));
        expect(logs).toContain('agent2.log');
        console.log(`[pipeline-e2e] Ctrl-C ${c.when}: stopped in ${secs.toFixed(1)} s`);
      } finally {
        if (run.child.exitCode === null) run.child.kill('SIGKILL');
      }
    }, 300_000);
  }
});

/**
 * `tsagent pipeline` and the stack it starts: on a second, private stack (own TSAGENT_STACK_DIR
 * and ports 29xxx/28020, the jar cache of the main stack), which is down when the runner starts.
 *
 * - A run that starts the stack stops it at the end (`stack.sh up --lease <pid>` +
 *   `release <pid>`): afterwards `stack.sh status` says down and no JVM of that stack dir is left.
 * - Ctrl-C while the stack is starting: the runner stops stack.sh and the services it already
 *   launched (they run in their own sessions), exit 130, nothing of that stack dir left.
 *
 * The agents reach the private broker through --set overrides of the bootstrap servers (overlay
 * files; conf/ is used as it is). HADOOP_CONF_DIR comes from the private stack's `env`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processesWith, runCli } from './pipeline-helpers.js';
import { stackEnv } from './stack-env.js';

const main = stackEnv();
const dir = mkdtempSync(path.join(tmpdir(), 'tsagent-pipeline-stack-'));
const stackDir = path.join(dir, '.stack');
const ports = {
  TSAGENT_KAFKA_PORT: '29092', TSAGENT_KAFKA_SASL_PORT: '29094', TSAGENT_KAFKA_CONTROLLER_PORT: '29093',
  TSAGENT_NAMENODE_PORT: '28020', TSAGENT_WEBHDFS_PORT: '29870', TSAGENT_DATANODE_HTTP_PORT: '29864',
  TSAGENT_DATANODE_PORT: '29866', TSAGENT_DATANODE_IPC_PORT: '29867',
};
const childEnv: NodeJS.ProcessEnv = { ...process.env, ...ports, TSAGENT_STACK_DIR: stackDir, TSAGENT_STACK_CACHE: process.env['TSAGENT_STACK_CACHE'] ?? path.join(main.stackDir, 'cache') };
for (const k of ['TSAGENT_KAFKA_BROKERS', 'TSAGENT_KAFKA_SASL_BROKERS', 'TSAGENT_WEBHDFS_URL', 'TSAGENT_HDFS_DEFAULT_FS', 'HADOOP_CONF_DIR', 'TSAGENT_STACK_EXTERNAL']) delete childEnv[k];
const brokers = `127.0.0.1:${ports.TSAGENT_KAFKA_PORT}`;
const sets = [
  '--set', `agent1.sinks.kafka_sink.kafka.bootstrap.servers=${brokers}`,
  '--set', `agent2.sources.kafka_source.kafka.bootstrap.servers=${brokers}`,
  '--set', `analyzer.source.kafka.bootstrap.servers=${brokers}`,
];

function status(): number {
  return spawnSync('bash', [main.stackScript, 'status'], { env: childEnv, encoding: 'utf8' }).status ?? -1;
}

afterAll(() => {
  // Whatever happened, leave no private stack behind.
  try { execFileSync('bash', [main.stackScript, 'down'], { env: childEnv, stdio: 'ignore' }); } catch { /* nothing to stop */ }
  rmSync(dir, { recursive: true, force: true });
});

describe('tsagent pipeline with a stack it starts itself (private stack dir and ports)', () => {
  it('starts the stack, runs the pipeline, and stops the stack at the end', async () => {
    expect(status()).toBe(3);
    const runDir = path.join(dir, 'run-ok');
    const run = runCli(main.repoRoot, ['pipeline', '-n', '20000', '--isolate', '--trigger', '2s', '--hide-analyzer', '--json', '--run-dir', runDir, ...sets], childEnv);
    const ex = await run.exited;
    const s = JSON.parse(run.stdout().trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '{}') as { ok?: boolean; stack?: { startedByThisRun: boolean; stoppedAtEnd: boolean }; hdfs?: { lines: number }; stages?: Array<{ stage: string; ms: number }>; totalMs?: number };
    expect(ex.code, run.stderr().slice(-3000)).toBe(0);
    expect(s.ok).toBe(true);
    expect(s.hdfs?.lines).toBe(20_000);
    expect(s.stack).toEqual({ startedByThisRun: true, stoppedAtEnd: true });
    expect(run.stderr()).toMatch(/\[stack\] starting kafka/);
    expect(status()).toBe(3);
    expect(processesWith(stackDir)).toEqual([]);
    expect(processesWith(runDir)).toEqual([]);
    console.log(`[pipeline-stack] stack from nothing (jars cached) + 20,000 lines: ${(s.stages ?? []).map((x) => `${x.stage} ${(x.ms / 1000).toFixed(1)} s`).join(', ')}; total ${((s.totalMs ?? 0) / 1000).toFixed(1)} s`);
  }, 420_000);

  it('Ctrl-C while the stack starts: stack.sh and the services it launched are stopped, exit 130', async () => {
    expect(status()).toBe(3);
    const runDir = path.join(dir, 'run-int');
    const run = runCli(main.repoRoot, ['pipeline', '-n', '20000', '--isolate', '--hide-analyzer', '--run-dir', runDir, ...sets], childEnv);
    try {
      await run.waitFor(/\[stack\] starting (kafka|namenode)/, 180_000);
      run.child.kill('SIGINT');
      const ex = await run.exited;
      expect(ex.code, run.stderr().slice(-3000)).toBe(130);
      expect(run.stdout()).toMatch(/interrupted \(Ctrl-C\)/);
      expect(status()).toBe(3);
      expect(processesWith(stackDir)).toEqual([]);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  }, 300_000);
});

/**
 * Acceptance of issue 7: "replay resumes without loss or duplicates when agent 1 is restarted
 * mid-replay". Real processes: agent 1 from conf/flume-agent1.conf (netcat -> memory -> Kafka;
 * an overlay file gives it a free port and a fresh topic, conf/ is used as it is) and
 * `tsagent replay FILE --wait 30 --retry-for 90`. Agent 1 is stopped with SIGTERM mid-replay
 * (its memory channel drains into Kafka; -Dtsagent.drain.timeout=120000 because the seed's Kafka
 * sink, batch 100, can hold tens of thousands of events in the channel on a loaded machine and
 * the default drain bound is 5 s) and started again; replay reconnects and resends what
 * was not acknowledged. Every input line must be in the topic exactly once.
 *
 * Not covered on purpose: SIGKILL of agent 1 loses the events in its memory channel (Flume's
 * memory channel has the same property; docs/tools.md "at-least-once" and docs/pipeline.md).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeGenerated } from '../../src/tools/generate.js';
import { startAgent, stopAgent, type AgentProcess } from '../kafka/agent-process.js';
import { createTopic, partitionCounts, readTopic, uniqueTopic, withAdmin } from '../kafka/helpers.js';
import { multisetDiff, portOpen, replayLines, runCli } from './pipeline-helpers.js';
import { stackEnv } from './stack-env.js';

const env = stackEnv();
const topics: string[] = [];
afterAll(async () => {
  if (topics.length) await withAdmin(env.kafkaBrokers, (a) => a.deleteTopics({ topics })).catch(() => undefined);
});

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const a = s.address() as { port: number };
      s.close(() => resolve(a.port));
    });
  });
}

// Agent 1 is stopped once a quarter of the input is in Kafka (not after a fixed time: how fast
// agent 1 goes depends on the machine and the build).
const STOP_AT = 0.25;
const cases = [
  { name: 'paced replay (--rate 10000)', lines: 100_000, replayArgs: ['--rate', '10000'] },
  { name: 'as fast as agent 1 acknowledges', lines: 1_000_000, replayArgs: [] },
];

describe('replay across an agent 1 restart', () => {
  for (const c of cases) {
    it(`${c.name}: every line in Kafka exactly once`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'tsagent-pipeline-resume-'));
      const input = path.join(dir, 'input.log');
      await writeGenerated(input, { seed: 11, lines: c.lines });
      const expected = await replayLines(input);
      const topic = uniqueTopic('pipeline-resume');
      topics.push(topic);
      await createTopic(env.kafkaBrokers, topic, 3);
      const port = await freePort();
      const overlay = path.join(dir, 'agent1.overlay.conf');
      writeFileSync(overlay, `agent1.sources.netcat_source.port = ${port}\nagent1.sinks.kafka_sink.kafka.topic = ${topic}\n`);
      const conf = path.join(env.repoRoot, 'conf', 'flume-agent1.conf');
      const agents: AgentProcess[] = [];
      const start = async (i: number): Promise<AgentProcess> => {
        const a = startAgent(env.repoRoot, conf, 'agent1', path.join(dir, `agent1-${i}.log`), ['-f', overlay, '-Dtsagent.drain.timeout=120000']);
        agents.push(a);
        for (let t = 0; t < 600 && !(await portOpen(port)); t++) await new Promise((r) => setTimeout(r, 100));
        return a;
      };
      try {
        const first = await start(1);
        const replay = runCli(env.repoRoot, ['replay', input, '--port', String(port), '--host', '127.0.0.1', '--wait', '30', '--retry-for', '90', '--json', '-q', ...c.replayArgs]);
        const t0 = Date.now();
        for (;;) {
          const inKafka = (await partitionCounts(env.kafkaBrokers, topic)).reduce((a, b) => a + b, 0);
          if (inKafka >= c.lines * STOP_AT || replay.child.exitCode !== null || Date.now() - t0 > 120_000) break;
          await new Promise((r) => setTimeout(r, 25));
        }
        const stopAfterMs = Date.now() - t0;
        expect(replay.child.exitCode, `replay ended before the restart; make the input longer\n${replay.stderr()}`).toBeNull();
        await stopAgent(first, 'SIGTERM');
        expect(first.log()).toMatch(/SIGTERM received/);
        expect(first.log(), 'channel drained into Kafka at stop').not.toMatch(/are lost/);
        await new Promise((r) => setTimeout(r, 1000));
        await start(2);
        const ex = await replay.exited;
        expect(ex.code, replay.stderr().slice(-2000)).toBe(0);
        const summary = JSON.parse(replay.stdout().trim().split('\n').pop()!) as { acked: number; reconnects: number; resent: number; failed: number; complete: boolean };
        expect(summary.complete).toBe(true);
        expect(summary.acked).toBe(expected.length);
        expect(summary.reconnects).toBeGreaterThanOrEqual(1);
        await stopAgent(agents[1]!, 'SIGTERM'); // drains its channel into Kafka
        const records = await readTopic(env.kafkaBrokers, topic, expected.length, 120_000);
        const got = records.map((r) => r.value.toString('utf8'));
        expect(multisetDiff(expected, got)).toEqual([]);
        expect(got.length).toBe(expected.length);
        console.log(`[pipeline-resume] ${c.name}: ${expected.length} lines, agent 1 restarted after ${stopAfterMs} ms; replay reconnects ${summary.reconnects}, resent ${summary.resent}, FAILED ${summary.failed}; Kafka ${got.length} records, exactly once`);
      } finally {
        for (const a of agents) await stopAgent(a, 'SIGKILL');
      }
    }, 300_000);
  }
});

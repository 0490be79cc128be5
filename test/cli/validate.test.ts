import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const seed = path.join(ROOT, 'test/fixtures/flume/seed-agent1.conf');

describe('tsagent validate', () => {
  it('accepts the seed agent-1 file with -n agent (warning about kafka.flumeBatchSize)', async () => {
    const r = await runCli(['validate', '-f', seed, '-n', 'agent']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid');
    expect(r.stderr).toMatch(/seed-agent1\.conf:13 warning .*kafka\.flumeBatchSize.*did you mean 'flumeBatchSize'/);
  });

  it('fails with -n agent1 naming the agent that exists', async () => {
    const r = await runCli(['validate', '-f', seed, '-n', 'agent1']);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("No agent named 'agent1'");
    expect(r.stderr).toContain('agents defined: agent');
  });

  it('conf/flume-agent1.conf validates as agent1', async () => {
    const r = await runCli(['validate', '-f', 'conf/flume-agent1.conf', '-n', 'agent1']);
    expect(r.code).toBe(0);
  });

  it('--json prints every property exactly as read, the agents and the problems', async () => {
    const r = await runCli(['validate', '-f', seed, '-n', 'agent', '--json']);
    const j = JSON.parse(r.stdout) as { valid: boolean; agents: string[]; properties: Record<string, string>; problems: Array<{ code: string; line: number }> };
    expect(j.valid).toBe(true);
    expect(j.agents).toEqual(['agent']);
    expect(Object.keys(j.properties)).toHaveLength(16);
    expect(j.properties['agent.sinks.kafka_sink.kafka.producer.acks']).toBe('1');
    expect(j.problems.map((p) => [p.code, p.line])).toEqual([['UNKNOWN_PROPERTY', 13]]);
  });

  it('reports all five mistakes at once, each with file:line and a fix', async () => {
    const r = await runCli(['validate', '-f', 'test/fixtures/cli/five-mistakes.conf', '-n', 'a1', '--json']);
    expect(r.code).toBe(78);
    const j = JSON.parse(r.stdout) as { problems: Array<{ severity: string; code: string; line?: number; fix?: string; file?: string }> };
    const errors = j.problems.filter((p) => p.severity === 'error');
    const byCode = Object.fromEntries(errors.map((p) => [p.code, p]));
    // 1 unknown type (line 5), 2 bad integer (line 10), 3 batch > transactionCapacity (line 13),
    // 4 file_roll without sink.directory (k2), 5 sink bound to an undefined channel (line 16)
    expect(byCode.UNKNOWN_TYPE?.line).toBe(5);
    expect(byCode.UNKNOWN_TYPE?.fix).toContain("did you mean 'netcat'");
    expect(byCode.BAD_VALUE?.line).toBe(10);
    expect(byCode.BATCH_GT_TX_CAPACITY?.line).toBe(13);
    expect(byCode.MISSING_PROPERTY?.fix).toContain('sink.directory');
    expect(byCode.UNKNOWN_CHANNEL?.line).toBe(16);
    expect(errors.length).toBeGreaterThanOrEqual(5);
    for (const p of errors) {
      expect(p.file).toContain('five-mistakes.conf');
      expect(p.fix).toBeTruthy();
    }
    const text = await runCli(['validate', '-f', 'test/fixtures/cli/five-mistakes.conf', '-n', 'a1']);
    expect(text.stderr).toMatch(/five-mistakes\.conf:5 error/);
    expect(text.stderr).not.toMatch(/at .*\.js:\d+/); // no stack traces
  });

  it('an unreadable file is one clear error', async () => {
    const r = await runCli(['validate', '-f', 'nope.conf']);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('cannot read configuration file nope.conf: no such file');
  });
});

describe('tsagent describe / version', () => {
  it('describes a component from its declaration', async () => {
    const r = await runCli(['describe', 'memory']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/channel memory \(also: org\.apache\.flume\.channel\.MemoryChannel\)/);
    expect(r.stdout).toMatch(/transactionCapacity\s+integer\s+100/);
  });
  it('describes by FQCN', async () => {
    const r = await runCli(['describe', 'org.apache.flume.source.NetcatSource', '--json']);
    const j = JSON.parse(r.stdout) as { type: string; properties: Array<{ name: string; default: unknown }> };
    expect(j.type).toBe('netcat');
    expect(j.properties.find((p) => p.name === 'max-line-length')?.default).toBe(512);
  });
  it('unknown type exits 1 listing known types', async () => {
    const r = await runCli(['describe', 'nosuch']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Known types');
  });
  it('prints a version', async () => {
    const r = await runCli(['version']);
    expect(r.stdout).toMatch(/^tsagent \d+\.\d+\.\d+/);
  });
});

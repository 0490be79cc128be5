/**
 * stack/stack.sh lifecycle on a second, private stack (own TSAGENT_STACK_DIR and ports, the jar
 * cache shared with the main stack), so the stack other tests use is never disturbed:
 * status/down on nothing, up, up again, the single-service outage commands used by other tests
 * (stop-kafka/start-kafka, stop-namenode/start-namenode keep the data), and down leaving no
 * process behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { runStack, stackEnv, type StackCommandResult } from './stack-env.js';

const main = stackEnv();
const dir = mkdtempSync(join(tmpdir(), 'tsagent-stack-lifecycle-'));
const ports = {
  TSAGENT_KAFKA_PORT: '19092',
  TSAGENT_KAFKA_SASL_PORT: '19094',
  TSAGENT_KAFKA_CONTROLLER_PORT: '19093',
  TSAGENT_NAMENODE_PORT: '18020',
  TSAGENT_WEBHDFS_PORT: '19870',
  TSAGENT_DATANODE_HTTP_PORT: '19864',
  TSAGENT_DATANODE_PORT: '19866',
  TSAGENT_DATANODE_IPC_PORT: '19867',
};
const isolated = {
  ...ports,
  TSAGENT_STACK_DIR: dir,
  // Reuse the main stack's jar cache: no second download.
  TSAGENT_STACK_CACHE: process.env['TSAGENT_STACK_CACHE'] ?? resolve(main.stackDir, 'cache'),
};
const webhdfs = `http://127.0.0.1:${ports.TSAGENT_WEBHDFS_PORT}/webhdfs/v1`;
const user = main.hdfsUser;

function stack(...args: string[]): Promise<StackCommandResult> {
  return runStack(args, { env: isolated, timeoutMs: 300_000 });
}

function out(r: StackCommandResult): string {
  return r.stdout + r.stderr;
}

function portOpen(port: string): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const s = connect({ host: '127.0.0.1', port: Number(port) });
    s.setTimeout(2000, () => {
      s.destroy();
      resolveOpen(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolveOpen(true);
    });
    s.once('error', () => resolveOpen(false));
  });
}

/** DataNode data step with node:http (the DataNode sends an unsolicited 100 Continue that fetch rejects). */
function putToDataNode(location: string, body: string): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = httpRequest(location, { method: 'PUT', headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolveStatus(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function pids(): Map<string, number> {
  const m = new Map<string, number>();
  for (const svc of ['kafka', 'namenode', 'datanode']) {
    const f = join(dir, 'pids', `${svc}.pid`);
    if (existsSync(f)) m.set(svc, Number(readFileSync(f, 'utf8').trim()));
  }
  return m;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('stack.sh lifecycle on a private stack dir and ports', () => {
  afterAll(async () => {
    const r = await stack('down');
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(0);
  });

  it('reports DOWN (exit 3) and "nothing to stop" when nothing runs', async () => {
    const st = await stack('status');
    expect(st.code).toBe(3);
    expect(st.stdout).toContain('stack: DOWN');
    const down = await stack('down');
    expect(down.code).toBe(0);
    expect(out(down)).toContain('nothing to stop');
  });

  it('prints env lines for the private ports', async () => {
    const env = await stack('env');
    expect(env.code).toBe(0);
    expect(env.stdout).toContain(`export TSAGENT_KAFKA_BROKERS='127.0.0.1:${ports.TSAGENT_KAFKA_PORT}'`);
    expect(env.stdout).toContain(`export TSAGENT_WEBHDFS_URL='http://127.0.0.1:${ports.TSAGENT_WEBHDFS_PORT}'`);
    expect(env.stdout).toContain(`export HADOOP_CONF_DIR='${dir}/hadoop-conf'`);
    expect(env.stdout.trim().split('\n').every((l) => l.startsWith('export '))).toBe(true);
  });

  it('starts all three services, then says so when asked to start again', async () => {
    const up = await stack('up');
    expect(up.code, out(up)).toBe(0);
    expect(up.stdout).toContain('kafka ready: topic apache_logs has 3 partitions');
    expect(up.stdout).toMatch(/hdfs ready .*\/user\/bigdata owned by/);
    expect((await stack('status')).code).toBe(0);
    const core = readFileSync(join(dir, 'hadoop-conf', 'core-site.xml'), 'utf8');
    expect(core).toContain(`<name>fs.defaultFS</name><value>hdfs://127.0.0.1:${ports.TSAGENT_NAMENODE_PORT}</value>`);

    const again = await stack('up');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already running');
  });

  it('stop-kafka / start-kafka: broker down in between, messages kept across the restart', async () => {
    const kafka = new Kafka({ clientId: 'lifecycle', brokers: [`127.0.0.1:${ports.TSAGENT_KAFKA_PORT}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'apache_logs', acks: -1, messages: [{ key: 'k', value: 'survives restart' }] });
    await producer.disconnect();

    const stop = await stack('stop-kafka');
    expect(stop.code).toBe(0);
    expect(await portOpen(ports.TSAGENT_KAFKA_PORT)).toBe(false);
    const st = await stack('status');
    expect(st.code).toBe(1);
    expect(st.stdout).toMatch(/kafka\s+stopped\s+\(paused by stop-kafka/);

    const start = await stack('start-kafka');
    expect(start.code, out(start)).toBe(0);
    expect((await stack('status')).code).toBe(0);

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('apache_logs');
    await admin.disconnect();
    expect(offsets.reduce((a, p) => a + Number(p.high) - Number(p.low), 0)).toBe(1);
  });

  it('stop-namenode / start-namenode: WebHDFS down in between, file and its block kept across the restart', async () => {
    const path = '/user/bigdata/restart.txt';
    const first = await fetch(`${webhdfs}${path}?op=CREATE&overwrite=true&user.name=${user}`, { method: 'PUT', redirect: 'manual' });
    expect(first.status).toBe(307);
    expect(await putToDataNode(first.headers.get('location') ?? '', 'kept across a NameNode restart\n')).toBe(201);

    const stop = await stack('stop-namenode');
    expect(stop.code).toBe(0);
    expect(await portOpen(ports.TSAGENT_WEBHDFS_PORT)).toBe(false);
    expect(await portOpen(ports.TSAGENT_NAMENODE_PORT)).toBe(false);
    expect((await stack('status')).stdout).toMatch(/namenode\s+stopped\s+\(paused by stop-namenode/);

    const start = await stack('start-namenode');
    expect(start.code, out(start)).toBe(0);
    const read = await fetch(`${webhdfs}${path}?op=OPEN&user.name=${user}`);
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('kept across a NameNode restart\n');
  });

  it('down stops every process it started and frees the ports; down again says nothing to stop', async () => {
    const before = pids();
    expect([...before.keys()].sort()).toEqual(['datanode', 'kafka', 'namenode']);
    for (const pid of before.values()) expect(alive(pid)).toBe(true);

    const down = await stack('down');
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('stack stopped');
    for (const pid of before.values()) expect(alive(pid)).toBe(false);
    for (const p of Object.values(ports)) expect(await portOpen(p)).toBe(false);
    expect(pids().size).toBe(0);

    const again = await stack('down');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to stop');
  });
  it('test-run leases: a stack started by `up --lease` is stopped only by the last `release`', async () => {
    // A second "test run": any live process id serves as its lease.
    const other = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      const mine = String(process.pid);
      const theirs = String(other.pid);
      const up = await stack('up', '--lease', mine);
      expect(up.code, out(up)).toBe(0);
      expect(existsSync(join(dir, 'autostarted'))).toBe(true);
      const up2 = await stack('up', '--lease', theirs);
      expect(up2.stdout).toContain('already running');

      const rel1 = await stack('release', mine);
      expect(rel1.code).toBe(0);
      expect(rel1.stdout).toContain('1 other test run(s) still use the stack; leaving it running');
      expect((await stack('status')).code).toBe(0);

      const rel2 = await stack('release', theirs);
      expect(rel2.code).toBe(0);
      expect(rel2.stdout).toContain('stack stopped');
      expect((await stack('status')).code).toBe(3);
    } finally {
      other.kill('SIGTERM');
    }
  });
});

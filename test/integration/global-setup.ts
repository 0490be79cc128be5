/**
 * Vitest global setup of the `integration` project: make sure the real Kafka + HDFS stack
 * (stack/stack.sh) is up before any integration test runs, and stop it afterwards only if this
 * run started it.
 *
 * `stack.sh up --lease <pid>` starts whatever is not running (fetching the jars from Maven Central
 * on the first run, which is printed as it goes) and records that a test run started it;
 * `stack.sh release <pid>` stops the stack only when a test run started it and no other test run
 * (another engineer's vitest) still holds a lease. A stack started by hand (`npm run stack:up`) is
 * never stopped by tests. With TSAGENT_STACK_EXTERNAL=1 nothing is started; the services named by
 * the TSAGENT_* variables must answer or the run fails. Never skips silently.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { stackEnv } from './stack-env.js';

function runVisible(args: readonly string[]): Promise<number> {
  const env = stackEnv();
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [env.stackScript, ...args], {
      cwd: env.repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise(code ?? -1));
  });
}

function tcpReachable(hostPort: string, timeoutMs: number): Promise<boolean> {
  const idx = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, idx);
  const port = Number(hostPort.slice(idx + 1));
  return new Promise((resolvePromise) => {
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolvePromise(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function checkExternal(): Promise<void> {
  const env = stackEnv();
  const problems: string[] = [];
  for (const b of env.kafkaBrokers) {
    if (!(await tcpReachable(b, 5000))) problems.push(`Kafka broker ${b} (TSAGENT_KAFKA_BROKERS) does not accept connections`);
  }
  try {
    const r = await fetch(`${env.webhdfsUrl}/webhdfs/v1/?op=GETFILESTATUS&user.name=${encodeURIComponent(env.hdfsUser)}`);
    if (r.status !== 200) problems.push(`WebHDFS ${env.webhdfsUrl} (TSAGENT_WEBHDFS_URL) answered HTTP ${r.status}`);
  } catch (e) {
    problems.push(`WebHDFS ${env.webhdfsUrl} (TSAGENT_WEBHDFS_URL) unreachable: ${String(e)}`);
  }
  if (problems.length > 0) {
    throw new Error(`TSAGENT_STACK_EXTERNAL=1 but the external services do not answer:\n  ${problems.join('\n  ')}`);
  }
  console.log(`[global-setup] using external services: kafka ${env.kafkaBrokers.join(',')}, webhdfs ${env.webhdfsUrl}`);
}

export default async function setup(): Promise<() => Promise<void>> {
  const env = stackEnv();
  if (env.external) {
    await checkExternal();
    return async () => {};
  }
  const lease = String(process.pid);
  console.log(`[global-setup] checking the local stack in ${env.stackDir} (stack/stack.sh status)`);
  const status = await runVisible(['status']);
  if (status !== 0) {
    console.log('[global-setup] stack is not (fully) up: running stack/stack.sh up (the very first run also downloads ~150 MB of jars from Maven Central)');
  }
  const t0 = Date.now();
  const code = await runVisible(['up', '--lease', lease]);
  if (code !== 0) {
    await runVisible(['release', lease]);
    throw new Error(
      `stack/stack.sh up failed (exit ${code}); integration tests need the real Kafka and HDFS. ` +
        `See the output above and the logs in ${env.stackDir}/logs/.`,
    );
  }
  if (status !== 0) console.log(`[global-setup] stack up after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return async () => {
    const rc = await runVisible(['release', lease]);
    if (rc !== 0) console.error(`[global-setup] stack/stack.sh release ${lease} exited ${rc}`);
  };
}

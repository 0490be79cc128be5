/**
 * Addresses of the local Kafka + HDFS stack (stack/stack.sh) for integration tests.
 *
 * Import `stackEnv()` to get broker lists, the WebHDFS URL, the HDFS user, HADOOP_CONF_DIR and
 * the stack directory. Values come from `stack/stack.sh env` (which honours TSAGENT_STACK_DIR and
 * the TSAGENT_*_PORT overrides); any TSAGENT_* variable already set in the environment wins, so
 * `eval "$(npm run -s stack:env)"` or hand-set variables point the tests elsewhere.
 *
 * External cluster: set TSAGENT_STACK_EXTERNAL=1 plus TSAGENT_KAFKA_BROKERS, TSAGENT_WEBHDFS_URL,
 * TSAGENT_HDFS_USER (and HADOOP_CONF_DIR); the global setup then starts nothing and only checks
 * that those services answer.
 *
 * Kafka listeners of the local stack:
 *   - PLAINTEXT 127.0.0.1:9092 (default; `kafkaBrokers`)
 *   - SASL_PLAINTEXT 127.0.0.1:9094 with SASL/PLAIN user `tsagent`, password `tsagent-secret`
 *     (`kafkaSaslBrokers`, `kafkaSasl`)
 *
 * Outage helpers (`stopKafka` / `startKafka`, `stopNameNode` / `startNameNode`) stop or restart
 * exactly one service with the same data directory; `up` run by another test meanwhile waits for
 * the restart instead of starting the service behind the test's back.
 */
import { execFileSync, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KafkaSaslPlain {
  mechanism: 'plain';
  username: string;
  password: string;
}

export interface StackEnv {
  /** true when TSAGENT_STACK_EXTERNAL=1: services are not managed by stack/stack.sh */
  external: boolean;
  /** repository root */
  repoRoot: string;
  /** stack/stack.sh (absolute) */
  stackScript: string;
  /** data directory of the stack (configs, data, logs/, pids/) */
  stackDir: string;
  /** generated Hadoop client configuration (core-site.xml, hdfs-site.xml) */
  hadoopConfDir: string;
  /** PLAINTEXT bootstrap brokers, e.g. ['127.0.0.1:9092'] */
  kafkaBrokers: string[];
  /** SASL_PLAINTEXT (SASL/PLAIN) bootstrap brokers, e.g. ['127.0.0.1:9094'] */
  kafkaSaslBrokers: string[];
  /**
   * credentials accepted on the SASL listener, in kafkajs' `sasl` shape. A fresh object on every
   * stackEnv() call: kafkajs caches an authenticationProvider (bound to these credentials) inside
   * the sasl object it is given, so never spread a used one to build other credentials.
   */
  kafkaSasl: KafkaSaslPlain;
  /** fs.defaultFS, e.g. 'hdfs://127.0.0.1:8020' */
  hdfsDefaultFs: string;
  /** NameNode HTTP base URL, e.g. 'http://127.0.0.1:9870' (WebHDFS lives under /webhdfs/v1) */
  webhdfsUrl: string;
  /** user name for WebHDFS `user.name=`; owner of /user/bigdata */
  hdfsUser: string;
  /** topic created by `up` with 3 partitions */
  kafkaTopic: string;
  /** HDFS home directory created by `up`, owned by hdfsUser */
  hdfsHome: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const stackScript = resolve(repoRoot, 'stack', 'stack.sh');

let cached: StackEnv | undefined;

function parseExports(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)='([^']*)'$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2]);
  }
  return out;
}

function splitList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Addresses of the stack the integration tests run against (computed once per process). */
export function stackEnv(): StackEnv {
  const env = loadStackEnv();
  return { ...env, kafkaBrokers: [...env.kafkaBrokers], kafkaSaslBrokers: [...env.kafkaSaslBrokers], kafkaSasl: { ...env.kafkaSasl } };
}

function loadStackEnv(): StackEnv {
  if (cached) return cached;
  const external = process.env['TSAGENT_STACK_EXTERNAL'] === '1';
  let fromScript = new Map<string, string>();
  if (!external) {
    fromScript = parseExports(execFileSync('bash', [stackScript, 'env'], { encoding: 'utf8' }));
  }
  const get = (name: string): string => {
    const v = process.env[name] ?? fromScript.get(name);
    if (v === undefined || v === '') {
      throw new Error(
        external
          ? `TSAGENT_STACK_EXTERNAL=1 but ${name} is not set; set it to the address of your cluster (see stack/README.md)`
          : `stack/stack.sh env did not print ${name}; run 'bash stack/stack.sh env' to see what is wrong`,
      );
    }
    return v;
  };
  const getOr = (name: string, dflt: string): string => process.env[name] ?? fromScript.get(name) ?? dflt;
  cached = {
    external,
    repoRoot,
    stackScript,
    stackDir: getOr('TSAGENT_STACK_DIR', resolve(repoRoot, '.stack')),
    hadoopConfDir: external ? getOr('HADOOP_CONF_DIR', '') : get('HADOOP_CONF_DIR'),
    kafkaBrokers: splitList(get('TSAGENT_KAFKA_BROKERS')),
    kafkaSaslBrokers: splitList(getOr('TSAGENT_KAFKA_SASL_BROKERS', '')),
    kafkaSasl: {
      mechanism: 'plain',
      username: getOr('TSAGENT_KAFKA_SASL_USER', 'tsagent'),
      password: getOr('TSAGENT_KAFKA_SASL_PASSWORD', 'tsagent-secret'),
    },
    hdfsDefaultFs: getOr('TSAGENT_HDFS_DEFAULT_FS', ''),
    webhdfsUrl: get('TSAGENT_WEBHDFS_URL').replace(/\/+$/, ''),
    hdfsUser: get('TSAGENT_HDFS_USER'),
    kafkaTopic: 'apache_logs',
    hdfsHome: '/user/bigdata',
  };
  return cached;
}

export interface StackCommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `stack/stack.sh <args>` without blocking the event loop (so an agent running in the same
 * process keeps working during an outage). `env` adds/overrides environment variables.
 */
export function runStack(
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<StackCommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [stackScript, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`stack.sh ${args.join(' ')} timed out after ${options.timeoutMs ?? 600_000} ms\n${stdout}${stderr}`));
    }, options.timeoutMs ?? 600_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}

async function mustRun(args: readonly string[]): Promise<string> {
  if (stackEnv().external) {
    throw new Error(`stack.sh ${args.join(' ')} is not available with TSAGENT_STACK_EXTERNAL=1`);
  }
  const r = await runStack(args);
  if (r.code !== 0) throw new Error(`stack.sh ${args.join(' ')} failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Stop only the Kafka broker (data kept). Pair with startKafka(). */
export function stopKafka(): Promise<string> {
  return mustRun(['stop-kafka']);
}
/** Start the Kafka broker again and wait until it answers metadata requests. */
export function startKafka(): Promise<string> {
  return mustRun(['start-kafka']);
}
/** Stop only the NameNode (data kept). Pair with startNameNode(). */
export function stopNameNode(): Promise<string> {
  return mustRun(['stop-namenode']);
}
/** Start the NameNode again and wait until it left safe mode with a live DataNode. */
export function startNameNode(): Promise<string> {
  return mustRun(['start-namenode']);
}

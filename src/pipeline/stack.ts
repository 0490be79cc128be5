/**
 * The local Kafka + HDFS stack (stack/stack.sh) as the pipeline runner uses it.
 *
 * - `status` before `up` tells whether this run starts the stack.
 * - Without --keep-stack, `up --lease <runner pid>`: the stack's own lease mechanism (the same
 *   one the vitest global setup uses) keeps a concurrent test run from stopping the stack under
 *   the pipeline, and `release <pid>` at the end stops it only if this run (or another lease
 *   holder that is gone) started it and no other live lease holder remains.
 * - With --keep-stack, a plain `up`, which marks the stack as started by hand (tests never stop it).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { Child } from './children.js';

export interface StackEnvVars {
  stackDir: string;
  hadoopConfDir: string;
  kafkaBrokers: string;
  webhdfsUrl: string;
  hdfsUser: string;
}

export class Stack {
  readonly script: string;
  constructor(readonly repoRoot: string, private readonly env: NodeJS.ProcessEnv = process.env) {
    this.script = path.join(repoRoot, 'stack', 'stack.sh');
  }

  private run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile('bash', [this.script, ...args], { cwd: this.repoRoot, env: this.env, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** 0 = up and ready, 3 = down, 1 = partly up (stack.sh status). */
  async status(): Promise<number> {
    return (await this.run(['status'])).code;
  }

  async vars(): Promise<StackEnvVars> {
    const r = await this.run(['env']);
    const m = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const x = /^export ([A-Z_0-9]+)='([^']*)'$/.exec(line.trim());
      if (x) m.set(x[1]!, x[2]!);
    }
    const e = (k: string, d: string): string => this.env[k] ?? m.get(k) ?? d;
    return {
      stackDir: e('TSAGENT_STACK_DIR', path.join(this.repoRoot, '.stack')),
      hadoopConfDir: e('HADOOP_CONF_DIR', path.join(this.repoRoot, '.stack', 'hadoop-conf')),
      kafkaBrokers: e('TSAGENT_KAFKA_BROKERS', '127.0.0.1:9092'),
      webhdfsUrl: e('TSAGENT_WEBHDFS_URL', 'http://127.0.0.1:9870'),
      hdfsUser: e('TSAGENT_HDFS_USER', this.env.USER ?? 'root'),
    };
  }

  /** `up` as a child (so Ctrl-C can stop it), its output handed to onLine. */
  up(lease: string | null, logFile: string, onLine: (line: string) => void): Child {
    return new Child({
      name: 'stack', command: 'bash', args: [this.script, 'up', ...(lease !== null ? ['--lease', lease] : [])],
      cwd: this.repoRoot, env: this.env, logFile, onLine: (l) => onLine(l),
    });
  }

  release(lease: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.run(['release', lease]);
  }

  down(): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.run(['down']);
  }
}

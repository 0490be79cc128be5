/**
 * Corpus B: realistic Flume files using the file channel, spooldir and TAILDIR sources
 * (test/fixtures/corpus/corpus-b-*.conf). Each file validates unchanged, then RUNS with the
 * real CLI (`npm run build` first) after its absolute paths (/var/..., /data/...) are moved
 * under a temporary directory; the test feeds input and checks the output.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exchange } from '../helpers/netcat-client.js';
import { ROOT, freePort, runCli, startAgent } from '../helpers/cli.js';

const CORPUS = path.join(ROOT, 'test', 'fixtures', 'corpus');
const files = fs.readdirSync(CORPUS).filter((f) => /^corpus-b-.*\.conf$/.test(f)).sort();

function agentOf(text: string): string {
  const m = /^([A-Za-z0-9_]+)\.sources\s*=/m.exec(text);
  if (!m) throw new Error('no agent');
  return m[1]!;
}

interface Run {
  root: string;
  /** Absolute path inside the run's root for a path as written in the corpus file. */
  p(p: string): string;
  agentOutput(): string;
}

/** Lines of every file in a file_roll directory (files in creation order). */
function rolled(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const names = fs.readdirSync(dir).sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]));
  return names.flatMap((n) => fs.readFileSync(path.join(dir, n), 'utf8').split('\n').filter((l) => l !== ''));
}

async function until(cond: () => boolean, ms = 15000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function write(file: string, text: string, mtimeSec?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file + '.partial', text);
  fs.renameSync(file + '.partial', file); // complete and immutable when it appears (as spooldir requires)
  if (mtimeSec !== undefined) fs.utimesSync(file, mtimeSec, mtimeSec);
}

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

type Case = {
  /** Directories to create before the start (as written in the file). */
  dirs: string[];
  /** Input placed before the agent starts. */
  before?(r: Run): void;
  /** Feed input while it runs and wait for / check the output. */
  run(r: Run): Promise<void>;
  /** Checks after the agent stopped. */
  after?(r: Run): void;
};

const CASES: Record<string, Case> = {
  'corpus-b-01-spooldir-file-roll.conf': {
    dirs: ['/var/spool/flume/incoming', '/var/log/flume/out'],
    before: (r) => {
      write(r.p('/var/spool/flume/incoming/app-1.log'), lines('one', 1500).join('\n') + '\n', 1000);
      write(r.p('/var/spool/flume/incoming/app-2.log'), lines('two', 700).join('\n') + '\n', 2000);
    },
    async run(r) {
      await until(() => rolled(r.p('/var/log/flume/out')).length === 2200, 15000, 'output');
      expect(rolled(r.p('/var/log/flume/out'))).toEqual([...lines('one', 1500), ...lines('two', 700)]);
      await until(() => fs.existsSync(r.p('/var/spool/flume/incoming/app-2.log.COMPLETED')));
      expect(fs.readdirSync(r.p('/var/spool/flume/incoming')).sort()).toEqual(['.flumespool', 'app-1.log.COMPLETED', 'app-2.log.COMPLETED']);
      expect(fs.readdirSync(r.p('/var/lib/flume/fc/data')).some((f) => f.startsWith('log-'))).toBe(true);
      expect(fs.existsSync(r.p('/var/lib/flume/fc/checkpoint/checkpoint'))).toBe(true);
    },
  },
  'corpus-b-02-spooldir-delete-headers.conf': {
    dirs: ['/data/uploads', '/data/archive'],
    before: (r) => write(r.p('/data/uploads/batch-42.txt'), 'alpha\nbeta\n'),
    async run(r) {
      await until(() => rolled(r.p('/data/archive')).length === 2);
      const out = rolled(r.p('/data/archive'));
      for (const [i, body] of ['alpha', 'beta'].entries()) {
        // java.util.HashMap order (a JDK 17 map with the same puts).
        expect(out[i]).toMatch(new RegExp(`^\\{source_file=batch-42\\.txt, timestamp=\\d{13}\\} ${body}$`));
      }
      await until(() => !fs.existsSync(r.p('/data/uploads/batch-42.txt')));
      expect(fs.readdirSync(r.p('/data/uploads'))).toEqual(['.flumespool']);
    },
  },
  'corpus-b-03-taildir-logger.conf': {
    dirs: ['/var/log/web', '/var/log/api'],
    before: (r) => {
      fs.writeFileSync(r.p('/var/log/web/access.log'), 'GET /index\n');
      fs.writeFileSync(r.p('/var/log/web/access.log.1'), 'old rotated\n');
      fs.writeFileSync(r.p('/var/log/api/orders.log'), 'order 17\n');
    },
    async run(r) {
      fs.appendFileSync(r.p('/var/log/api/orders.log'), 'order 18\n');
      await until(() => (r.agentOutput().match(/Event: \{/g) ?? []).length >= 3);
      await until(() => fs.existsSync(r.p('/var/lib/flume/taildir_position.json')));
      const out = r.agentOutput();
      expect(out).toMatch(/headers:\{service=web\} body: .*GET \/index/);
      // java.util.HashMap order (a JDK 17 map with the same puts).
      expect(out).toMatch(/headers:\{tier=backend, service=api\} body: .*order 17/);
      expect(out).toMatch(/order 18/);
      expect(out).not.toMatch(/old rotated/);
    },
    after(r) {
      const pos = JSON.parse(fs.readFileSync(r.p('/var/lib/flume/taildir_position.json'), 'utf8')) as Array<{ file: string; pos: number }>;
      expect(pos.map((e) => [path.basename(e.file), e.pos]).sort()).toEqual([['access.log', 11], ['orders.log', 18]]);
    },
  },
  'corpus-b-04-taildir-file-channel.conf': {
    dirs: ['/var/log/nginx', '/var/log/flume/nginx'],
    before: (r) => fs.writeFileSync(r.p('/var/log/nginx/site-access.log'), 'l0\nl1\n'),
    async run(r) {
      fs.writeFileSync(r.p('/var/log/nginx/error.log'), 'not tailed\n');
      fs.appendFileSync(r.p('/var/log/nginx/site-access.log'), lines('more', 3000).join('\n') + '\n');
      await until(() => rolled(r.p('/var/log/flume/nginx')).length === 3002);
      const out = rolled(r.p('/var/log/flume/nginx'));
      const file = r.p('/var/log/nginx/site-access.log');
      expect(out[0]).toBe(`{byteoffset=0, file=${file}} l0`); // java.util.HashMap order
      expect(out[1]).toMatch(/byteoffset=3\b.*\} l1$/);
      expect(out.map((l) => l.split('} ')[1])).toEqual(['l0', 'l1', ...lines('more', 3000)]);
      // Segments are spread over both data directories.
      await until(() => fs.readdirSync(r.p('/var/lib/flume/nginx/data2')).some((f) => f.startsWith('log-')));
    },
  },
  'corpus-b-05-file-channel-failover.conf': {
    dirs: ['/var/spool/orders', '/data/primary', '/data/backup'],
    before: (r) => write(r.p('/var/spool/orders/orders-1.csv'), lines('first', 500).join('\n') + '\n'),
    async run(r) {
      await until(() => rolled(r.p('/data/primary')).length === 500);
      // The primary's disk goes away: at its next roll (1 s) it fails, traffic moves to the backup.
      fs.rmSync(r.p('/data/primary'), { recursive: true });
      await new Promise((res) => setTimeout(res, 1200));
      write(r.p('/var/spool/orders/orders-2.csv'), lines('second', 800).join('\n') + '\n');
      await until(() => rolled(r.p('/data/backup')).length === 800, 20000, 'backup output');
      expect(rolled(r.p('/data/backup'))).toEqual(lines('second', 800));
      expect(r.agentOutput()).toMatch(/failover/i);
    },
  },
  'corpus-b-06-spooldir-multiplexing.conf': {
    dirs: ['/var/spool/flume/logs', '/var/log/out/access', '/var/log/out/errors'],
    before: (r) => {
      write(r.p('/var/spool/flume/logs/access.log'), 'GET /a\nGET /b\n', 1000);
      write(r.p('/var/spool/flume/logs/error.log'), 'E1\n', 2000);
      write(r.p('/var/spool/flume/logs/misc.log'), 'M1\n', 3000);
    },
    async run(r) {
      await until(() => rolled(r.p('/var/log/out/access')).length === 3 && rolled(r.p('/var/log/out/errors')).length === 1);
      await new Promise((res) => setTimeout(res, 300));
      expect(rolled(r.p('/var/log/out/access'))).toEqual(['GET /a', 'GET /b', 'M1']);
      expect(rolled(r.p('/var/log/out/errors'))).toEqual(['E1']);
    },
  },
  'corpus-b-07-taildir-replicating.conf': {
    dirs: ['/var/log/app', '/var/log/out/archive', '/var/log/out/fast'],
    async run(r) {
      const log = r.p('/var/log/app/app.log');
      fs.writeFileSync(log, lines('a', 100).join('\n') + '\n');
      await until(() => rolled(r.p('/var/log/out/archive')).length === 100);
      // Rotation while tailed: rename + recreate.
      fs.renameSync(log, log + '.1');
      fs.appendFileSync(log + '.1', 'late-after-rename\n');
      fs.writeFileSync(log, lines('b', 100).join('\n') + '\n');
      const want = [...lines('a', 100), 'late-after-rename', ...lines('b', 100)];
      await until(() => rolled(r.p('/var/log/out/archive')).length === want.length && rolled(r.p('/var/log/out/fast')).length === want.length);
      expect(rolled(r.p('/var/log/out/archive')).sort()).toEqual([...want].sort());
      expect(rolled(r.p('/var/log/out/fast')).sort()).toEqual([...want].sort());
    },
  },
  'corpus-b-08-spooldir-patterns.conf': {
    dirs: ['/data/exports', '/data/out'],
    before: (r) => {
      write(r.p('/data/exports/jan.csv'), 'jan,1\n', 1000);
      write(r.p('/data/exports/feb.csv'), 'feb,2\n', 2000);
      write(r.p('/data/exports/mar.csv.tmp'), 'copying\n', 3000);
      write(r.p('/data/exports/readme.txt'), 'not csv\n', 4000);
    },
    async run(r) {
      await until(() => rolled(r.p('/data/out')).length === 2);
      await new Promise((res) => setTimeout(res, 400));
      expect(rolled(r.p('/data/out'))).toEqual(['feb,2', 'jan,1']); // youngest first
      expect(fs.readdirSync(r.p('/data/exports')).sort()).toEqual(['feb.csv.COMPLETED', 'jan.csv.COMPLETED', 'mar.csv.tmp', 'readme.txt']);
      expect(fs.existsSync(r.p('/var/lib/flume/exports-tracker'))).toBe(true);
    },
  },
  'corpus-b-09-netcat-file-channel-dual.conf': {
    dirs: ['/var/log/flume/nc'],
    async run(r) {
      const port = Number(/port = (\d+)/.exec(fs.readFileSync(path.join(r.root, 'agent.conf'), 'utf8'))![1]);
      const sent = lines('nc', 2000);
      const { replies } = await exchange(port, sent.join('\n') + '\n', sent.length, { timeoutMs: 15000 });
      expect(replies.filter((x) => x === 'OK')).toHaveLength(2000);
      await until(() => rolled(r.p('/var/log/flume/nc')).length === 2000);
      expect(rolled(r.p('/var/log/flume/nc'))).toEqual(sent);
      await until(() => fs.existsSync(r.p('/var/lib/flume/nc/backup/checkpoint')), 5000, 'backup checkpoint');
    },
  },
  'corpus-b-10-taildir-load-balance.conf': {
    dirs: ['/var/log/batch', '/var/log/out/w1', '/var/log/out/w2'],
    async run(r) {
      fs.writeFileSync(r.p('/var/log/batch/part-1.log'), lines('p1', 1000).join('\n') + '\n');
      fs.writeFileSync(r.p('/var/log/batch/part-2.log'), lines('p2', 1000).join('\n') + '\n');
      fs.writeFileSync(r.p('/var/log/batch/part-x.log'), 'not matched\n');
      const both = (): string[] => [...rolled(r.p('/var/log/out/w1')), ...rolled(r.p('/var/log/out/w2'))];
      await until(() => both().length === 2000);
      expect(both().sort()).toEqual([...lines('p1', 1000), ...lines('p2', 1000)].sort());
      expect(rolled(r.p('/var/log/out/w1')).length).toBeGreaterThan(0);
      expect(rolled(r.p('/var/log/out/w2')).length).toBeGreaterThan(0);
    },
  },
  'corpus-b-11-spooldir-tracker-filter.conf': {
    dirs: ['/data/shared/reports', '/data/out/reports'],
    before: (r) => write(r.p('/data/shared/reports/daily.log'), 'INFO start\nDEBUG x=1\nWARN disk\nDEBUG y=2\nINFO end\n'),
    async run(r) {
      await until(() => fs.existsSync(r.p('/var/lib/flume/reports-tracker/daily.log.done')));
      await until(() => rolled(r.p('/data/out/reports')).length === 3);
      await new Promise((res) => setTimeout(res, 700));
      expect(rolled(r.p('/data/out/reports'))).toEqual(['INFO start', 'WARN disk', 'INFO end']);
      expect(fs.existsSync(r.p('/data/shared/reports/daily.log'))).toBe(true); // left in place
    },
  },
  'corpus-b-12-taildir-fqcn.conf': {
    dirs: ['/var/log/payments', '/var/log/flume/tier1'],
    async run(r) {
      fs.writeFileSync(r.p('/var/log/payments/payments-2026.log'), 'paid card=4111111111111111 eur=10\n');
      await until(() => rolled(r.p('/var/log/flume/tier1')).length === 1);
      expect(rolled(r.p('/var/log/flume/tier1'))).toEqual(['{dept=finance} paid card=************1111 eur=10']);
    },
  },
  'corpus-b-13-spooldir-latin1-long-lines.conf': {
    dirs: ['/data/legacy', '/data/legacy-out'],
    before: (r) => {
      const long = 'x'.repeat(64) + 'y'.repeat(10);
      fs.writeFileSync(r.p('/data/legacy/export.dat.partial'), Buffer.from(`caf\u00e9 cr\u00e8me\n${long}\n`, 'latin1'));
      fs.renameSync(r.p('/data/legacy/export.dat.partial'), r.p('/data/legacy/export.dat'));
    },
    async run(r) {
      await until(() => rolled(r.p('/data/legacy-out')).length === 3);
      expect(rolled(r.p('/data/legacy-out'))).toEqual(['café crème', 'x'.repeat(64), 'y'.repeat(10)]);
    },
  },
};

describe('corpus B (file channel, spooldir, TAILDIR): each file validates and runs', () => {
  it('has at least 12 files, each with a run case', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
    expect(files.filter((f) => !(f in CASES))).toEqual([]);
  });

  for (const f of files) {
    it(`${f}: validates unchanged and runs`, async () => {
      const text = fs.readFileSync(path.join(CORPUS, f), 'utf8');
      const agent = agentOf(text);
      const v = await runCli(['validate', '-f', path.join(CORPUS, f), '-n', agent]);
      expect(v.stdout + v.stderr).toMatch(/valid/);
      expect(v.code).toBe(0);

      const c = CASES[f]!;
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'corpus-b-'));
      const p = (x: string): string => path.join(root, x);
      let conf = text.replace(/(^|[=,\s])\/(var|data)\//gm, (_m, pre: string, top: string) => `${pre}${root}/${top}/`);
      if (/port = 44444/.test(conf)) conf = conf.replace('port = 44444', `port = ${await freePort()}`);
      const confFile = path.join(root, 'agent.conf');
      fs.writeFileSync(confFile, conf);
      for (const d of c.dirs) fs.mkdirSync(p(d), { recursive: true });
      let out = '';
      const run: Run = { root, p, agentOutput: () => out };
      c.before?.(run);
      const a = await startAgent(['-f', confFile, '-n', agent, '--no-reload-conf']);
      run.agentOutput = a.output;
      try {
        await c.run(run);
      } finally {
        a.proc.kill('SIGTERM');
        const code = await a.exited;
        out = a.output();
        expect(code).toBe(0);
      }
      c.after?.(run);
      fs.rmSync(root, { recursive: true, force: true });
    }, 60_000);
  }
});


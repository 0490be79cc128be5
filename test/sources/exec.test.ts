import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import exec, { ExecSource, LineSplitter } from '../../src/sources/exec.js';
import { CollectingProcessor } from '../helpers/collect.js';

const running: ExecSource[] = [];
afterEach(async () => { for (const s of running.splice(0)) await s.stop(); });

function start(props: Record<string, string>, log = new MemoryLogger()): { src: ExecSource; cp: CollectingProcessor; log: MemoryLogger } {
  const src = buildComponent(exec, 'r1', props, { logger: log }).instance as ExecSource;
  const cp = new CollectingProcessor();
  src.start(cp);
  running.push(src);
  return { src, cp, log };
}

async function until(cond: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timeout'); await new Promise((r) => setTimeout(r, 10)); }
}

describe('exec source', () => {
  it('each stdout line is an event with no headers; the last unterminated line too', async () => {
    const { src, cp } = start({ command: "printf 'a\\nb\\nc'", shell: '/bin/sh -c' });
    await src.exited;
    expect(cp.bodies()).toEqual(['a', 'b', 'c']);
    expect(cp.events.every((e) => Object.keys(e.headers).length === 0)).toBe(true);
  });

  it('without shell the command is split on whitespace (no shell expansion)', async () => {
    const { src, cp } = start({ command: 'echo $HOME  x' });
    await src.exited;
    expect(cp.bodies()).toEqual(['$HOME x']);
  });

  it('with shell = /bin/sh -c the whole command goes to the shell (pipes work)', async () => {
    const { src, cp } = start({ command: 'seq 1 5 | grep -v 3', shell: '/bin/sh -c' });
    await src.exited;
    expect(cp.bodies()).toEqual(['1', '2', '4', '5']);
  });

  it('batchSize groups lines per transaction (default 20)', async () => {
    const { src, cp } = start({ command: 'seq 1 45' });
    await src.exited;
    expect(cp.events).toHaveLength(45);
    expect(cp.batches).toEqual([20, 20, 5]);
    const s2 = start({ command: 'seq 1 7', batchSize: '3' });
    await s2.src.exited;
    expect(s2.cp.batches).toEqual([3, 3, 1]);
  });

  it('batchTimeout sends an incomplete batch while the command keeps running', async () => {
    const { cp } = start({ command: 'echo first; sleep 5; echo second', shell: '/bin/sh -c', batchTimeout: '200' });
    const t0 = Date.now();
    await until(() => cp.events.length === 1);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(cp.bodies()).toEqual(['first']);
  });

  it('restart re-runs the command after restartThrottle', async () => {
    const { cp } = start({ command: 'echo run', restart: 'true', restartThrottle: '100' });
    await until(() => cp.events.length >= 3);
    expect(new Set(cp.bodies())).toEqual(new Set(['run']));
  });

  it('without restart the command runs once and the exit code is logged', async () => {
    const { src, cp, log } = start({ command: 'exit 3', shell: '/bin/sh -c' });
    expect(await src.exited).toBe(3);
    await new Promise((r) => setTimeout(r, 200));
    expect(cp.events).toHaveLength(0);
    expect(log.lines.join('\n')).toContain('Command [exit 3] exited with 3');
  });

  it('logStdErr logs stderr lines; stderr is never an event', async () => {
    const a = start({ command: 'echo out; echo oops >&2', shell: '/bin/sh -c', logStdErr: 'true' });
    await a.src.exited;
    expect(a.cp.bodies()).toEqual(['out']);
    expect(a.log.lines.join('\n')).toMatch(/StderrLogger\[1\] = 'oops'/);
    const b = start({ command: 'echo out; echo oops >&2', shell: '/bin/sh -c' });
    await b.src.exited;
    expect(b.log.lines.join('\n')).not.toContain('StderrLogger');
  });

  it('a refused batch is retried, not lost (Flume would kill the command and lose it)', async () => {
    const src = buildComponent(exec, 'r1', { command: 'seq 1 10', batchSize: '10' }, { logger: new MemoryLogger() }).instance as ExecSource;
    const cp = new CollectingProcessor();
    cp.failNext = 1;
    src.start(cp);
    running.push(src);
    await until(() => cp.events.length === 10);
    expect(cp.bodies()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  });

  it('stop() kills a long-running command and delivers the lines read so far', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'exec-'));
    const f = path.join(dir, 'gen.sh');
    writeFileSync(f, 'echo one\necho two\nexec sleep 60\n');
    const { src, cp } = start({ command: `/bin/sh ${f}`, batchTimeout: '60000' });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await src.stop();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(cp.bodies()).toEqual(['one', 'two']);
  });

  it('a command that cannot be started is reported', async () => {
    const { src, log } = start({ command: '/nonexistent/cmd' });
    await src.exited;
    expect(log.lines.join('\n')).toMatch(/Failed while running command: \/nonexistent\/cmd/);
  });

  it.each([
    ['LF', ['a\nb\n'], ['a', 'b']],
    ['CRLF', ['a\r\nb\r\n'], ['a', 'b']],
    ['CR alone', ['a\rb\r'], ['a', 'b']],
    ['CRLF split across chunks', ['a\r', '\nb\n'], ['a', 'b']],
    ['empty lines are events', ['\n\nx\n'], ['', '', 'x']],
    ['multi-byte UTF-8 split across chunks', [Buffer.from('é\n').subarray(0, 1), Buffer.from('é\n').subarray(1)], ['é']],
  ])('line splitting like BufferedReader.readLine: %s', (_n, chunks, want) => {
    const s = new LineSplitter(new StringDecoder('utf8'));
    const out: string[] = [];
    for (const c of chunks) out.push(...s.push(typeof c === 'string' ? Buffer.from(c) : c));
    out.push(...s.end());
    expect(out).toEqual(want);
  });

  it('validation: command is required', () => {
    expect(() => buildComponent(exec, 'r1', {})).toThrow(/required property 'command'/);
  });
});

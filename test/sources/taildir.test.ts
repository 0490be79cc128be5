import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import taildir, { TaildirSource } from '../../src/sources/taildir.js';
import type { ChannelProcessor } from '../../src/core/contracts.js';
import type { Event } from '../../src/core/event.js';
import { buildComponent } from '../../src/engine/build.js';

const dirs: string[] = [];
const running: TaildirSource[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'taildir-test-'));
  dirs.push(d);
  return d;
}

function collector(): ChannelProcessor & { events: Event[] } {
  const c = {
    events: [] as Event[], maxBatchSize: 1000,
    async processEventBatch(evs: Event[]): Promise<void> { c.events.push(...evs); },
    async processEvent(e: Event): Promise<void> { c.events.push(e); },
  };
  return c;
}

function start(props: Record<string, string>, c = collector()): { s: TaildirSource; c: ReturnType<typeof collector> } {
  const { instance } = buildComponent(taildir, 'r1', { backoffSleepIncrement: '10', maxBackoffSleep: '30', writePosInterval: '50', ...props });
  const s = instance as TaildirSource;
  running.push(s);
  s.start(c);
  return { s, c };
}

async function until(cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const bodies = (c: { events: Event[] }): string[] => c.events.map((e) => e.body.toString());

describe('TAILDIR source', () => {
  it('tails matching files of each group with its headers; holds a partial line until its newline', async () => {
    const d = tmp();
    fs.mkdirSync(path.join(d, 'a'));
    fs.mkdirSync(path.join(d, 'b'));
    fs.writeFileSync(path.join(d, 'a', 'app.log'), 'a1\r\na2\npart');
    fs.writeFileSync(path.join(d, 'a', 'other.txt'), 'ignored\n');
    fs.writeFileSync(path.join(d, 'b', 'x-1.log'), 'b1\n');
    const { c } = start({
      filegroups: 'ga gb', 'filegroups.ga': path.join(d, 'a', 'app\\.log'), 'filegroups.gb': path.join(d, 'b', 'x-\\d+\\.log'),
      'headers.ga.topic': 'alpha', 'headers.gb.topic': 'beta', 'headers.gb.dc': 'eu',
      byteOffsetHeader: 'true', fileHeader: 'true', positionFile: path.join(d, 'pos.json'),
    });
    await until(() => c.events.length === 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(bodies(c).sort()).toEqual(['a1', 'a2', 'b1']);
    const a2 = c.events.find((e) => e.body.toString() === 'a2')!;
    expect(a2.headers).toEqual({ topic: 'alpha', byteoffset: '4', file: path.join(d, 'a', 'app.log') });
    expect(c.events.find((e) => e.body.toString() === 'b1')!.headers).toMatchObject({ topic: 'beta', dc: 'eu' });
    fs.appendFileSync(path.join(d, 'a', 'app.log'), 'ial\n');
    await until(() => c.events.length === 4);
    expect(bodies(c)[3]).toBe('partial');
  });

  it('writes the position file as Flume does and resumes from it without duplicates', async () => {
    const d = tmp();
    const log = path.join(d, 'app.log');
    const pos = path.join(d, 'pos', 'taildir_position.json');
    fs.writeFileSync(log, 'one\ntwo\n');
    const first = start({ filegroups: 'g', 'filegroups.g': path.join(d, '.*\\.log'), positionFile: pos });
    await until(() => first.c.events.length === 2);
    await first.s.stop();
    running.splice(running.indexOf(first.s), 1);
    const json = JSON.parse(fs.readFileSync(pos, 'utf8')) as unknown;
    expect(json).toEqual([{ inode: fs.statSync(log).ino, pos: 8, file: log }]);
    expect(fs.readFileSync(pos, 'utf8')).toBe(`[{"inode":${fs.statSync(log).ino},"pos":8,"file":"${log}"}]`);
    fs.appendFileSync(log, 'three\n');
    const second = start({ filegroups: 'g', 'filegroups.g': path.join(d, '.*\\.log'), positionFile: pos });
    await until(() => second.c.events.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(bodies(second.c)).toEqual(['three']);
  });

  it('skipToEnd starts new files at their end', async () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'app.log'), 'old\n');
    const { c } = start({ filegroups: 'g', 'filegroups.g': path.join(d, 'app\\.log'), positionFile: path.join(d, 'p.json'), skipToEnd: 'true' });
    await new Promise((r) => setTimeout(r, 100));
    fs.appendFileSync(path.join(d, 'app.log'), 'new\n');
    await until(() => c.events.length === 1);
    expect(bodies(c)).toEqual(['new']);
  });

  it('emits a partial last line once the file is idle for idleTimeout', async () => {
    const d = tmp();
    fs.writeFileSync(path.join(d, 'app.log'), 'done\nno-newline');
    const { c } = start({ filegroups: 'g', 'filegroups.g': path.join(d, 'app\\.log'), positionFile: path.join(d, 'p.json'), idleTimeout: '200' });
    await until(() => c.events.length === 2);
    expect(bodies(c)).toEqual(['done', 'no-newline']);
  });

  it('loses no line when the file is rotated (renamed and recreated) while being tailed', async () => {
    const d = tmp();
    const log = path.join(d, 'app.log');
    const { c } = start({ filegroups: 'g', 'filegroups.g': path.join(d, 'app\\.log'), positionFile: path.join(d, 'p.json'), batchSize: '50' });
    const expected: string[] = [];
    let n = 0;
    let fd = fs.openSync(log, 'a');
    for (let rotation = 0; rotation < 5; rotation++) {
      const first = `r${rotation}-line-${n++}`;
      expected.push(first);
      fs.writeSync(fd, first + '\n');
      // The source has found this file (a file created and rotated away between two polls
      // cannot be found by its name, in Flume either)...
      await until(() => c.events.some((e) => e.body.toString() === first));
      // ...then, with no chance for the source (same event loop) to read in between: more
      // lines, logrotate "create" (rename), lines the writer still appends to the old file,
      // and the new file under the old name.
      for (let k = 0; k < 299; k++) {
        const line = `r${rotation}-line-${n++}`;
        expected.push(line);
        fs.writeSync(fd, line + '\n');
      }
      fs.renameSync(log, `${log}.${rotation + 1}`);
      for (let k = 0; k < 20; k++) {
        const line = `r${rotation}-late-${n++}`;
        expected.push(line);
        fs.writeSync(fd, line + '\n');
      }
      fs.closeSync(fd);
      fd = fs.openSync(log, 'a');
    }
    fs.closeSync(fd);
    await until(() => c.events.length >= expected.length, 15000);
    await new Promise((r) => setTimeout(r, 200));
    const got = bodies(c);
    expect(got.length).toBe(expected.length);
    expect([...got].sort()).toEqual([...expected].sort());
    // Order is kept within each file (each rotation's lines are read in order).
    const byRot = (l: string[], r: number): string[] => l.filter((x) => x.startsWith(`r${r}-`));
    for (let r = 0; r < 5; r++) expect(byRot(got, r)).toEqual(byRot(expected, r));
  });

  it('copy-truncate rotation: a file truncated under it is read again from its start', async () => {
    const d = tmp();
    const log = path.join(d, 'app.log');
    fs.writeFileSync(log, 'before-1\nbefore-2\n');
    const { c } = start({ filegroups: 'g', 'filegroups.g': path.join(d, 'app\\.log'), positionFile: path.join(d, 'p.json') });
    await until(() => c.events.length === 2);
    fs.truncateSync(log, 0);
    fs.appendFileSync(log, 'after\n');
    await until(() => c.events.length === 3);
    expect(bodies(c)).toEqual(['before-1', 'before-2', 'after']);
  });

  it('validation: filegroups and their paths are required, paths absolute, regexes valid', () => {
    expect(() => buildComponent(taildir, 'r', {})).toThrow(/filegroups/);
    expect(() => buildComponent(taildir, 'r', { filegroups: 'g' })).toThrow(/filegroups\.g/);
    expect(() => buildComponent(taildir, 'r', { filegroups: 'g', 'filegroups.g': 'rel/.*' })).toThrow(/absolute/);
    expect(() => buildComponent(taildir, 'r', { filegroups: 'g', 'filegroups.g': '/var/log/(' })).toThrow(/regex/);
  });
});

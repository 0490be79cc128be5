import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import spooldir, { SpoolDirSource } from '../../src/sources/spooldir.js';
import type { ChannelProcessor } from '../../src/core/contracts.js';
import { ChannelFullException } from '../../src/core/errors.js';
import type { Event } from '../../src/core/event.js';
import { buildComponent } from '../../src/engine/build.js';

const dirs: string[] = [];
const running: SpoolDirSource[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-test-'));
  dirs.push(d);
  return d;
}

/** A processor that records batches; `failFirst` batches are refused as a full channel would. */
function collector(failFirst = 0): ChannelProcessor & { events: Event[]; calls: number } {
  const c = {
    events: [] as Event[], calls: 0, maxBatchSize: 1000,
    async processEventBatch(evs: Event[]): Promise<void> {
      c.calls++;
      if (c.calls <= failFirst) throw new ChannelFullException('full');
      c.events.push(...evs);
    },
    async processEvent(e: Event): Promise<void> { await c.processEventBatch([e]); },
  };
  return c;
}

function source(dir: string, props: Record<string, string> = {}): SpoolDirSource {
  const { instance } = buildComponent(spooldir, 'r1', { spoolDir: dir, pollDelay: '20', ...props });
  return instance as SpoolDirSource;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const bodies = (c: { events: Event[] }): string[] => c.events.map((e) => e.body.toString());

describe('spooldir source', () => {
  it('reads files oldest first, one event per line, then renames them to .COMPLETED', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'b.log'), 'b1\nb2\n');
    fs.utimesSync(path.join(dir, 'b.log'), new Date(2000), new Date(2000));
    fs.writeFileSync(path.join(dir, 'a.log'), 'a1\r\n\na3-no-newline');
    fs.utimesSync(path.join(dir, 'a.log'), new Date(3000), new Date(3000));
    const c = collector();
    const s = source(dir, { fileHeader: 'true', basenameHeader: 'true', batchSize: '2' });
    running.push(s);
    s.start(c);
    await until(() => fs.existsSync(path.join(dir, 'a.log.COMPLETED')));
    expect(bodies(c)).toEqual(['b1', 'b2', 'a1\r', '', 'a3-no-newline']);
    expect(c.events[0]!.headers).toEqual({ file: path.join(dir, 'b.log'), basename: 'b.log' });
    expect(fs.readdirSync(dir).sort()).toEqual(['.flumespool', 'a.log.COMPLETED', 'b.log.COMPLETED']);
    expect(s.counters.values.EventAcceptedCount).toBe(5);
  });

  it('honours includePattern, ignorePattern, hidden files, consumeOrder youngest and deletePolicy immediate', async () => {
    const dir = tmp();
    for (const [n, t] of [['x.log', 1000], ['y.log', 2000], ['skip.tmp', 3000], ['.hidden.log', 4000], ['z.txt', 5000]] as const) {
      fs.writeFileSync(path.join(dir, n), `${n}\n`);
      fs.utimesSync(path.join(dir, n), new Date(t), new Date(t));
    }
    const c = collector();
    const s = source(dir, { includePattern: '^.*\\.(log|tmp)$', ignorePattern: '^.*\\.tmp$', consumeOrder: 'youngest', deletePolicy: 'immediate' });
    running.push(s);
    s.start(c);
    await until(() => c.events.length === 2);
    await until(() => !fs.existsSync(path.join(dir, 'x.log')));
    expect(bodies(c)).toEqual(['y.log', 'x.log']);
    expect(fs.readdirSync(dir).sort()).toEqual(['.flumespool', '.hidden.log', 'skip.tmp', 'z.txt']);
  });

  it('splits lines longer than deserializer.maxLineLength', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'f'), 'abcdefghij\nxy\n');
    const c = collector();
    const s = source(dir, { 'deserializer.maxLineLength': '4' });
    running.push(s);
    s.start(c);
    await until(() => fs.existsSync(path.join(dir, 'f.COMPLETED')));
    expect(bodies(c)).toEqual(['abcd', 'efgh', 'ij', 'xy']);
  });

  it('retries a batch the channel refused: no line lost or duplicated', async () => {
    const dir = tmp();
    const lines = Array.from({ length: 250 }, (_, i) => `line-${i}`);
    fs.writeFileSync(path.join(dir, 'f'), lines.join('\n') + '\n');
    const c = collector(2);
    const s = source(dir, { maxBackoff: '50' });
    running.push(s);
    s.start(c);
    await until(() => fs.existsSync(path.join(dir, 'f.COMPLETED')));
    expect(bodies(c)).toEqual(lines);
    expect(s.counters.values.ChannelWriteFail).toBe(2);
  });

  it('resumes a half-read file after a restart from the tracker metadata', async () => {
    const dir = tmp();
    const lines = Array.from({ length: 1000 }, (_, i) => `l${i}`);
    fs.writeFileSync(path.join(dir, 'big'), lines.join('\n') + '\n');
    let gate: (() => void) | undefined;
    const first = collector();
    const orig = first.processEventBatch.bind(first);
    first.processEventBatch = async (evs) => {
      await orig(evs);
      if (first.events.length >= 300) await new Promise<void>((r) => (gate = r));
    };
    const s1 = source(dir);
    s1.start(first);
    await until(() => gate !== undefined);
    const stopping = s1.stop();
    gate!();
    await stopping;
    expect(fs.existsSync(path.join(dir, 'big.COMPLETED'))).toBe(false);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, '.flumespool', '.flumespool-main.meta'), 'utf8')) as { offset: number };
    expect(meta.offset).toBeGreaterThan(0);
    const second = collector();
    const s2 = source(dir);
    running.push(s2);
    s2.start(second);
    await until(() => fs.existsSync(path.join(dir, 'big.COMPLETED')));
    expect([...bodies(first), ...bodies(second)]).toEqual(lines);
  });

  it('stops (FATAL) when a file changes after it was picked up', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'f'), Array.from({ length: 500 }, (_, i) => `x${i}`).join('\n') + '\n');
    let appended = false;
    const c = collector();
    const orig = c.processEventBatch.bind(c);
    c.processEventBatch = async (evs) => {
      if (!appended) { appended = true; fs.appendFileSync(path.join(dir, 'f'), 'late\n'); }
      await orig(evs);
    };
    const s = source(dir);
    running.push(s);
    s.start(c);
    await until(() => s.fatal !== undefined);
    expect(s.fatal).toMatch(/File has (been modified|changed size) since being read/);
    expect(fs.existsSync(path.join(dir, 'f.COMPLETED'))).toBe(false);
  });

  it('stops (FATAL) when a completed name is re-used by a different file', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'f.COMPLETED'), 'old\n');
    fs.writeFileSync(path.join(dir, 'f'), 'new\n');
    const c = collector();
    const s = source(dir);
    running.push(s);
    s.start(c);
    await until(() => s.fatal !== undefined);
    expect(s.fatal).toMatch(/File name has been re-used with different files/);
  });

  it('trackingPolicy tracker_dir leaves files in place and records them in trackerDir', async () => {
    const dir = tmp();
    const tracker = path.join(tmp(), 'trk');
    fs.writeFileSync(path.join(dir, 'f'), 'one\n');
    const c = collector();
    const s = source(dir, { trackingPolicy: 'tracker_dir', trackerDir: tracker });
    running.push(s);
    s.start(c);
    await until(() => fs.existsSync(path.join(tracker, 'f.COMPLETED')));
    await new Promise((r) => setTimeout(r, 100));
    expect(bodies(c)).toEqual(['one']);
    expect(fs.existsSync(path.join(dir, 'f'))).toBe(true);
  });

  it('fails to start on a missing directory, and validation rejects bad charsets and deserializers', () => {
    const s = source('/nonexistent/spool');
    expect(() => s.start(collector())).toThrow(/Directory does not exist/);
    expect(() => buildComponent(spooldir, 'r', { spoolDir: '/tmp', inputCharset: 'EBCDIC' })).toThrow(/unsupported charset/);
    expect(() => buildComponent(spooldir, 'r', { spoolDir: '/tmp', deserializer: 'AVRO' })).toThrow(/not supported/);
    expect(() => buildComponent(spooldir, 'r', {})).toThrow(/spoolDir/);
  });
});

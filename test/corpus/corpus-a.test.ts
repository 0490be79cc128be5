/**
 * Corpus A: realistic Flume configuration files (test/fixtures/corpus/corpus-a-*.conf), each
 * validated with `tsagent validate` and run with the real CLI: input is fed in the way the
 * file expects (HTTP, netcat, syslog, UDP, files read by exec, generators) and the output
 * (file_roll files, logger lines) is checked. Paths and ports come from ${env:...} references
 * with production-looking defaults, as users write them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBuilt, BIN, freePort, ROOT, runCli } from '../helpers/cli.js';
import { exchange } from '../helpers/netcat-client.js';

const CORPUS = path.join(ROOT, 'test', 'fixtures', 'corpus');
const NASA = path.join(ROOT, '..', 'shared', 'data', 'nasa', 'NASA_access_log_Jul95.head-124979.txt.gz');
const file = (n: string): string => path.join(CORPUS, n);
const FILES = readdirSync(CORPUS).filter((f) => f.startsWith('corpus-a-') && f.endsWith('.conf')).sort();
const agentOf = (f: string): string => /^([A-Za-z0-9_]+)\.sources\s*=/m.exec(readFileSync(file(f), 'utf8'))![1]!;

interface Running { proc: ChildProcess; output: () => string; exited: Promise<number | null> }
const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
    await r.exited;
  }
});

function start(conf: string, env: Record<string, string>, timeoutMs = 20000): Promise<Running> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, '-f', file(conf), '-n', agentOf(conf), '--no-reload-conf'], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    const exited = new Promise<number | null>((r) => proc.on('close', (c) => r(c)));
    const r: Running = { proc, output: () => out, exited };
    running.push(r);
    const t = setTimeout(() => reject(new Error(`agent did not start: ${out}`)), timeoutMs);
    const on = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('started from')) { clearTimeout(t); resolve(r); }
    };
    proc.stderr!.on('data', on);
    proc.stdout!.on('data', on);
    void exited.then((c) => { clearTimeout(t); if (!out.includes('started from')) reject(new Error(`agent exited ${c}: ${out}`)); });
  });
}
async function stop(r: Running): Promise<void> {
  r.proc.kill('SIGTERM');
  expect(await r.exited).toBe(0);
}
async function until(cond: () => boolean, what: string, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
function tmp(...subdirs: string[]): string {
  const d = mkdtempSync(path.join(tmpdir(), 'corpus-a-'));
  for (const s of subdirs) mkdirSync(path.join(d, s), { recursive: true });
  return d;
}
/** Every line of every file in `dir` (files in name order). */
function lines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l !== ''));
}
/** HEADER_AND_TEXT line `{k=v, k2=v2} body` → [headers, body]. */
function headerLine(l: string): [Record<string, string>, string] {
  const m = /^\{(.*?)\} (.*)$/.exec(l);
  if (!m) throw new Error(`not a HEADER_AND_TEXT line: ${l}`);
  const h: Record<string, string> = {};
  if (m[1] !== '') for (const kv of m[1]!.split(', ')) { const i = kv.indexOf('='); h[kv.slice(0, i)] = kv.slice(i + 1); }
  return [h, m[2]!];
}
async function post(port: number, events: unknown): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(events) });
  await r.text();
  return r.status;
}
async function sendNetcat(port: number, ls: string[]): Promise<void> {
  const r = await exchange(port, ls.map((l) => l + '\n').join(''), ls.length, { timeoutMs: 15000 });
  expect(r.replies).toEqual(ls.map(() => 'OK'));
}
async function sendUdp(port: number, msgs: string[]): Promise<void> {
  const c = dgram.createSocket('udp4');
  for (const m of msgs) {
    await new Promise<void>((r) => c.send(m, port, '127.0.0.1', () => r()));
    await new Promise((r) => setTimeout(r, 1));
  }
  c.close();
}

describe('corpus A: every file validates with `tsagent validate`', () => {
  it('has at least 13 files', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(13);
  });
  it.each(FILES)('%s', async (f) => {
    const r = await runCli(['validate', '-f', file(f), '-n', agentOf(f)], { env: { OUT_DIR: '/tmp' } });
    expect(r.stdout + r.stderr).toContain('valid (agent');
    expect(r.stdout + r.stderr).toContain('0 warning(s)');
    expect(r.code).toBe(0);
  });
});

describe('corpus A: every file runs', () => {
  it('01 exec (tail -F) + timestamp + host -> file_roll: every line, with timestamp and hostname headers', async () => {
    const d = tmp('out');
    const log = path.join(d, 'app.log');
    const input = Array.from({ length: 200 }, (_, i) => `2024-05-01T10:00:${String(i % 60).padStart(2, '0')} INFO request ${i} done`);
    writeFileSync(log, input.join('\n') + '\n');
    const t0 = Date.now();
    const a = await start('corpus-a-01-exec-timestamp-fileroll.conf', { APP_LOG: log, OUT_DIR: path.join(d, 'out') });
    await until(() => lines(path.join(d, 'out')).length === 200, '200 lines');
    await stop(a);
    const parsed = lines(path.join(d, 'out')).map(headerLine);
    expect(parsed.map(([, b]) => b)).toEqual(input);
    for (const [h] of parsed) {
      expect(Object.keys(h)).toEqual(['hostname', 'timestamp']); // printed in java.util.HashMap order
      expect(Number(h.timestamp)).toBeGreaterThanOrEqual(t0);
      expect(Number(h.timestamp)).toBeLessThanOrEqual(Date.now());
      expect(h.hostname).toBe((await import('node:os')).hostname());
    }
  });

  it('02 http + multiplexing by header -> three file_roll sinks', async () => {
    const d = tmp('access', 'errors', 'other');
    const port = await freePort();
    const a = await start('corpus-a-02-http-multiplexing.conf', { HTTP_PORT: String(port), OUT_DIR: d });
    const batch = [
      { headers: { logtype: 'access' }, body: 'GET /a 200' },
      { headers: { logtype: 'error' }, body: 'disk full' },
      { headers: { logtype: 'audit' }, body: 'user x logged in' },
      { body: 'no header' },
      { headers: { logtype: 'access' }, body: 'GET /b 404' },
    ];
    expect(await post(port, batch)).toBe(200);
    expect(await post(port, 'not an array')).toBe(400);
    await until(() => lines(path.join(d, 'access')).length === 2 && lines(path.join(d, 'other')).length === 2, 'routed events');
    await stop(a);
    expect(lines(path.join(d, 'access'))).toEqual(['GET /a 200', 'GET /b 404']);
    expect(lines(path.join(d, 'errors'))).toEqual(['disk full']);
    expect(lines(path.join(d, 'other'))).toEqual(['user x logged in', 'no header']);
  });

  it('03 netcat -> failover group: the primary disk goes away mid-stream, the secondary takes over, the primary returns; nothing lost or doubled', async () => {
    const d = tmp('disk1', 'disk2');
    const port = await freePort();
    const a = await start('corpus-a-03-netcat-failover.conf', { NC_PORT: String(port), OUT_DIR: d });
    const A = Array.from({ length: 300 }, (_, i) => `A${i}`);
    const B = Array.from({ length: 300 }, (_, i) => `B${i}`);
    const C = Array.from({ length: 300 }, (_, i) => `C${i}`);
    await sendNetcat(port, A);
    await until(() => lines(path.join(d, 'disk1')).length === 300, 'A on the primary');
    expect(lines(path.join(d, 'disk2'))).toEqual([]);
    renameSync(path.join(d, 'disk1'), path.join(d, 'disk1.gone')); // the primary's disk disappears
    await new Promise((r) => setTimeout(r, 1600)); // next roll (1 s) fails: primary penalised
    await sendNetcat(port, B);
    await until(() => lines(path.join(d, 'disk2')).length === 300, 'B on the secondary');
    mkdirSync(path.join(d, 'disk1')); // disk is back
    await until(() => readdirSync(path.join(d, 'disk1')).length > 0, 'primary reopened a file (after its penalty)', 10000);
    await sendNetcat(port, C);
    await until(() => lines(path.join(d, 'disk1')).length === 300, 'C on the primary again');
    await stop(a);
    expect(lines(path.join(d, 'disk2'))).toEqual(B);
    const all = [...lines(path.join(d, 'disk1.gone')), ...lines(path.join(d, 'disk1')), ...lines(path.join(d, 'disk2'))];
    expect(all.sort()).toEqual([...A, ...B, ...C].sort());
    expect(a.output()).toMatch(/Sink primary failed and has been sent to failover list/);
  });

  it('04 seq -> load_balance round_robin over two file_roll sinks: 0..4999 exactly once, both used', async () => {
    const d = tmp('w1', 'w2');
    const a = await start('corpus-a-04-seq-loadbalance.conf', { OUT_DIR: d });
    await until(() => lines(path.join(d, 'w1')).length + lines(path.join(d, 'w2')).length === 5000, '5000 events');
    await stop(a);
    const w1 = lines(path.join(d, 'w1'));
    const w2 = lines(path.join(d, 'w2'));
    expect(w1.length).toBeGreaterThan(500);
    expect(w2.length).toBeGreaterThan(500);
    expect([...w1, ...w2].map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('05 syslogtcp -> logger: Flume headers and the message body in the agent log', async () => {
    const port = await freePort();
    const a = await start('corpus-a-05-syslogtcp-logger.conf', { SYSLOG_PORT: String(port) });
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r) => s.on('connect', r));
    s.end('<13>Oct 11 22:14:15 web1 nginx: GET /index.html\n<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - An application event\ngarbage line\n');
    await until(() => (a.output().match(/Event: \{ headers:/g) ?? []).length === 3, '3 logged events');
    await stop(a);
    const out = a.output();
    // maxBytesToLog = 64: the dump continues on a second line with its offset (commons-io HexDump).
    // Header order: Flume's HashMap (a copy of the parser's map), as Flume 1.11 printed for this input.
    expect(out).toMatch(/Event: \{ headers:\{host=web1, Severity=5, Facility=1, priority=13, timestamp=\d+\} body: 6E 67 69 6E 78 3A 20 47 45 54 20 2F 69 6E 64 65 nginx: GET \/inde\r?\n00000010 78 2E 68 74 6D 6C {31}x\.html \}/);
    expect(out).toMatch(/headers:\{host=mymachine.example.com, Severity=5, Facility=20, priority=165, version=1, timestamp=\d+\}/);
    // As Flume 1.11: the connection's last parsed priority/version stay on an invalid message.
    expect(out).toMatch(/headers:\{Severity=0, Facility=0, priority=165, version=1, flume.syslog.status=Invalid\} body: 67 61 72 62/);
  });

  it('06 syslogudp (keepFields=true) + static + clientIPHeader -> file_roll', async () => {
    const d = tmp('out');
    const port = await freePort();
    const a = await start('corpus-a-06-syslogudp-fileroll.conf', { SYSLOG_PORT: String(port), OUT_DIR: path.join(d, 'out') });
    const msgs = Array.from({ length: 50 }, (_, i) => `<${8 + (i % 8)}>Oct  3 11:00:${String(i).padStart(2, '0')} switch${i % 3} link ${i} up`);
    await sendUdp(port, msgs);
    await until(() => lines(path.join(d, 'out')).length === 50, '50 events', 10000);
    await stop(a);
    const got = lines(path.join(d, 'out')).map(headerLine);
    expect(got.map(([, b]) => b).sort()).toEqual([...msgs].sort());
    for (const [h, b] of got) {
      const i = Number(/link (\d+)/.exec(b)![1]);
      expect(h).toMatchObject({ Facility: '1', Severity: String(i % 8), host: `switch${i % 3}`, sender: '127.0.0.1', site: 'dc-east' });
      // The order Flume 1.11 printed for these messages (HashMap copy of the parser's map, then puts).
      expect(Object.keys(h)).toEqual(['site', 'sender', 'host', 'Severity', 'Facility', 'priority', 'timestamp']);
      expect(h.timestamp).toMatch(/^\d+$/);
    }
  });

  it('07 http + static (datacenter, env) + uuid with prefix -> file_roll', async () => {
    const d = tmp('out');
    const port = await freePort();
    const a = await start('corpus-a-07-http-static-uuid.conf', { HTTP_PORT: String(port), OUT_DIR: path.join(d, 'out') });
    expect(await post(port, [{ body: 'one' }, { headers: { datacenter: 'SFO_02' }, body: 'two' }, { headers: { eventId: 'client-1' }, body: 'three' }])).toBe(200);
    await until(() => lines(path.join(d, 'out')).length === 3, '3 events');
    await stop(a);
    const got = lines(path.join(d, 'out')).map(headerLine);
    expect(got.map(([h, b]) => [b, h.datacenter, h.env])).toEqual([['one', 'NYC_01', 'prod'], ['two', 'SFO_02', 'prod'], ['three', 'NYC_01', 'prod']]);
    expect(got[0]![0].eventId).toMatch(/^nyc-[0-9a-f-]{36}$/);
    expect(got[1]![0].eventId).toMatch(/^nyc-[0-9a-f-]{36}$/);
    expect(got[2]![0].eventId).toBe('client-1');
  });

  it('08 exec (bash -c cat) + regex_filter excludeEvents -> file_roll without DEBUG/TRACE', async () => {
    const d = tmp('out');
    const log = path.join(d, 'app.log');
    const levels = ['INFO', 'DEBUG', 'WARN', 'TRACE', 'ERROR'];
    const input = Array.from({ length: 500 }, (_, i) => `2024-05-01 10:00:00 ${levels[i % 5]} message ${i} DEBUG-in-text`);
    writeFileSync(log, input.join('\n') + '\n');
    const a = await start('corpus-a-08-exec-regex-filter.conf', { APP_LOG: log, OUT_DIR: path.join(d, 'out') });
    const want = input.filter((l) => !/^\S+ \S+ (DEBUG|TRACE)/.test(l));
    await until(() => lines(path.join(d, 'out')).length === want.length, `${want.length} kept lines`);
    await stop(a);
    expect(lines(path.join(d, 'out'))).toEqual(want);
    expect(want).toHaveLength(300);
  });

  it('09 NASA access log: regex_extractor (millis timestamp, status, bytes) + multiplexing by status', async () => {
    const d = tmp('ok', 'notfound', 'rest');
    const N = 3000;
    const a = await start('corpus-a-09-nasa-regex-extractor-multiplexing.conf', { ACCESS_LOG_GZ: NASA, LINES: String(N), OUT_DIR: d });
    const input = gunzipSync(readFileSync(NASA)).toString('latin1').split('\n').slice(0, N).map((l) => l.replace(/\r$/, ''));
    const re = /\[([^\]]+)\] "[^"]*" (\d{3}) (\d+|-)/;
    const status = (l: string): string | undefined => re.exec(l)?.[2];
    const want = {
      ok: input.filter((l) => status(l) === '200'),
      notfound: input.filter((l) => status(l) === '404'),
      rest: input.filter((l) => status(l) !== '200' && status(l) !== '404'),
    };
    await until(() => lines(path.join(d, 'ok')).length === want.ok.length && lines(path.join(d, 'notfound')).length === want.notfound.length
      && lines(path.join(d, 'rest')).length === want.rest.length, 'all lines routed');
    await stop(a);
    expect(want.ok.length).toBeGreaterThan(2000);
    expect(want.notfound.length).toBeGreaterThan(0);
    expect(want.rest.length).toBeGreaterThan(0);
    expect(lines(path.join(d, 'notfound'))).toEqual(want.notfound);
    expect(lines(path.join(d, 'rest'))).toEqual(want.rest);
    const ok = lines(path.join(d, 'ok')).map(headerLine);
    expect(ok.map(([, b]) => b)).toEqual(want.ok);
    for (const [h, b] of ok.slice(0, 200)) {
      const m = re.exec(b)!;
      const [day, mon, rest] = m[1]!.split('/');
      const iso = `${rest!.slice(0, 4)}-${String(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(mon!) + 1).padStart(2, '0')}-${day}T${rest!.slice(5, 13)}-04:00`;
      expect(h).toEqual({ timestamp: String(Date.parse(iso)), status: '200', bytes: m[3] });
    }
  });

  it('10 netcat + search_replace (e-mails, card numbers) -> file_roll with masked bodies', async () => {
    const d = tmp('out');
    const port = await freePort();
    const a = await start('corpus-a-10-search-replace-mask.conf', { NC_PORT: String(port), OUT_DIR: path.join(d, 'out') });
    await sendNetcat(port, ['order 17 by jane.doe@example.com card 4111 1111 1111 1234', 'contact: a.b+c@mail.co.uk, x@y.io', 'nothing to hide here']);
    await until(() => lines(path.join(d, 'out')).length === 3, '3 lines');
    await stop(a);
    expect(lines(path.join(d, 'out'))).toEqual(['order 17 by ***@example.com card 4111-XXXX-XXXX-1234', 'contact: ***@mail.co.uk, ***@y.io', 'nothing to hide here']);
  });

  it('11 http + remove_header (withName, fromList, matching) -> file_roll', async () => {
    const d = tmp('out');
    const port = await freePort();
    const a = await start('corpus-a-11-http-remove-header.conf', { HTTP_PORT: String(port), OUT_DIR: path.join(d, 'out') });
    expect(await post(port, [{ headers: { Authorization: 'Bearer x', traceparent: '00-1', tracestate: 'a=b', baggage: 'k=v', 'x-internal-route': 'r2', 'x-request': 'keep', user: 'ann' }, body: 'hello' }])).toBe(200);
    await until(() => lines(path.join(d, 'out')).length === 1, '1 line');
    await stop(a);
    expect(lines(path.join(d, 'out'))).toEqual(['{x-request=keep, user=ann} hello']);
  });

  it('12 netcat + replicating with an optional channel: the archive gets everything, the optional copy never more', async () => {
    const d = tmp('archive', 'analytics');
    const port = await freePort();
    const a = await start('corpus-a-12-replicating-optional.conf', { NC_PORT: String(port), OUT_DIR: d });
    const input = Array.from({ length: 3000 }, (_, i) => `event ${i}`);
    await sendNetcat(port, input);
    await until(() => lines(path.join(d, 'archive')).length === 3000, 'archive complete');
    await new Promise((r) => setTimeout(r, 300));
    await stop(a);
    expect(lines(path.join(d, 'archive'))).toEqual(input);
    const analytics = lines(path.join(d, 'analytics'));
    expect(analytics.length).toBeGreaterThan(0);
    expect(analytics.length).toBeLessThanOrEqual(3000);
    expect(new Set(analytics).size).toBe(analytics.length);
    for (const l of analytics) expect(input).toContain(l);
  });

  it('13 netcatudp + timestamp + remoteAddress -> file_roll', async () => {
    const d = tmp('out');
    const port = await freePort();
    const t0 = Date.now();
    const a = await start('corpus-a-13-netcatudp-timestamp.conf', { UDP_PORT: String(port), OUT_DIR: path.join(d, 'out') });
    const msgs = Array.from({ length: 100 }, (_, i) => `cpu.load ${i}\nignored second line`);
    await sendUdp(port, msgs);
    await until(() => lines(path.join(d, 'out')).length === 100, '100 datagrams', 10000);
    await stop(a);
    const got = lines(path.join(d, 'out')).map(headerLine);
    expect(got.map(([, b]) => b).sort()).toEqual(msgs.map((m) => m.split('\n')[0]!).sort());
    for (const [h] of got) {
      expect(Object.keys(h)).toEqual(['sender', 'timestamp']); // as Flume 1.11 printed them
      expect(h.sender).toMatch(/^\/127\.0\.0\.1:\d+$/);
      expect(Number(h.timestamp)).toBeGreaterThanOrEqual(t0);
    }
  });

  it('14 FQCN types everywhere: seq + HostInterceptor + MemoryChannel + RollingFileSink', async () => {
    const d = tmp('out');
    const a = await start('corpus-a-14-seq-fqcn.conf', { OUT_DIR: path.join(d, 'out') });
    await until(() => lines(path.join(d, 'out')).length === 1000, '1000 events');
    await stop(a);
    const got = lines(path.join(d, 'out')).map(headerLine);
    expect(got.map(([, b]) => Number(b))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(new Set(got.map(([h]) => h.host)).size).toBe(1);
    expect(got[0]![0].host).toMatch(/^[\d.]+$|:/);
  });

  it('15 exec restart (shell, throttle) + regex_filter + uuid: the command runs again and again', async () => {
    const d = tmp('out');
    const a = await start('corpus-a-15-exec-restart-uuid.conf', { OUT_DIR: path.join(d, 'out') });
    await until(() => lines(path.join(d, 'out')).length >= 3, '3 runs', 15000);
    await stop(a);
    const got = lines(path.join(d, 'out')).map(headerLine);
    for (const [h, b] of got) {
      expect(b).toMatch(/^status ok \d+$/);
      expect(h.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(got.map(([h]) => h.id)).size).toBe(got.length);
    expect(a.output()).toMatch(/Restarting in 1000ms, exit code 0/);
  });
});

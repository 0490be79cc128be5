import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateChunks } from '../../src/tools/generate.js';
import { pythonLines, pyStrip } from '../../src/tools/lines.js';
import { clfTimestampMs, replay, ReplayError, type ReplayOptions } from '../../src/tools/replay.js';
import { FakeFtp } from './fake-ftp.js';
import { CHANNEL_FULL, FakeNetcat, type FakeNetcatOptions } from './fake-netcat.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tsagent-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Unique numbered lines, so loss and duplicates are visible. */
function numbered(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `line ${from + i} - - [01/Jul/1995:00:00:01 -0400] "GET /x/${from + i}.html HTTP/1.0" 200 ${i}`);
}

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function netcat(o: FakeNetcatOptions = {}): Promise<FakeNetcat> {
  const s = await new FakeNetcat(o).listen();
  servers.push(s);
  return s;
}

function base(server: FakeNetcat, input: ReplayOptions['input'], extra: Partial<ReplayOptions> = {}): ReplayOptions {
  return { input, host: '127.0.0.1', port: server.port, retryForMs: 5000, ackTimeoutMs: 5000, ...extra };
}

function sorted(a: string[]): string[] {
  return [...a].sort();
}

/** A port with nothing listening. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('replay: lines as stream_logs.py sends them', () => {
  it('decodes with U+FFFD replacement, splits like splitlines(), strips and skips blank lines', async () => {
    // Expected values produced by CPython 3: [l.strip() for l in data.decode('utf-8', 'replace').splitlines() if l.strip()]
    const data = Buffer.from(
      '  first line  \r\nsecond\r\n\r\n   \n\tthird\x0cfourth\x1cfifth\nsixth \x80 byte\n\xe2\x82\xac euro\xc3\n\x85 nel\xc2\x85x\n\xef\xbb\xbfbom\nlast-no-newline',
      'latin1',
    );
    const expected = ['first line', 'second', 'third', 'fourth', 'fifth', 'sixth \ufffd byte', '\u20ac euro\ufffd', '\ufffd nel', 'x', '\ufeffbom', 'last-no-newline'];
    // Whole, and one byte at a time (multi-byte characters and CRLF split across chunks).
    const whole: string[] = [];
    for await (const b of pythonLines(Readable.from([data]))) whole.push(...b);
    const bytewise: string[] = [];
    for await (const b of pythonLines(Readable.from([...data].map((x) => Buffer.from([x]))))) bytewise.push(...b);
    expect(whole).toEqual(expected);
    expect(bytewise).toEqual(expected);
  });

  it.each([
    ['  a b  ', 'a b'],
    ['\x1c\x1f x \x85', 'x'],
    ['\ufeff x', '\ufeff x'],
    ['\u3000x\u2029', 'x'],
    ['', ''],
  ])('pyStrip(%j) = %j (Python str.strip)', (input, out) => {
    expect(pyStrip(input)).toBe(out);
  });

  it('sends the replacement character, UTF-8 encoded, for an invalid byte', async () => {
    const server = await netcat();
    const input = Buffer.from('ok line\nGET /shuttle/countdown/dy \x80?tracking HTTP/1.0\n', 'latin1');
    const s = await replay(base(server, Readable.from([input])));
    expect(s.acked).toBe(2);
    expect(server.committed).toEqual(['ok line', 'GET /shuttle/countdown/dy \ufffd?tracking HTTP/1.0']);
  });
});

describe('replay: acknowledgements, failures and resume', () => {
  it('delivers every line once, in order, and counts the acks', async () => {
    const server = await netcat();
    const lines = numbered(20_000);
    const s = await replay(base(server, file('plain.log', lines.join('\n') + '\n'), { maxInFlight: 1000 }));
    expect(server.committed).toEqual(lines);
    expect(s).toMatchObject({ linesRead: 20_000, sent: 20_000, acked: 20_000, failed: 0, resent: 0, reconnects: 0, complete: true, inFlight: 0 });
  });

  it('resends a line answered FAILED (channel full) after a backoff; nothing lost, nothing doubled', async () => {
    const server = await netcat({ fail: (line, attempt) => attempt === 1 && /^line \d*7 /.test(line) });
    const lines = numbered(5000);
    const notices: string[] = [];
    const s = await replay(base(server, Readable.from([lines.join('\n')]), { failedBackoffMs: 5, onNotice: (m) => notices.push(m) }));
    expect(sorted(server.committed)).toEqual(sorted(lines));
    expect(s.failed).toBe(500);
    expect(s.resent).toBe(500);
    expect(s.acked).toBe(5000);
    expect(s.complete).toBe(true);
    expect(notices.some((n) => n.includes(CHANNEL_FULL))).toBe(true);
  });

  it('reconnects after the source closes the connection and resumes after the last acknowledged line', async () => {
    const server = await netcat({ dropAfterCommits: [1234, 5000, 5001, 17_777], dropMode: 'graceful' });
    const lines = numbered(30_000);
    const s = await replay(base(server, file('drops.log', lines.join('\n')), { maxInFlight: 3000 }));
    // Every committed line was answered before the drop, so exactly-once here.
    expect(server.committed).toHaveLength(30_000);
    expect(sorted(server.committed)).toEqual(sorted(lines));
    expect(server.committed).toEqual(lines); // and in order: resends go first
    expect(s.reconnects).toBe(4);
    expect(server.connections).toBe(5);
    expect(s.acked).toBe(30_000);
    expect(s.resent).toBeGreaterThan(0);
  });

  it('after an abrupt loss, sends again only lines whose OK never arrived (at-least-once)', async () => {
    const server = await netcat({ dropAfterCommits: [999, 4000, 6000], dropMode: 'abrupt' });
    const lines = numbered(8000);
    const s = await replay(base(server, Readable.from([lines.join('\n') + '\n']), { maxInFlight: 500 }));
    expect(new Set(server.committed)).toEqual(new Set(lines));
    // A line committed more than once: every commit but the last went unanswered.
    const seen = new Map<string, number[]>();
    server.committed.forEach((l, i) => seen.set(l, [...(seen.get(l) ?? []), i]));
    const doubled = [...seen.values()].filter((idx) => idx.length > 1);
    expect(doubled.length).toBe(3);
    for (const idx of doubled) for (const i of idx.slice(0, -1)) expect(server.answered[i]).toBe(false);
    expect(s.acked).toBe(8000);
    expect(s.reconnects).toBe(3);
  });

  it('skips a line longer than max-line-length (Flume closes the connection) and delivers the rest', async () => {
    const server = await netcat({ maxLineLength: 100 });
    const lines = numbered(3000);
    const long = `x${'y'.repeat(150)}`;
    const input = [...lines.slice(0, 1500), long, ...lines.slice(1500)];
    const notices: string[] = [];
    const s = await replay(base(server, Readable.from([input.join('\n')]), { onNotice: (m) => notices.push(m) }));
    expect(sorted(server.committed)).toEqual(sorted(lines));
    expect(server.committed).toHaveLength(3000);
    expect(s.rejected).toBe(1);
    expect(s.acked).toBe(3000);
    expect(s.complete).toBe(true);
    expect(notices.join('\n')).toMatch(/rejected .*maximum length.*151 chars/);
  });

  it('without --no-ack, a source that never answers fails with a hint', async () => {
    const server = await netcat({ ack: false });
    const err = await replay(base(server, Readable.from([numbered(100).join('\n')]), { ackTimeoutMs: 300 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayError);
    expect((err as ReplayError).message).toMatch(/no reply from 127\.0\.0\.1:\d+ for 0\.3 s with 100 lines unacknowledged.*--no-ack/);
    expect((err as ReplayError).summary.sent).toBe(100);
  });

  it('with ack: false, writes every line to a source that does not answer', async () => {
    const server = await netcat({ ack: false });
    const lines = numbered(10_000);
    const s = await replay(base(server, Readable.from([lines.join('\n')]), { ack: false }));
    expect(server.committed).toEqual(lines);
    expect(s).toMatchObject({ sent: 10_000, acked: 0, ackMode: false, complete: true });
  });

  it('rejects replies that are not from a netcat source', async () => {
    const server = net.createServer((c) => {
      c.on('error', () => {});
      c.once('data', () => c.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
    const port = (server.address() as net.AddressInfo).port;
    const err = await replay({ input: Readable.from(['a\nb\n']), host: '127.0.0.1', port }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/unexpected reply "HTTP\/1\.1 400 Bad Request.*is it a Flume netcat source\?/);
  });

  it('stops on abort: nothing new is sent, replies to lines in flight are awaited', async () => {
    const server = await netcat();
    const controller = new AbortController();
    const run = replay(base(server, Readable.from([numbered(10_000).join('\n')]), { rate: 2000, signal: controller.signal }));
    setTimeout(() => controller.abort(), 250);
    const s = await run;
    expect(s.aborted).toBe(true);
    expect(s.complete).toBe(false);
    expect(s.acked).toBeGreaterThan(100);
    expect(s.acked).toBeLessThan(10_000);
    expect(s.inFlight).toBe(0);
    expect(server.committed).toHaveLength(s.acked);
  });

  it('applies skip and limit to the input lines', async () => {
    const server = await netcat();
    const lines = numbered(100);
    const s = await replay(base(server, Readable.from([lines.join('\n')]), { skip: 10, limit: 25 }));
    expect(server.committed).toEqual(lines.slice(10, 35));
    expect(s.linesRead).toBe(25);
  });

  it('reports progress while it runs', async () => {
    const server = await netcat();
    const seen: number[] = [];
    await replay(base(server, Readable.from([numbered(300).join('\n')]), { rate: 1000, progressIntervalMs: 50, onProgress: (p) => seen.push(p.acked) }));
    expect(seen.length).toBeGreaterThan(2);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });
});

describe('replay: pacing', () => {
  it('--rate spaces the lines', async () => {
    const server = await netcat();
    const s = await replay(base(server, Readable.from([numbered(300).join('\n')]), { rate: 1000 }));
    expect(s.elapsedMs).toBeGreaterThanOrEqual(280);
    expect(s.acked).toBe(300);
  });

  it('--delay waits between lines', async () => {
    const server = await netcat();
    const s = await replay(base(server, Readable.from([numbered(6).join('\n')]), { delay: 0.05 }));
    expect(s.elapsedMs).toBeGreaterThanOrEqual(240);
  });

  it("--speedup follows the log's own timestamps", async () => {
    const server = await netcat();
    const lines = Array.from({ length: 11 }, (_, i) => `h - - [01/Jul/1995:00:00:${String(i * 3).padStart(2, '0')} -0400] "GET / HTTP/1.0" 200 1`);
    const s = await replay(base(server, Readable.from([lines.join('\n')]), { speedup: 100 }));
    // 30 s of log at 100x: 300 ms.
    expect(s.elapsedMs).toBeGreaterThanOrEqual(280);
    expect(s.elapsedMs).toBeLessThan(3000);
    expect(server.committed).toEqual(lines);
  });

  it('--speedup sends lines without a timestamp with their neighbours', async () => {
    const server = await netcat();
    const lines = ['no timestamp first', 'h - - [01/Jul/1995:00:00:00 -0400] "GET / HTTP/1.0" 200 1', 'garbage', 'h - - [01/Jul/1995:00:00:20 -0400] "GET / HTTP/1.0" 200 1'];
    const s = await replay(base(server, Readable.from([lines.join('\n')]), { speedup: 100 }));
    expect(server.committed).toEqual(lines);
    expect(s.elapsedMs).toBeGreaterThanOrEqual(190);
    expect(s.elapsedMs).toBeLessThan(3000);
  });

  it.each([
    ['01/Jul/1995:00:00:01 -0400', Date.UTC(1995, 6, 1, 4, 0, 1)],
    ['31/Dec/1999:23:59:59 +0100', Date.UTC(1999, 11, 31, 22, 59, 59)],
    ['01/Aug/1995:14:52:01', Date.UTC(1995, 7, 1, 14, 52, 1)],
  ])('parses the CLF timestamp [%s]', (ts, ms) => {
    expect(clfTimestampMs(`host - - [${ts}] "GET / HTTP/1.0" 200 1`)).toBe(ms);
  });

  it('rejects more than one pacing option', async () => {
    await expect(replay({ input: 'x', delay: 1, rate: 2 })).rejects.toThrow(/choose one of delay, rate and speedup/);
  });
});

describe('replay: inputs', () => {
  const lines = numbered(5000);
  const text = lines.join('\n') + '\n';
  let http1: http.Server;
  let httpPort = 0;

  beforeAll(async () => {
    const gz = gzipSync(text);
    http1 = http.createServer((req, res) => {
      if (req.url === '/logs/access.log') return res.end(text);
      if (req.url === '/logs/access.log.gz') return res.end(gz);
      // gzip content under a plain name: detected by magic bytes
      if (req.url === '/logs/download?id=7') return res.end(gz);
      if (req.url === '/old') {
        res.writeHead(302, { location: '/logs/access.log.gz' });
        return res.end();
      }
      res.writeHead(404, 'Not Found');
      res.end('no');
    });
    await new Promise<void>((r) => http1.listen(0, '127.0.0.1', r));
    httpPort = (http1.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => http1.close(() => r()));
  });

  it.each([
    ['a gzip file', () => file('a.log.gz', gzipSync(text))],
    ['a gzip file without .gz in its name', () => file('compressed.dat', gzipSync(text))],
    ['a multi-member gzip file', () => file('multi.gz', Buffer.concat([gzipSync(lines.slice(0, 100).join('\n') + '\n'), gzipSync(lines.slice(100).join('\n') + '\n')]))],
    ['an http URL', () => `http://127.0.0.1:${httpPort}/logs/access.log`],
    ['an http URL of a .gz', () => `http://127.0.0.1:${httpPort}/logs/access.log.gz`],
    ['an http URL of gzip data without .gz', () => `http://127.0.0.1:${httpPort}/logs/download?id=7`],
    ['an http redirect', () => `http://127.0.0.1:${httpPort}/old`],
  ])('reads %s', async (_name, spec) => {
    const server = await netcat();
    const s = await replay(base(server, spec()));
    expect(server.committed).toEqual(lines);
    expect(s.complete).toBe(true);
    expect(s.totalBytes).toBeGreaterThan(0);
    expect(s.bytesRead).toBe(s.totalBytes);
  });

  it.each([
    ['EPSV', {}],
    ['PASV', { noEpsv: true }],
  ])('reads an ftp URL (%s, anonymous, CWD + RETR)', async (mode, opts) => {
    const ftp = await new FakeFtp(new Map([['/traces/NASA_test.gz', gzipSync(text)]]), opts).listen();
    servers.push(ftp);
    const server = await netcat();
    const s = await replay(base(server, `ftp://127.0.0.1:${ftp.port}/traces/NASA_test.gz`));
    expect(server.committed).toEqual(lines);
    expect(s.totalBytes).toBe(gzipSync(text).length);
    expect(ftp.commands).toEqual(expect.arrayContaining(['USER anonymous', 'TYPE I', 'CWD traces', 'RETR NASA_test.gz', mode]));
  });

  it('reads an https URL, trusting a given CA; refuses an unknown certificate with a hint', async () => {
    const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
    const cert = readFileSync(path.join(fixtures, 'https-cert.pem'));
    const srv = https.createServer({ cert, key: readFileSync(path.join(fixtures, 'https-key.pem')) }, (_req, res) => res.end(gzipSync(text)));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    servers.push({ close: () => new Promise<void>((r) => srv.close(() => r())) });
    const url = `https://127.0.0.1:${(srv.address() as net.AddressInfo).port}/access.log`;
    const server = await netcat();
    const s = await replay(base(server, url, { ca: cert }));
    expect(server.committed).toEqual(lines);
    expect(s.complete).toBe(true);
    await expect(replay(base(server, url))).rejects.toThrow(/: self-signed certificate \(trust the certificate with --ca FILE, or skip the check with --insecure\)$/);
    const insecure = await replay(base(server, url, { insecure: true }));
    expect(insecure.acked).toBe(lines.length);
  });

  it('reports an aborted ftp transfer after delivering what arrived', async () => {
    const plain = Buffer.from(text);
    const ftp = await new FakeFtp(new Map([['/traces/a.log', plain]]), { abortTransfer: true }).listen();
    servers.push(ftp);
    const server = await netcat();
    const err = await replay(base(server, `ftp://127.0.0.1:${ftp.port}/traces/a.log`)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^ftp:\/\/127\.0\.0\.1:\d+\/traces\/a\.log: transfer failed: 426 Connection closed; transfer aborted\.$/);
    const s = (err as ReplayError).summary;
    expect(s.complete).toBe(false);
    expect(server.committed).toEqual(lines.slice(0, s.acked));
    expect(s.acked).toBeGreaterThan(1000);
  });

  it('reports a missing file on an ftp server', async () => {
    const ftp = await new FakeFtp(new Map([['/traces/a.gz', gzipSync(text)]])).listen();
    servers.push(ftp);
    const server = await netcat();
    await expect(replay(base(server, `ftp://127.0.0.1:${ftp.port}/traces/b.gz`))).rejects.toThrow(
      new RegExp(`^ftp://127\\.0\\.0\\.1:${ftp.port}/traces/b\\.gz: RETR b\\.gz failed: 550 b\\.gz: No such file or directory$`),
    );
  });

  it.each<[string, () => Promise<string> | string, RegExp]>([
    ['a missing file', () => path.join(dir, 'nope.log'), /^file not found: .*nope\.log$/],
    ['a directory', () => dir, /is a directory; give a file or a URL$/],
    ['a .gz that is not gzip', () => file('fake.gz', 'plain text\n'), /fake\.gz is not gzip data \(it starts with "plain text\\n", not the gzip magic bytes 1f 8b\); rename it if it is plain text$/],
    ['an empty .gz', () => file('empty.gz', ''), /empty\.gz is empty, but its name ends in \.gz$/],
    ['an unsupported scheme', () => 'gopher://example.org/x', /^unsupported URL scheme "gopher:" in gopher:\/\/example\.org\/x; use http:\/\/, https:\/\/ or ftp:\/\/, or a file path$/],
    ['a malformed URL', () => 'http://exa mple.org/x', /^bad URL "http:\/\/exa mple\.org\/x"$/],
    ['an HTTP 404', () => `http://127.0.0.1:${httpPort}/missing.log`, /^http:\/\/127\.0\.0\.1:\d+\/missing\.log: HTTP 404 Not Found$/],
    ['an unreachable URL', async () => `http://127.0.0.1:${await freePort()}/x.log`, /^http:\/\/127\.0\.0\.1:\d+\/x\.log: connection refused$/],
  ])('fails clearly on %s, before connecting', async (_name, spec, message) => {
    const server = await netcat();
    const err = await replay(base(server, await spec())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(message);
    expect(server.connections).toBe(0);
  });

  it('fails clearly on corrupt gzip data after delivering what came before', async () => {
    const server = await netcat();
    const gz = gzipSync(Buffer.concat([...generateChunks({ seed: 1, lines: 50_000 })]));
    const err = await replay(base(server, file('cut.log.gz', gz.subarray(0, Math.floor(gz.length / 2))))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayError);
    expect((err as Error).message).toMatch(/cut\.log\.gz: corrupt gzip data \(unexpected end of file\)$/);
    const s = (err as ReplayError).summary;
    expect(s.acked).toBeGreaterThan(0);
    expect(server.committed).toHaveLength(s.acked);
    expect(s.complete).toBe(false);
  });

  it('on an input error, delivers every complete line read before it, then fails', async () => {
    const server = await netcat();
    const broken = new Readable({ read() {} });
    broken.push(numbered(3000).join('\n') + '\npartial li');
    setTimeout(() => broken.destroy(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' })), 50);
    // Paced, so most lines are still queued when the input fails.
    const err = await replay(base(server, broken, { inputName: 'download', rate: 20_000 })).catch((e: unknown) => e);
    expect((err as Error).message).toBe('cannot read download: connection reset by the peer');
    expect(server.committed).toEqual(numbered(3000));
    expect((err as ReplayError).summary).toMatchObject({ acked: 3000, complete: false });
  });

  it('fails clearly when nothing listens on the port', async () => {
    const port = await freePort();
    await expect(replay({ input: Readable.from(['a\n']), host: '127.0.0.1', port })).rejects.toThrow(
      `cannot connect to 127.0.0.1:${port}: connection refused (is the agent with its netcat source running?)`,
    );
  });

  it('waits for the source to come up when asked to', async () => {
    const port = await freePort();
    const server = new FakeNetcat();
    setTimeout(() => {
      const s = server as unknown as { server: net.Server; port: number };
      s.server.listen(port, '127.0.0.1');
      s.port = port;
      servers.push(server);
    }, 300);
    const s = await replay({ input: Readable.from(['a\nb\n']), host: '127.0.0.1', port, connectWaitMs: 5000 });
    expect(s.acked).toBe(2);
    expect(server.committed).toEqual(['a', 'b']);
  });

  it('gives up reconnecting after retryFor', async () => {
    const server = await netcat({ dropAfterCommits: [100] });
    const input = Readable.from([numbered(1000).join('\n')]);
    const run = replay({ ...base(server, input), rate: 2000, retryForMs: 400 });
    // Once connected, refuse new connections: the reconnects after the drop fail.
    while (server.connections === 0) await new Promise((r) => setTimeout(r, 1));
    server.stopListening();
    const err = await run.catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/lost the connection to 127\.0\.0\.1:\d+ and could not reconnect within 0.4 s: connection refused/);
    expect((err as ReplayError).summary.acked).toBe(100);
  });
});

describe('replay: the generator as input', () => {
  it('streams generated NASA-like data (with its 0x80 bytes) through replay', async () => {
    mkdirSync(dir, { recursive: true });
    const server = await netcat();
    const s = await replay(base(server, Readable.from(generateChunks({ seed: 11, lines: 130_000 })), { inputName: 'generated' }));
    expect(s.acked).toBe(130_000);
    expect(server.committed.filter((l) => l.includes('\ufffd'))).toHaveLength(2);
  });
});

import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelProcessor } from '../../src/core/contracts.js';
import type { Event } from '../../src/core/event.js';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import { buildSyslogEvent, parse3164Stamp, parse5424Stamp, parseKeepFields, SyslogStreamSplitter } from '../../src/sources/syslog/parser.js';
import syslogTcp, { SyslogTcpSource } from '../../src/sources/syslog-tcp.js';
import syslogUdp, { SyslogUDPSource } from '../../src/sources/syslog-udp.js';

class Collect implements ChannelProcessor {
  events: Event[] = [];
  readonly maxBatchSize = 10000;
  async processEventBatch(e: Event[]): Promise<void> { this.events.push(...e); }
  processEvent(e: Event): Promise<void> { return this.processEventBatch([e]); }
}
const running: Array<{ stop(): unknown }> = [];
afterEach(async () => { for (const s of running.splice(0)) await s.stop(); });
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timeout'); await new Promise((r) => setTimeout(r, 10)); }
}

const none = { keepFields: parseKeepFields('none'), maxSize: 2500 };
const ev = (s: string, keep = 'none') => buildSyslogEvent(Buffer.from(s), { keepFields: parseKeepFields(keep), maxSize: 2500 });

describe('syslog parsing (Flume SyslogUtils)', () => {
  it('RFC 5424: Facility, Severity, priority, version, timestamp, host; body without header fields', () => {
    const e = ev('<34>1 2003-10-11T22:14:15Z mymachine.example.com su - ID47 - BOM\'su root\' failed');
    expect(e.headers).toEqual({ Facility: '4', Severity: '2', priority: '34', version: '1', timestamp: String(Date.UTC(2003, 9, 11, 22, 14, 15)), host: 'mymachine.example.com' });
    expect(e.body.toString()).toBe("su - ID47 - BOM'su root' failed");
  });
  it('RFC 5424 offset without fraction is honoured', () => {
    expect(ev('<165>1 2003-08-24T05:14:15-07:00 h app - - - msg').headers.timestamp).toBe(String(Date.UTC(2003, 7, 24, 12, 14, 15)));
  });
  it('RFC 5424 with a fraction: Flume\'s first date format wins and ignores the offset (local time)', () => {
    expect(parse5424Stamp('2003-10-11T22:14:15.003Z')).toBe(new Date(2003, 9, 11, 22, 14, 15, 3).getTime());
    expect(parse5424Stamp('2003-10-11T22:14:15.123456+02:00')).toBe(new Date(2003, 9, 11, 22, 14, 15, 123).getTime());
  });
  it('RFC 3164: timestamp with the current year (local time), host, body', () => {
    const now = new Date(2024, 5, 15).getTime();
    expect(parse3164Stamp('Jun  1 10:00:00'.replace('  ', ' '), now)).toBe(new Date(2024, 5, 1, 10).getTime());
    const e = ev('<13>Oct 11 22:14:15 mymachine su: \'su root\' failed for lonvick on /dev/pts/8');
    expect(e.headers.Facility).toBe('1');
    expect(e.headers.Severity).toBe('5');
    expect(e.headers.host).toBe('mymachine');
    expect(e.headers.priority).toBe('13');
    expect(e.headers.timestamp).toMatch(/^\d+$/);
    expect(e.body.toString()).toBe("su: 'su root' failed for lonvick on /dev/pts/8");
  });
  it('RFC 3164 year guessing: a December stamp seen in January is last year; a January stamp seen in December is next year', () => {
    expect(parse3164Stamp('Dec 31 23:59:59', new Date(2024, 0, 1, 0, 0, 5).getTime())).toBe(new Date(2023, 11, 31, 23, 59, 59).getTime());
    expect(parse3164Stamp('Jan 1 00:00:01', new Date(2024, 11, 31, 23, 59).getTime())).toBe(new Date(2025, 0, 1, 0, 0, 1).getTime());
  });
  it.each([
    ['no PRI', 'hello world'],
    ['empty PRI', '<>hello'],
    ['PRI too long', '<1234>hello'],
    ['PRI not a number', '<a1>hello'],
  ])('invalid message (%s): flume.syslog.status=Invalid, Facility/Severity 0, body as received', (_n, s) => {
    const e = ev(s);
    expect(e.headers).toEqual({ Facility: '0', Severity: '0', 'flume.syslog.status': 'Invalid' });
    expect(e.body.toString()).toBe(s);
  });
  it('valid PRI but neither layout: only Facility/Severity, body is the whole message', () => {
    const e = ev('<14>just some text');
    expect(e.headers).toEqual({ Facility: '1', Severity: '6' });
    expect(e.body.toString()).toBe('<14>just some text');
  });
  it.each([
    ['all', '<13>Oct 11 22:14:15 host1 app: hi'],
    ['true', '<13>Oct 11 22:14:15 host1 app: hi'],
    ['hostname', 'host1 app: hi'],
    ['priority timestamp hostname', '<13>Oct 11 22:14:15 host1 app: hi'],
    ['none', 'app: hi'],
    ['false', 'app: hi'],
  ])('keepFields = %s', (keep, body) => {
    expect(ev('<13>Oct 11 22:14:15 host1 app: hi', keep).body.toString()).toBe(body);
  });
  it('TCP stream splitting: newline-delimited, blank lines skipped, eventSize cuts (Incomplete)', () => {
    const s = new SyslogStreamSplitter(12);
    const out: Array<{ raw: Buffer; incomplete: boolean }> = [];
    s.push(Buffer.from('<1>abc\n\n<2>de'), out);
    s.push(Buffer.from('f\n<3>0123456789xyz\n'), out);
    expect(out.map((m) => [m.raw.toString(), m.incomplete])).toEqual([['<1>abc', false], ['<2>def', false], ['<3>012345678', true], ['9xyz', false]]);
    const e = buildSyslogEvent(out[2]!.raw, none, true);
    expect(e.headers['flume.syslog.status']).toBe('Incomplete');
  });
});

describe('parity with Flume 1.11 (observed with the real agent on the same input)', () => {
  it('the last parsed priority/version carry over to later unparsed messages of the same parser', () => {
    const opts = { keepFields: parseKeepFields('none'), maxSize: 2500, state: {} };
    const input = [
      '<13>Oct 11 22:14:15 web1 nginx: GET /index.html',
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - An application event',
      'garbage line',
      '<14>just some text',
      '<34>1 2003-10-11T22:14:15+02:00 h2 app - - - msg',
      '<1234>x',
    ];
    const out = input.map((l) => buildSyslogEvent(Buffer.from(l), opts));
    // What Flume 1.11's logger sink printed for this input over one TCP connection (TZ=UTC):
    const flume: Array<[Record<string, string>, string]> = [
      [{ host: 'web1', Severity: '5', Facility: '1', priority: '13' }, 'nginx: GET /index.html'],
      [{ host: 'mymachine.example.com', Severity: '5', Facility: '20', priority: '165', version: '1', timestamp: '1065910455003' }, 'evntslog - ID47 - An application event'],
      [{ Severity: '0', Facility: '0', priority: '165', version: '1', 'flume.syslog.status': 'Invalid' }, 'garbage line'],
      [{ Severity: '6', Facility: '1', priority: '165', version: '1' }, '<14>just some text'],
      [{ host: 'h2', Severity: '2', Facility: '4', priority: '34', version: '1', timestamp: '1065903255000' }, 'app - - - msg'],
      [{ Severity: '0', Facility: '0', priority: '34', version: '1', 'flume.syslog.status': 'Invalid' }, '<1234>x'],
    ];
    // RFC 3164 stamps depend on the current year and the .003 stamp on the time zone: compared apart.
    const noTs = (h: Record<string, string>): Record<string, string> => { const { timestamp: _t, ...rest } = h; return rest; };
    expect(out.map((e) => [noTs(e.headers), e.body.toString()])).toEqual(flume.map(([h, b]) => [noTs(h), b]));
    expect(out[1]!.headers.timestamp).toBe(String(new Date(2003, 9, 11, 22, 14, 15, 3).getTime()));
    expect(out[4]!.headers.timestamp).toBe('1065903255000');
  });
});

describe('syslogtcp source', () => {
  it('receives newline-delimited messages over TCP, with clientIPHeader', async () => {
    const src = buildComponent(syslogTcp, 'r1', { host: '127.0.0.1', port: '0', clientIPHeader: 'ip' }, { logger: new MemoryLogger() }).instance as SyslogTcpSource;
    const cp = new Collect();
    await src.start(cp);
    running.push(src);
    const sock = net.connect(src.port!, '127.0.0.1');
    await new Promise((r) => sock.on('connect', r));
    sock.write('<13>Oct 11 22:14:15 web1 nginx: GET /\n<11>Oct 11 22:14:16 web1 nginx: ');
    sock.write('error\nnot syslog\n');
    await until(() => cp.events.length === 3);
    sock.destroy();
    expect(cp.events.map((e) => e.body.toString())).toEqual(['nginx: GET /', 'nginx: error', 'not syslog']);
    expect(cp.events.map((e) => [e.headers.Severity, e.headers.host, e.headers.ip])).toEqual([['5', 'web1', '127.0.0.1'], ['3', 'web1', '127.0.0.1'], ['0', undefined, '127.0.0.1']]);
    expect(cp.events[2]!.headers['flume.syslog.status']).toBe('Invalid');
  });
  it('validation: ssl=true is refused with a clear message', () => {
    expect(() => buildComponent(syslogTcp, 'r1', { port: '1', ssl: 'true' })).toThrow(/TLS for the syslogtcp source is not available/);
  });
});

describe('syslogudp source', () => {
  it('one datagram is one message; keepFields=all keeps it whole', async () => {
    const src = buildComponent(syslogUdp, 'r1', { host: '127.0.0.1', port: '0', keepFields: 'all' }, { logger: new MemoryLogger() }).instance as SyslogUDPSource;
    const cp = new Collect();
    await src.start(cp);
    running.push(src);
    const c = dgram.createSocket('udp4');
    for (const m of ['<30>Oct 11 22:14:15 db1 postgres: ready', '<165>1 2003-10-11T22:14:15Z h2 app - - - x\nignored']) {
      await new Promise<void>((r) => c.send(m, src.port!, '127.0.0.1', () => r()));
    }
    await until(() => cp.events.length === 2);
    c.close();
    expect(cp.events.map((e) => e.body.toString())).toEqual(['<30>Oct 11 22:14:15 db1 postgres: ready', '<165>1 2003-10-11T22:14:15Z h2 app - - - x']);
    expect(cp.events.map((e) => [e.headers.Facility, e.headers.Severity, e.headers.host])).toEqual([['3', '6', 'db1'], ['20', '5', 'h2']]);
  });
});

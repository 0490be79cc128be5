/**
 * Shape statistics of a Common Log Format file: method, status and quirk counts, host skew and
 * timestamp order. Used to compare generated data with the real NASA sample (tests, benchmarks),
 * with the same definitions as ../shared/data/nasa/README.md.
 */

/** The strict CLF regex from the NASA README (applied to a line without its LF). */
export const STRICT_CLF = /^(\S+) (\S+) (\S+) \[([^\]]+)\] "(\S+) (\S+) ?(\S*)" (\d{3}) (\S+)$/;

export interface ClfQuirks {
  /** bytes field is '-' */
  dashBytes: number;
  /** status 200 with bytes 0 */
  okZeroBytes: number;
  /** request of exactly 2 single-space-separated parts (METHOD URL) */
  noProtocol: number;
  /** request with more than 3 single-space-separated parts */
  moreThan3Parts: number;
  /** request containing a run of 2+ spaces */
  spaceRun: number;
  /** third request part present (non-empty) but not HTTP/1.0 */
  protocolNotHttp10: number;
  /** 4+ whitespace-separated parts */
  extraText: number;
  /** request ending with a space */
  trailingSpace: number;
  /** URL (second part) not starting with '/' */
  urlWithoutSlash: number;
  /** line with a byte >= 0x80 */
  nonAscii: number;
  /** lines the strict regex rejects */
  strictFailures: number;
  /** lines without the CLF frame (no `] "` or no closing `" status bytes`) */
  unparsable: number;
}

export interface ClfProfile {
  lines: number;
  methods: Record<string, number>;
  statuses: Record<string, number>;
  quirks: ClfQuirks;
  distinctHosts: number;
  /** distinct hosts that are IPv4 literals */
  ipHosts: number;
  /** lines from IPv4-literal hosts */
  ipLines: number;
  /** share of lines sent by the 1, 10, 100 and 1000 busiest hosts */
  topHostShare: { 1: number; 10: number; 100: number; 1000: number };
  /** lines whose timestamp is earlier than the line before (the real logs have none) */
  outOfOrder: number;
  firstTimestamp: string | undefined;
  lastTimestamp: string | undefined;
}

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;
const MONTH: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

function clfTimeKey(ts: string): number {
  // DD/Mon/YYYY:HH:MM:SS zone -> sortable number (the zone is the same on every line of a file)
  const m = MONTH[ts.slice(3, 6)] ?? 0;
  return (
    ((((Number(ts.slice(7, 11)) * 12 + m) * 31 + Number(ts.slice(0, 2))) * 24 + Number(ts.slice(12, 14))) * 60 +
      Number(ts.slice(15, 17))) * 60 + Number(ts.slice(18, 20))
  );
}

/** Streaming profiler: push Buffers in order, then call result(). Lines are split on LF only. */
export class ClfProfiler {
  private lines = 0;
  private readonly methods = new Map<string, number>();
  private readonly statuses = new Map<string, number>();
  private readonly hosts = new Map<string, number>();
  private readonly q: ClfQuirks = {
    dashBytes: 0, okZeroBytes: 0, noProtocol: 0, moreThan3Parts: 0, spaceRun: 0, protocolNotHttp10: 0,
    extraText: 0, trailingSpace: 0, urlWithoutSlash: 0, nonAscii: 0, strictFailures: 0, unparsable: 0,
  };
  private ipLines = 0;
  private outOfOrder = 0;
  private lastKey = -Infinity;
  private first: string | undefined;
  private last: string | undefined;
  private carry = '';
  private chunkHasHighBytes = true;

  /** @param trackHosts count distinct hosts (costs a map entry per host); default true */
  constructor(private readonly trackHosts = true) {}

  push(chunk: Buffer): void {
    // latin1: one char per byte, so a byte >= 0x80 is a char >= 0x80.
    const text = this.carry + chunk.toString('latin1');
    this.chunkHasHighBytes = /[^\x00-\x7f]/.test(text);
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      this.line(text.slice(start, nl));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.carry = text.slice(start);
  }

  private bump(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  private line(line: string): void {
    this.lines++;
    const q = this.q;
    if (this.chunkHasHighBytes && /[^\x00-\x7f]/.test(line)) q.nonAscii++;
    if (!STRICT_CLF.test(line)) q.strictFailures++;
    if (this.trackHosts) {
      const sp = line.indexOf(' ');
      const host = sp === -1 ? line : line.slice(0, sp);
      this.bump(this.hosts, host);
      if (IPV4.test(host)) this.ipLines++;
    }
    const open = line.indexOf('] "');
    const close = line.lastIndexOf('" ');
    const lb = line.indexOf('[');
    if (open === -1 || close < open + 3 || lb === -1) {
      q.unparsable++;
      return;
    }
    const ts = line.slice(lb + 1, open);
    const key = clfTimeKey(ts);
    if (key < this.lastKey) this.outOfOrder++;
    this.lastKey = key;
    this.first ??= ts;
    this.last = ts;
    const request = line.slice(open + 3, close);
    const tail = line.slice(close + 2).split(' ');
    const status = tail[0] ?? '';
    const bytes = tail[1] ?? '';
    this.bump(this.statuses, status);
    if (bytes === '-') q.dashBytes++;
    if (status === '200' && bytes === '0') q.okZeroBytes++;
    const parts = request.split(' ');
    this.bump(this.methods, parts[0] ?? '');
    if (parts.length === 2) q.noProtocol++;
    if (parts.length > 3) q.moreThan3Parts++;
    if (request.includes('  ')) q.spaceRun++;
    if (parts.length >= 3 && parts[2] !== '' && parts[2] !== 'HTTP/1.0') q.protocolNotHttp10++;
    if (parts.length > 3 && request.split(/\s+/).filter((p) => p !== '').length >= 4) q.extraText++;
    if (request.endsWith(' ')) q.trailingSpace++;
    if (parts.length >= 2 && !(parts[1] ?? '').startsWith('/')) q.urlWithoutSlash++;
  }

  result(): ClfProfile {
    if (this.carry !== '') {
      this.chunkHasHighBytes = true;
      this.line(this.carry);
      this.carry = '';
    }
    const counts = [...this.hosts.values()].sort((a, b) => b - a);
    const top = (k: number): number => counts.slice(0, k).reduce((s, c) => s + c, 0) / Math.max(1, this.lines);
    let ipHosts = 0;
    for (const h of this.hosts.keys()) if (IPV4.test(h)) ipHosts++;
    return {
      lines: this.lines,
      methods: Object.fromEntries(this.methods),
      statuses: Object.fromEntries(this.statuses),
      quirks: { ...this.q },
      distinctHosts: this.hosts.size,
      ipHosts,
      ipLines: this.ipLines,
      topHostShare: { 1: top(1), 10: top(10), 100: top(100), 1000: top(1000) },
      outOfOrder: this.outOfOrder,
      firstTimestamp: this.first,
      lastTimestamp: this.last,
    };
  }
}

/** Profile a whole buffer (or an iterable of buffers). */
export function profileClf(data: Buffer | Iterable<Buffer>, trackHosts = true): ClfProfile {
  const p = new ClfProfiler(trackHosts);
  if (Buffer.isBuffer(data)) p.push(data);
  else for (const c of data) p.push(c);
  return p.result();
}

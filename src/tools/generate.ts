/**
 * NASA-like Common Log Format generator (`tsagent generate`).
 *
 * Deterministic for a seed: the output is a pure function of the options (own PRNG, no clock,
 * no Math.random). Output is produced in large latin1 chunks: every character is ASCII except the
 * rare 0x80 byte the real log contains, which is written as the single raw byte 0x80 (invalid UTF-8,
 * like the real file).
 *
 * Shape (see nasa-catalog.ts for the numbers):
 * - timestamps in order, a Poisson process at `rate` lines per second of log time (default: the
 *   July 1995 log's mean), with a day/night cycle unless `diurnal: false`; 1-second resolution, so
 *   several lines share a second;
 * - hosts: synthetic 1995-style names and IPv4 literals with a Zipf-like popularity (a few proxy
 *   farms send a large share); each host sends a burst of requests (a "visit") interleaved with
 *   other visitors, as browsers fetching a page and its images did;
 * - methods, statuses, '-' bytes and the request quirks are placed by stratified quotas: every
 *   quirk with a rate p occurs once, at a random line, in each block of 1/p lines. Shares are
 *   therefore exact (to one line) at any size, while positions stay irregular.
 */
import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { TsagentError } from '../core/errors.js';
import { Rng, WeightedTable, searchCdf, zipfCdf } from './prng.js';
import {
  CAMPUS_DOMAINS, CITIES, COUNTS, EXTRA_TEXT, FORBIDDEN, IMAGEMAP_SHARE_OF_302, ISP_DOMAINS, JULY_1995_RATE,
  LONG_TAIL_SHARE, NOT_FOUND, ORBITERS, REDIRECT_DIRS, REDIRECT_SIZES, SAMPLE_LINES, SERVER_ERROR_PATHS,
  TOP_PAGES, WORDS,
} from './nasa-catalog.js';

export { JULY_1995_RATE } from './nasa-catalog.js';

export interface GenerateOptions {
  /** PRNG seed; the same seed and options give byte-identical output. Default 1. */
  seed?: number | string;
  /** Stop after this many lines. */
  lines?: number;
  /** Stop before the output would exceed this many bytes (whole lines only). */
  bytes?: number;
  /** Mean lines per second of log time. Default JULY_1995_RATE (about 0.706). */
  rate?: number;
  /** Timestamp of the first line. Default 1995-07-01T00:00:01-04:00. */
  start?: Date | number | string;
  /** Offset of the log's time zone from UTC, in minutes. Default -240 (-0400, as in the NASA logs). */
  utcOffsetMinutes?: number;
  /** Day/night traffic cycle (peak in the afternoon, trough at night). Default true. */
  diurnal?: boolean;
  /** Include the real logs' quirks (missing protocol, runs of spaces, 0x80 byte, ...). Default true. */
  quirks?: boolean;
  /** Approximate size of each yielded chunk in bytes. Default 1 MiB. */
  chunkBytes?: number;
}

const DEFAULT_START = Date.UTC(1995, 6, 1, 4, 0, 1); // 01/Jul/1995:00:00:01 -0400
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const TWO_DIGITS: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/**
 * Host popularity: Zipf-Mandelbrot weights 1/(rank+HOST_Q)^HOST_S over HOST_UNIVERSE hosts, plus
 * PROXY_MASS of all visits spread over the PROXY_RANKS busiest hosts (proxy farms) with weights
 * 1/(rank+1)^0.6. Tuned on the sample: 124,979 lines give about 9,500 distinct hosts (real: 9,423),
 * the busiest host about 1.4 % of lines (1.3 %), the top 10 / 100 / 1000 about 6 / 17 / 44 %
 * (6 / 17 / 44 %); 1,891,715 lines give about 87,000 distinct hosts.
 */
const HOST_UNIVERSE = 1_000_000;
const HOST_Q = 60;
const HOST_S = 1.0;
const PROXY_RANKS = 20;
const PROXY_MASS = 0.06;
/** Concurrent visits and mean requests per visit. */
const VISIT_SLOTS = 24;
const VISIT_MEAN = 9;
/** Share of non-proxy hosts that are IPv4 literals (1,236 of 9,423 distinct hosts in the sample). */
const IP_SHARE = 0.131;
/** Day/night amplitude of the rate. */
const DIURNAL_AMPLITUDE = 0.55;
const LONG_TAIL_PAGES = 3000;

export interface ResolvedGenerateOptions {
  seed: number | string;
  lines: number;
  bytes: number;
  rate: number;
  startMs: number;
  utcOffsetMinutes: number;
  diurnal: boolean;
  quirks: boolean;
  chunkBytes: number;
}

function invalid(message: string): never {
  throw new TsagentError('GENERATE_OPTIONS', message);
}

/** Validate options and fill in defaults. Throws a TsagentError (code GENERATE_OPTIONS) naming the bad option. */
export function resolveGenerateOptions(o: GenerateOptions = {}): ResolvedGenerateOptions {
  const lines = o.lines ?? Infinity;
  if (!(lines === Infinity || (Number.isInteger(lines) && lines >= 0))) invalid(`lines must be a whole number >= 0, got ${String(o.lines)}`);
  const bytes = o.bytes ?? Infinity;
  if (!(bytes === Infinity || (Number.isFinite(bytes) && bytes >= 0))) invalid(`bytes must be >= 0, got ${String(o.bytes)}`);
  const rate = o.rate ?? JULY_1995_RATE;
  if (!(Number.isFinite(rate) && rate > 0)) invalid(`rate must be a number of lines per second > 0, got ${String(o.rate)}`);
  let startMs: number;
  if (o.start === undefined) startMs = DEFAULT_START;
  else if (o.start instanceof Date) startMs = o.start.getTime();
  else if (typeof o.start === 'number') startMs = o.start;
  else startMs = Date.parse(o.start);
  if (!Number.isFinite(startMs)) invalid(`start must be a date such as 1995-07-01T00:00:01-04:00, got ${String(o.start)}`);
  const utcOffsetMinutes = o.utcOffsetMinutes ?? -240;
  if (!(Number.isInteger(utcOffsetMinutes) && Math.abs(utcOffsetMinutes) < 24 * 60)) invalid(`utcOffsetMinutes must be a whole number of minutes within a day, got ${String(o.utcOffsetMinutes)}`);
  const chunkBytes = o.chunkBytes ?? 1 << 20;
  if (!(Number.isInteger(chunkBytes) && chunkBytes > 0)) invalid(`chunkBytes must be a whole number > 0, got ${String(o.chunkBytes)}`);
  return {
    seed: o.seed ?? 1,
    lines,
    bytes,
    rate,
    startMs,
    utcOffsetMinutes,
    diurnal: o.diurnal ?? true,
    quirks: o.quirks ?? true,
    chunkBytes,
  };
}

/**
 * A quirk that must occur at `perLine` of all lines: exactly one occurrence is placed at a random
 * line of each block [k/perLine, (k+1)/perLine). `next` is the line index at which it is due; a due
 * quirk that cannot be applied to the current line stays due and is applied to the next one.
 */
class Quota {
  next: number;
  private block = 0;
  constructor(private readonly perLine: number, private readonly rng: Rng) {
    this.next = perLine > 0 ? this.place() : Infinity;
  }
  private place(): number {
    return Math.floor((this.block + this.rng.float()) / this.perLine);
  }
  take(): void {
    this.block++;
    this.next = this.place();
  }
}

/** Room kept free at the end of a chunk: longer than any generated line. */
const MAX_LINE = 4096;
const PROTO_TAIL = ' HTTP/1.0" ';
const STATUS_TEXT: Record<number, string> = { 200: '200 ', 302: '302 ', 304: '304 ', 403: '403 ', 404: '404 ', 400: '400 ', 500: '500 ', 501: '501 ' };

/** Copy a string of chars < 256 into buf at pos; returns the new position. */
function put(buf: Buffer, pos: number, s: string): number {
  for (let k = 0; k < s.length; k++) buf[pos++] = s.charCodeAt(k);
  return pos;
}

const perLine = (count: number): number => count / SAMPLE_LINES;

function tsZone(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const a = Math.abs(offsetMinutes);
  return `${sign}${TWO_DIGITS[Math.floor(a / 60)]!}${TWO_DIGITS[a % 60]!}`;
}

/** Synthetic host name for a popularity rank (deterministic for seed and rank). */
function hostName(seed: number | string, rank: number): string {
  const r = new Rng(`${String(seed)}/host/${rank}`);
  if (rank < PROXY_RANKS) {
    if (rank < 4) return `piweba${rank + 1}y.prodigy.com`;
    if (rank < 16) return `www-${'abcd'[(rank - 4) % 4]!}${1 + Math.floor((rank - 4) / 4)}.proxy.aol.com`;
    return `proxy${rank - 15}.${r.pick(ISP_DOMAINS)}`;
  }
  if (r.float() < IP_SHARE) {
    return `${r.range(128, 206)}.${r.range(0, 255)}.${r.range(0, 255)}.${r.range(1, 254)}`;
  }
  const kind = r.int(6);
  switch (kind) {
    case 0:
      return `ix-${r.pick(CITIES)}${r.range(1, 12)}-${r.range(1, 30)}.ix.netcom.com`;
    case 1:
      return `dd${TWO_DIGITS[r.range(1, 30)]!}-${String(r.range(0, 999)).padStart(3, '0')}.compuserve.com`;
    case 2:
      return `slip${r.range(1, 250)}-${r.range(1, 16)}.${r.pick(ISP_DOMAINS)}`;
    case 3:
      return `ppp${r.range(1, 999)}.${r.pick(ISP_DOMAINS)}`;
    default:
      return `${r.pick(WORDS)}${r.range(1, 99)}.${r.pick(CAMPUS_DOMAINS)}`;
  }
}

/** The long tail of pages: synthetic KSC-style paths with stable sizes (same for every seed). */
function longTailPages(): Array<readonly [string, number, number]> {
  const r = new Rng('nasa-long-tail');
  const seen = new Set<string>(TOP_PAGES.map((p) => p[0]));
  const out: Array<readonly [string, number, number]> = [];
  const size = (lo: number, hi: number): number => Math.round(Math.exp(Math.log(lo) + r.float() * (Math.log(hi) - Math.log(lo))));
  while (out.length < LONG_TAIL_PAGES) {
    let path: string;
    let bytes: number;
    const n = r.range(1, 78);
    switch (r.int(12)) {
      case 0: path = `/shuttle/missions/sts-${n}/mission-sts-${n}.html`; bytes = size(4000, 25000); break;
      case 1: path = `/shuttle/missions/sts-${n}/sts-${n}-patch-small.gif`; bytes = size(5000, 15000); break;
      case 2: path = `/shuttle/missions/sts-${n}/images/KSC-95EC-${String(r.range(100, 1200)).padStart(4, '0')}.${r.float() < 0.5 ? 'jpg' : 'gif'}`; bytes = size(20000, 120000); break;
      case 3: path = `/shuttle/missions/sts-${n}/news/`; bytes = size(1000, 8000); break;
      case 4: { const a = r.range(1, 17); path = `/history/apollo/apollo-${a}/apollo-${a}${r.pick(['.html', '-info.html', '-patch-small.gif', '/images/'])}`; bytes = size(1000, 40000); break; }
      case 5: path = `/history/apollo/apollo-${r.range(1, 17)}/images/${r.range(66, 72)}HC${r.range(100, 999)}.GIF`; bytes = size(40000, 200000); break;
      case 6: path = `/images/${r.pick(WORDS)}-${r.pick(['logo', 'small', 'medium', 'icon'])}.gif`; bytes = size(300, 20000); break;
      case 7: path = `/shuttle/resources/orbiters/${r.pick(ORBITERS)}${r.pick(['.html', '-logo.gif', '.gif'])}`; bytes = size(1500, 9000); break;
      case 8: path = `/shuttle/technology/sts-newsref/${r.pick(WORDS)}${r.pick(['.html', '-toc.html', 's.html'])}`; bytes = size(5000, 230000); break;
      case 9: path = `/htbin/wais.pl?${r.pick(WORDS)}${r.float() < 0.4 ? `+${r.pick(WORDS)}` : ''}`; bytes = size(300, 8000); break;
      case 10: path = `/facilities/${r.pick(WORDS)}${r.pick(['.html', '-small.gif'])}`; bytes = size(1000, 12000); break;
      default: path = `/news/sci.space.news/archive/sci-space-news-${r.range(1, 28)}-${r.pick(['jan', 'feb', 'mar', 'apr', 'may', 'jun'])}-199${r.range(4, 5)}-${TWO_DIGITS[r.range(1, 60)]!}.txt`; bytes = size(5000, 250000); break;
    }
    if (seen.has(path)) continue;
    seen.add(path);
    out.push([path, 0, bytes]);
  }
  return out;
}

interface Catalog {
  /** [path, size as text] */
  pages: WeightedTable<readonly [string, string]>;
  notFound: WeightedTable<string>;
  redirects: WeightedTable<string>;
  redirectSizes: WeightedTable<string>;
  hostCdf: Float64Array;
}

let catalogCache: Catalog | undefined;

function hostPopularity(): Float64Array {
  const cdf = zipfCdf(HOST_UNIVERSE, HOST_Q, HOST_S);
  // Turn the CDF back into weights, mix in the proxy head, and accumulate again.
  let headNorm = 0;
  for (let r = 0; r < PROXY_RANKS; r++) headNorm += 1 / Math.pow(r + 1, 0.6);
  let prev = 0;
  let acc = 0;
  for (let r = 0; r < HOST_UNIVERSE; r++) {
    const w = cdf[r]! - prev;
    prev = cdf[r]!;
    acc += (1 - PROXY_MASS) * w + (r < PROXY_RANKS ? (PROXY_MASS / Math.pow(r + 1, 0.6)) / headNorm : 0);
    cdf[r] = acc;
  }
  cdf[HOST_UNIVERSE - 1] = 1;
  return cdf;
}

/** Tables shared by every run (they do not depend on the seed). Built once per process. */
function catalog(): Catalog {
  if (catalogCache) return catalogCache;
  const top = TOP_PAGES.reduce((s, p) => s + p[1], 0);
  const tail = longTailPages();
  const tailWeight = (top * LONG_TAIL_SHARE) / (1 - LONG_TAIL_SHARE);
  // Zipf over the tail too: a few tail pages are fairly popular, most are rare.
  let h = 0;
  for (let i = 0; i < tail.length; i++) h += 1 / (i + 5);
  const pages: Array<readonly [readonly [string, string], number]> = TOP_PAGES.map((p) => [[p[0], String(p[2])], p[1]] as const);
  tail.forEach((p, i) => pages.push([[p[0], String(p[2])], (tailWeight * (1 / (i + 5))) / h]));
  catalogCache = {
    pages: new WeightedTable(pages),
    notFound: new WeightedTable(NOT_FOUND),
    redirects: new WeightedTable(REDIRECT_DIRS),
    redirectSizes: new WeightedTable(REDIRECT_SIZES.map(([size, w]) => [String(size), w] as const)),
    hostCdf: hostPopularity(),
  };
  return catalogCache;
}

/**
 * Generate NASA-like CLF lines as latin1 Buffers of about `chunkBytes` bytes each, every chunk
 * ending with a complete line. Infinite unless `lines` or `bytes` is set.
 */
export function* generateChunks(options: GenerateOptions = {}): Generator<Buffer, void, undefined> {
  yield* chunksCounted(resolveGenerateOptions(options), { lines: 0, bytes: 0 });
}

/** generateChunks, keeping `stats` up to date with the lines and bytes yielded so far. */
function* chunksCounted(o: ResolvedGenerateOptions, stats: { lines: number; bytes: number }): Generator<Buffer, void, undefined> {
  const cat = catalog();
  const rng = new Rng(o.seed);
  const qrng = new Rng(`${String(o.seed)}/quota`);
  const q = (count: number, enabled = true): Quota => new Quota(enabled ? perLine(count) : 0, qrng);
  const c = COUNTS;
  // Statuses in priority order when several are due on the same line.
  const statusQuotas: Array<readonly [number, Quota]> = [
    [404, q(c.status[404])], [403, q(c.status[403])], [500, q(c.status[500])], [501, q(c.status[501])],
    [400, q(c.status[400])], [302, q(c.status[302])], [304, q(c.status[304])],
  ];
  const headQ = q(c.method.HEAD);
  const postQ = q(c.method.POST);
  const qu = o.quirks;
  const redirectDashQ = q(c.redirectDashBytes);
  const okDashQ = q(c.okDashBytes, qu);
  const okZeroQ = q(c.okZeroBytes, qu);
  const noProtoQ = q(c.noProtocol, qu);
  const trailingQ = q(c.trailingSpace, qu);
  const spacesQ = q(c.spacesBeforeProtocol, qu);
  const extraQ = q(c.extraText, qu);
  const extraSpacesQ = q(c.extraTextWithSpaces, qu);
  const invalidQ = q(c.invalidByte, qu);
  const protoVQ = q(c.protocolV, qu);
  const noSlashQ = q(c.urlWithoutSlash, qu);
  let extraSpacesToggle = false;

  const zone = ` ${tsZone(o.utcOffsetMinutes)}] "`;
  const offsetSec = o.utcOffsetMinutes * 60;
  const rate = o.rate;
  const twoPiPerDay = (2 * Math.PI) / 86400;
  // Log time in local seconds (UTC seconds + offset); the first line is exactly at `start`.
  let t = o.startMs / 1000 + offsetSec;
  let hourKey = NaN;
  let hourPrefix = '';

  const hosts: Array<string | undefined> = [];
  const slotHost = new Int32Array(VISIT_SLOTS);
  const slotLeft = new Int32Array(VISIT_SLOTS);
  const visitP = 1 / VISIT_MEAN;
  const logVisit = Math.log(1 - visitP);

  const maxLines = o.lines;
  const maxBytes = o.bytes;
  const chunkBytes = o.chunkBytes;
  let total = 0;
  // Lines are written straight into a large buffer (latin1: one byte per char); a chunk is yielded
  // when the next line might not fit.
  let chunk = Buffer.allocUnsafe(chunkBytes + MAX_LINE);
  let used = 0;
  let linesInChunk = 0;

  for (let i = 0; i < maxLines; i++) {
    // --- time
    if (i > 0) {
      let lambda = rate;
      if (o.diurnal) lambda = rate * (1 + DIURNAL_AMPLITUDE * Math.sin((t - 8 * 3600) * twoPiPerDay));
      t += -Math.log(1 - rng.float()) / lambda;
    }
    const sec = Math.floor(t);
    const hk = Math.floor(sec / 3600);
    if (hk !== hourKey) {
      hourKey = hk;
      const d = new Date(hk * 3600 * 1000);
      hourPrefix = `${TWO_DIGITS[d.getUTCDate()]!}/${MONTHS[d.getUTCMonth()]!}/${d.getUTCFullYear()}:${TWO_DIGITS[d.getUTCHours()]!}:`;
    }
    const inHour = sec - hk * 3600;
    const minute = TWO_DIGITS[Math.floor(inHour / 60)]!;
    const second = TWO_DIGITS[inHour % 60]!;

    // --- host (visits interleaved across slots)
    const slot = rng.int(VISIT_SLOTS);
    if (slotLeft[slot]! <= 0) {
      slotHost[slot] = searchCdf(cat.hostCdf, rng.float());
      // Geometric visit length with mean VISIT_MEAN.
      slotLeft[slot] = 1 + Math.floor(Math.log(1 - rng.float()) / logVisit);
    }
    slotLeft[slot] = slotLeft[slot]! - 1;
    const rank = slotHost[slot]!;
    let host = hosts[rank];
    if (host === undefined) {
      host = hostName(o.seed, rank);
      hosts[rank] = host;
    }

    // --- status
    let status = 200;
    for (let k = 0; k < statusQuotas.length; k++) {
      const sq = statusQuotas[k]!;
      if (i >= sq[1].next) {
        status = sq[0];
        sq[1].take();
        break;
      }
    }

    // --- method
    let method = 'GET';
    if (i >= headQ.next) { method = 'HEAD'; headQ.take(); }
    else if (i >= postQ.next) { method = 'POST'; postQ.take(); }

    // --- url and bytes
    let url: string;
    let bytes: string;
    switch (status) {
      case 200:
      case 304: {
        if (method === 'POST') {
          url = '/cgi-bin/newwvn-mail.pl';
          bytes = String(rng.range(600, 800));
        } else {
          const page = cat.pages.draw(rng);
          url = page[0];
          bytes = page[1];
        }
        if (status === 304) bytes = '0';
        else if (i >= okDashQ.next) { bytes = '-'; okDashQ.take(); }
        else if (i >= okZeroQ.next) { bytes = '0'; okZeroQ.take(); }
        break;
      }
      case 302:
        url = rng.float() < IMAGEMAP_SHARE_OF_302
          ? `/cgi-bin/imagemap/countdown?${rng.range(88, 110)},${rng.range(138, 182)}`
          : cat.redirects.draw(rng);
        if (i >= redirectDashQ.next) { bytes = '-'; redirectDashQ.take(); }
        else bytes = cat.redirectSizes.draw(rng);
        break;
      case 404:
        if (i >= noSlashQ.next) {
          url = `:/${rng.pick(['facilities/tour.html', 'shuttle/countdown/', 'history/apollo/'])}`;
          noSlashQ.take();
        } else if (rng.float() < 0.6) url = cat.notFound.draw(rng);
        else {
          const n = rng.range(1, 78);
          url = rng.float() < 0.5 ? `/history/apollo/sa-${n % 10}/sa-${n % 10}-patch-small.gif` : `/shuttle/missions/sts-${n}/sts-${n}-press-kit.txt`;
        }
        bytes = '-';
        break;
      case 403:
        url = rng.pick(FORBIDDEN);
        bytes = '-';
        break;
      default: // 400, 500, 501
        url = rng.pick(SERVER_ERROR_PATHS);
        bytes = '-';
        break;
    }

    // --- request quirks (one per line; a due quirk that is not applied stays due)
    let proto = PROTO_TAIL;
    if (i >= noProtoQ.next) { proto = '" '; noProtoQ.take(); }
    else if (i >= spacesQ.next) { proto = `${' '.repeat(rng.range(2, 4))}HTTP/1.0" `; spacesQ.take(); }
    else if (i >= protoVQ.next) { proto = ' HTTP/V1.0" '; protoVQ.take(); }
    else if (i >= trailingQ.next) { proto = ' " '; trailingQ.take(); }
    else if (i >= extraQ.next) { proto = ` ${rng.pick(EXTRA_TEXT)}${PROTO_TAIL}`; extraQ.take(); }
    else if (i >= extraSpacesQ.next) {
      // Two shapes in turn: the run of spaces right after the URL, or before the protocol.
      const words = `${rng.pick(WORDS)}/${rng.pick(WORDS)}.html`;
      const spaces = ' '.repeat(rng.range(8, 50));
      proto = extraSpacesToggle ? ` ${words}${spaces}HTTP/1.0" ` : `${spaces}${words}${PROTO_TAIL}`;
      extraSpacesToggle = !extraSpacesToggle;
      extraSpacesQ.take();
    } else if (i >= invalidQ.next) {
      url = `/shuttle/countdown/dy \x80?${rng.pick(WORDS)}%20${rng.pick(WORDS)}`;
      invalidQ.take();
    }

    // --- write the line: straight into the chunk, one byte per char (latin1). Building one string
    // per line and encoding it costs twice as much (cons-string flattening plus a native call).
    if (used + MAX_LINE > chunk.length) {
      stats.lines += linesInChunk;
      stats.bytes += used;
      linesInChunk = 0;
      yield chunk.subarray(0, used);
      chunk = Buffer.allocUnsafe(chunkBytes + MAX_LINE);
      used = 0;
    }
    const lineStart = used;
    used = put(chunk, used, host);
    used = put(chunk, used, ' - - [');
    used = put(chunk, used, hourPrefix);
    used = put(chunk, used, minute);
    chunk[used++] = 58; // ':'
    used = put(chunk, used, second);
    used = put(chunk, used, zone);
    used = put(chunk, used, method);
    chunk[used++] = 32;
    used = put(chunk, used, url);
    used = put(chunk, used, proto);
    used = put(chunk, used, STATUS_TEXT[status] ?? `${status} `);
    used = put(chunk, used, bytes);
    chunk[used++] = 10;
    const len = used - lineStart;
    if (total + len > maxBytes) {
      used = lineStart;
      break;
    }
    total += len;
    linesInChunk++;
    if (used >= chunkBytes) {
      stats.lines += linesInChunk;
      stats.bytes += used;
      linesInChunk = 0;
      yield chunk.subarray(0, used);
      chunk = Buffer.allocUnsafe(chunkBytes + MAX_LINE);
      used = 0;
    }
  }
  if (used > 0) {
    stats.lines += linesInChunk;
    stats.bytes += used;
    yield chunk.subarray(0, used);
  }
}

/** The generator as a Readable stream of Buffers (e.g. as replay input). */
export function generateStream(options: GenerateOptions = {}): Readable {
  resolveGenerateOptions(options); // fail early, not on first read
  return Readable.from(generateChunks(options), { objectMode: false });
}

export interface GenerateResult {
  lines: number;
  bytes: number;
  elapsedMs: number;
}

export interface WriteGeneratedOptions extends GenerateOptions {
  /** gzip the output (level 6) */
  gzip?: boolean;
}

/**
 * Write generated lines to a file path or a Writable (e.g. process.stdout), honouring
 * backpressure. Returns line and byte counts (uncompressed).
 */
export async function writeGenerated(target: string | Writable, options: WriteGeneratedOptions = {}): Promise<GenerateResult> {
  const o = resolveGenerateOptions(options);
  const started = performance.now();
  const stats = { lines: 0, bytes: 0 };
  const chunks = chunksCounted(o, stats);
  const result = (): GenerateResult => ({ lines: stats.lines, bytes: stats.bytes, elapsedMs: performance.now() - started });
  const toFile = typeof target === 'string';
  try {
    if (options.gzip || toFile) {
      const out = toFile ? createWriteStream(target) : target;
      if (options.gzip) await pipeline(Readable.from(chunks), createGzip(), out, { end: toFile });
      else await pipeline(Readable.from(chunks), out);
    } else {
      // Straight writes with drain waits: cheaper than a Readable + pipeline for stdout.
      await writeAll(chunks, target);
    }
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED') {
      // The reader went away (e.g. `| head`): a normal way to stop an endless generator.
      return result();
    }
    if (toFile && typeof code === 'string') {
      throw new TsagentError('GENERATE_OUTPUT', `cannot write ${target}: ${(e as Error).message}`, { cause: e });
    }
    throw e;
  }
  return result();
}

async function writeAll(chunks: Iterable<Buffer>, out: Writable): Promise<void> {
  let failure: unknown;
  const onError = (e: unknown): void => {
    failure = e;
  };
  out.on('error', onError);
  try {
    for (const chunk of chunks) {
      if (failure !== undefined) throw failure;
      if (!out.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = (): void => {
            cleanup();
            resolve();
          };
          const onClose = (): void => {
            cleanup();
            reject(failure ?? Object.assign(new Error('output closed'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
          };
          const cleanup = (): void => {
            out.off('drain', onDrain);
            out.off('close', onClose);
            out.off('error', onClose);
          };
          out.on('drain', onDrain);
          out.on('close', onClose);
          out.on('error', onClose);
        });
      }
      if (out.destroyed) throw Object.assign(new Error('output closed'), { code: 'ERR_STREAM_DESTROYED' });
    }
    if (failure !== undefined) throw failure;
  } finally {
    out.off('error', onError);
  }
}

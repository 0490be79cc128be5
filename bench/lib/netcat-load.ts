/**
 * Load generator for a Flume-style netcat source: C connections, each sends its share of N lines
 * pipelined (bounded window of unacknowledged lines), counts `OK` replies, and measures ack
 * latency per write chunk (every line of a chunk gets the chunk's latency).
 */
import net from 'node:net';

export interface LoadResult {
  lines: number;
  acked: number;
  failed: number;
  seconds: number;
  linesPerSec: number;
  p50ms: number;
  p99ms: number;
}

export async function netcatLoad(opts: { host: string; port: number; lines: number; connections: number; lineBytes?: number; window?: number; makeLine?: (i: number) => string }): Promise<LoadResult> {
  const per = Math.ceil(opts.lines / opts.connections);
  const window = opts.window ?? 20000;
  const lat: number[] = [];
  const latW: number[] = [];
  let acked = 0;
  let failed = 0;
  const pad = 'x'.repeat(Math.max(0, (opts.lineBytes ?? 100) - 20));
  const make = opts.makeLine ?? ((i: number) => `${i} ${pad}`);
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: opts.connections }, (_, c) => new Promise<void>((resolve, reject) => {
    const n = Math.min(per, opts.lines - c * per);
    if (n <= 0) return resolve();
    const sock = net.connect(opts.port, opts.host);
    sock.setNoDelay(true);
    let sent = 0;
    let got = 0;
    const chunks: Array<{ end: number; t: bigint }> = [];
    const CHUNK = 500;
    const pump = (): void => {
      while (sent < n && sent - got < window) {
        const k = Math.min(CHUNK, n - sent);
        let s = '';
        for (let i = 0; i < k; i++) s += make(c * per + sent + i) + '\n';
        sent += k;
        chunks.push({ end: sent, t: process.hrtime.bigint() });
        if (!sock.write(s)) { sock.once('drain', pump); return; }
      }
    };
    let partial = '';
    sock.on('data', (d: Buffer) => {
      const s = partial + d.toString('latin1');
      let lines = 0;
      let idx = 0;
      for (;;) {
        const j = s.indexOf('\n', idx);
        if (j < 0) break;
        if (s.charCodeAt(idx) === 79 /* O */) acked++; else failed++;
        lines++;
        idx = j + 1;
      }
      partial = s.slice(idx);
      got += lines;
      const now = process.hrtime.bigint();
      while (chunks.length > 0 && chunks[0]!.end <= got) {
        const ch = chunks.shift()!;
        lat.push(Number(now - ch.t) / 1e6);
        latW.push(CHUNK);
      }
      if (got >= n) { sock.end(); resolve(); return; }
      pump();
    });
    sock.on('error', reject);
    sock.on('connect', pump);
  })));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const sorted = lat.slice().sort((a, b) => a - b);
  const q = (p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0);
  return { lines: opts.lines, acked, failed, seconds, linesPerSec: opts.lines / seconds, p50ms: q(0.5), p99ms: q(0.99) };
}

import net from 'node:net';

/** Sends `payload`, collects replies until `expectLines` reply lines arrived or the socket closed. */
export function exchange(port: number, payload: string | Buffer, expectLines: number, opts: { end?: boolean; timeoutMs?: number } = {}): Promise<{ replies: string[]; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    let closed = false;
    const t = setTimeout(() => { s.destroy(); resolve({ replies: split(), closedByServer: closed }); }, opts.timeoutMs ?? 5000);
    const split = (): string[] => buf.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '');
    s.on('data', (d) => {
      buf += d.toString('utf8');
      if (split().length >= expectLines && expectLines > 0) { clearTimeout(t); s.destroy(); resolve({ replies: split(), closedByServer: closed }); }
    });
    s.on('end', () => { closed = true; });
    s.on('close', () => { clearTimeout(t); resolve({ replies: split(), closedByServer: closed }); });
    s.on('error', reject);
    s.write(payload, () => { if (opts.end) s.end(); });
  });
}

/**
 * Flume's HTTP monitoring (`-Dflume.monitoring.type=http`): JSON at /metrics in Flume's shape
 * ({"SOURCE.r1":{"EventReceivedCount":"12",...}}). Binds to 127.0.0.1 by default (Flume binds
 * all interfaces; `-Dflume.monitoring.host=0.0.0.0` restores that).
 */
import http from 'node:http';
import type { CounterRegistry } from '../core/counters.js';

export class MetricsServer {
  private server: http.Server | undefined;
  constructor(private readonly counters: CounterRegistry, private readonly host: string, private readonly port: number) {}

  async start(): Promise<number> {
    const server = http.createServer((req, res) => {
      const method = req.method ?? 'GET';
      if (method === 'TRACE' || method === 'OPTIONS') { res.writeHead(403).end(); return; }
      const p = (req.url ?? '/').split('?')[0]!;
      if (p === '/') {
        res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' });
        res.end('For Flume metrics please click <a href = "./metrics"> here</a>.');
        return;
      }
      if (p.toLowerCase() === '/metrics') {
        res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
        res.end(JSON.stringify(this.counters.snapshot()));
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => { server.off('error', reject); resolve(); });
    });
    this.server = server;
    const a = server.address();
    return a && typeof a === 'object' ? a.port : this.port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
  }
}

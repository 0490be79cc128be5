/**
 * HTTP source (`http`, org.apache.flume.source.http.HTTPSource) with Flume's JSONHandler: a POST
 * (or GET) on any path carries a JSON array `[{"headers":{"k":"v"},"body":"text"}, …]`; all its
 * events go to the channels in one batch. Replies as Flume: 200 (empty) when committed, 400 on
 * bad JSON, 503 when the channel refused the batch (full), 500 on other errors.
 *
 * TLS: `ssl = true` with a PKCS12 keystore (`keystore-type = PKCS12`); Java KeyStores (JKS) must
 * be converted first (keytool -importkeystore -deststoretype PKCS12). Jetty tuning pass-through
 * keys (QueuedThreadPool.*, HttpConfiguration.*, SslContextFactory.*, ServerConnector.*) are
 * accepted and ignored.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { ChannelProcessor, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SOURCE_COUNTERS, type CounterGroup } from '../core/counters.js';
import { ChannelException, errorMessage, isTsagentError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { defineSource, type PropsOf } from '../core/spec.js';
import { markHeadersCopied } from '../core/java-hashmap-order.js';

const properties = {
  port: { type: 'integer', required: true, min: 0, max: 65535, description: 'Port to listen on.' },
  bind: { type: 'string', default: '0.0.0.0', description: 'Address to listen on.' },
  handler: { type: 'string', default: 'org.apache.flume.source.http.JSONHandler', description: 'Request handler; only JSONHandler (also `JSON`) is built in.' },
  ssl: { type: 'boolean', default: false, deprecatedNames: ['enableSSL'], description: 'Serve HTTPS (needs a PKCS12 keystore).' },
  keystore: { type: 'string', description: 'Keystore file (PKCS12) with the server key and certificate.' },
  'keystore-password': { type: 'string', deprecatedNames: ['keystorePassword'], description: 'Keystore password.' },
  'keystore-type': { type: 'string', default: 'JKS', description: 'Keystore type; tsagent reads PKCS12 only.' },
  'exclude-protocols': { type: 'string', default: 'SSLv3', deprecatedNames: ['excludeProtocols'], description: 'Space-separated TLS protocols not to use.' },
  'include-protocols': { type: 'string', description: 'Space-separated TLS protocols to allow (TLSv1.2 TLSv1.3).' },
  'exclude-cipher-suites': { type: 'string', ignored: 'cipher suites follow Node defaults', description: 'Accepted, no effect.' },
  'include-cipher-suites': { type: 'string', ignored: 'cipher suites follow Node defaults', description: 'Accepted, no effect.' },
} as const;
type Props = PropsOf<typeof properties>;

const JSON_HANDLERS = ['org.apache.flume.source.http.jsonhandler', 'jsonhandler', 'json'];

/** Thrown for client mistakes (400). */
class BadRequest extends Error {}

/** Flume's JSONHandler: Gson into List<JSONEvent>; header values and bodies coerced to strings. */
export function parseJsonEvents(text: string, charset: BufferEncoding): Event[] {
  // Flume (Gson) reads an empty body or `null` as a null list and then fails: 500, not 400.
  if (text.trim() === '') throw new Error('empty request: expected a JSON array of events');
  let v: unknown;
  try { v = JSON.parse(text); } catch { throw new BadRequest('Request has invalid JSON Syntax.'); }
  if (v === null) throw new Error('null request: expected a JSON array of events');
  if (!Array.isArray(v)) throw new BadRequest('Request has invalid JSON Syntax.');
  const scalar = (x: unknown): string | undefined => {
    if (x === null || x === undefined) return undefined;
    if (typeof x === 'string') return x;
    if (typeof x === 'number' || typeof x === 'boolean') return String(x);
    throw new BadRequest('Request has invalid JSON Syntax.');
  };
  return v.map((o): Event => {
    if (o === null) throw new Error('null event in the array');
    if (typeof o !== 'object' || Array.isArray(o)) throw new BadRequest('Request has invalid JSON Syntax.');
    const rec = o as Record<string, unknown>;
    const headers: Record<string, string> = {};
    const h = rec.headers;
    if (h !== undefined && h !== null) {
      if (typeof h !== 'object' || Array.isArray(h)) throw new BadRequest('Request has invalid JSON Syntax.');
      for (const [k, x] of Object.entries(h as Record<string, unknown>)) { const s = scalar(x); if (s !== undefined) headers[k] = s; }
    }
    const body = scalar(rec.body);
    // Gson's insertion-ordered map, copied by EventBuilder.withBody into a HashMap.
    return { headers: markHeadersCopied(headers, 0), body: body === undefined ? Buffer.alloc(0) : Buffer.from(body, charset) };
  });
}

function charsetOf(contentType: string | undefined): BufferEncoding | 'bad' {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '');
  if (!m) return 'utf8';
  const c = m[1]!.toLowerCase();
  if (c === 'utf-8') return 'utf8';
  return 'bad'; // Flume accepts UTF-8, UTF-16 and UTF-32 only; tsagent UTF-8 only
}

export class HTTPSource implements Source {
  private server: http.Server | undefined;
  private processor: ChannelProcessor | undefined;
  private readonly inflight = new Set<Promise<void>>();
  readonly counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>;
  private readonly log: Logger;
  constructor(private readonly ctx: ComponentContext<Props>) {
    this.counters = ctx.counters('SOURCE', SOURCE_COUNTERS);
    this.log = ctx.logger;
  }

  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async start(processor: ChannelProcessor): Promise<void> {
    this.processor = processor;
    this.counters.start();
    const p = this.ctx.props;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const t = this.handle(req, res).catch((e: unknown) => { this.log.error(`http source: ${errorMessage(e)}`); });
      this.inflight.add(t);
      void t.finally(() => this.inflight.delete(t));
    };
    let server: http.Server;
    if (p.ssl) {
      const excluded = new Set(p['exclude-protocols'].split(/\s+/));
      const included = (p['include-protocols'] ?? 'TLSv1.2 TLSv1.3').split(/\s+/).filter((x) => !excluded.has(x));
      const order = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
      const allowed = order.filter((x) => included.includes(x));
      server = https.createServer({
        pfx: readFileSync(p.keystore!), passphrase: p['keystore-password'],
        minVersion: allowed[0] ?? 'TLSv1.2', maxVersion: allowed[allowed.length - 1] ?? 'TLSv1.3',
      }, handler);
    } else {
      server = http.createServer(handler);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: p.bind, port: p.port }, () => { server.off('error', reject); resolve(); });
    }).catch((e: unknown) => { server.close(); throw new Error(`Unable to bind HTTP source to ${p.bind}:${p.port}: ${errorMessage(e)}`); });
    this.server = server;
    this.log.info(`HTTP source listening on ${p.bind}:${this.port ?? p.port}`);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST' && req.method !== 'GET') {
      res.writeHead(405, { Allow: 'GET, POST' }).end();
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const c = this.counters.values;
    const send = (status: number, msg?: string): void => {
      if (msg === undefined) { res.writeHead(status, { 'Content-Length': '0' }).end(); return; }
      const b = Buffer.from(msg + '\n', 'utf8');
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(b.length) }).end(b);
    };
    let events: Event[];
    try {
      const cs = charsetOf(req.headers['content-type']);
      if (cs === 'bad') throw new Error('JSON handler supports UTF-8, UTF-16 and UTF-32 only.');
      events = parseJsonEvents(Buffer.concat(chunks).toString(cs), cs);
    } catch (e) {
      c.EventReadFail++;
      if (e instanceof BadRequest) {
        this.log.warn(`Received bad request from client. ${e.message}`);
        send(400, `Bad request from client. ${e.message}`);
      } else {
        this.log.warn(`Deserializer threw unexpected exception. ${errorMessage(e)}`);
        send(500, `Deserializer threw unexpected exception. ${errorMessage(e)}`);
      }
      return;
    }
    c.AppendBatchReceivedCount++;
    c.EventReceivedCount += events.length;
    try {
      if (events.length > 0) await this.processor!.processEventBatch(events);
    } catch (e) {
      if (isTsagentError(e) && e instanceof ChannelException) {
        this.log.error(`Error appending event to channel. Channel might be full. Consider increasing the channel capacity or make sure the sinks perform faster. ${errorMessage(e)}`);
        c.ChannelWriteFail++;
        send(503, `Error appending event to channel. Channel might be full.${errorMessage(e)}`);
      } else {
        this.log.error(`Unexpected error appending event to channel. ${errorMessage(e)}`);
        c.GenericProcessingFail++;
        send(500, `Unexpected error while appending event to channel. ${errorMessage(e)}`);
      }
      return;
    }
    send(200);
    c.AppendBatchAcceptedCount++;
    c.EventAcceptedCount += events.length;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) {
      const closed = new Promise<void>((r) => s.close(() => r()));
      s.closeIdleConnections();
      await Promise.all([...this.inflight]);
      s.closeAllConnections();
      await closed;
    }
    this.counters.stop();
  }
}

export default defineSource({
  kind: 'source',
  type: 'http',
  aliases: ['org.apache.flume.source.http.HTTPSource'],
  description: 'Accepts events by HTTP POST (JSONHandler: [{"headers":{…},"body":"…"}]); 200 committed, 400 bad JSON, 503 channel full.',
  properties,
  passThrough: [
    { prefix: 'handler.', description: 'Handler properties (JSONHandler has none).' },
    { prefix: 'QueuedThreadPool.', description: 'Jetty tuning; accepted and ignored.' },
    { prefix: 'HttpConfiguration.', description: 'Jetty tuning; accepted and ignored.' },
    { prefix: 'SslContextFactory.', description: 'Jetty tuning; accepted and ignored.' },
    { prefix: 'ServerConnector.', description: 'Jetty tuning; accepted and ignored.' },
  ],
  check: (p) => {
    const out = [];
    if (!JSON_HANDLERS.includes(p.handler.trim().toLowerCase())) {
      out.push({ severity: 'error' as const, code: 'UNSUPPORTED', key: 'handler', value: p.handler, message: `handler '${p.handler}' is not available in tsagent`, fix: 'use org.apache.flume.source.http.JSONHandler (the default)' });
    }
    if (p.ssl) {
      if (!p.keystore) out.push({ severity: 'error' as const, code: 'MISSING_PROPERTY', key: 'keystore', message: 'Keystore must be set when SSL is enabled', fix: 'set keystore to a PKCS12 file' });
      if (p['keystore-type'].toUpperCase() !== 'PKCS12') out.push({ severity: 'error' as const, code: 'UNSUPPORTED', key: 'keystore-type', value: p['keystore-type'], message: `keystore type '${p['keystore-type']}' cannot be read by tsagent`, fix: 'convert it: keytool -importkeystore -srckeystore ks.jks -destkeystore ks.p12 -deststoretype PKCS12, then set keystore-type = PKCS12' });
    }
    return out;
  },
  create: (ctx: ComponentContext<Props>) => new HTTPSource(ctx),
});

/**
 * Syslog TCP source (`syslogtcp`, org.apache.flume.source.SyslogTcpSource): newline-delimited
 * syslog messages over TCP, parsed as Flume does (see syslog/parser.ts for the headers). No
 * replies; events the channel refuses are dropped with an error log, as in Flume. TLS (`ssl`)
 * is not available.
 */
import net from 'node:net';
import type { ChannelProcessor, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SOURCE_COUNTERS, type CounterGroup } from '../core/counters.js';
import { errorMessage } from '../core/errors.js';
import type { Event } from '../core/event.js';
import { defineSource, type PropsOf } from '../core/spec.js';
import { buildSyslogEvent, parseKeepFields, SyslogStreamSplitter, type SyslogOptions } from './syslog/parser.js';

const properties = {
  host: { type: 'string', default: '0.0.0.0', description: 'Address to listen on (Flume: all interfaces when unset).' },
  port: { type: 'integer', required: true, min: 0, max: 65535, description: 'TCP port to listen on.' },
  eventSize: { type: 'integer', default: 2500, description: 'Maximum bytes of one message (minimum 10); longer ones are cut and flagged Incomplete.' },
  keepFields: { type: 'string', default: 'none', description: 'none/false, all/true, or a list of priority version timestamp hostname to keep in the body.' },
  clientIPHeader: { type: 'string', description: 'Header that receives the client IP address.' },
  clientHostnameHeader: { type: 'string', description: 'Header that receives the client host (tsagent: the IP address, no reverse lookup).' },
  ssl: { type: 'boolean', default: false, description: 'TLS; not available in tsagent (validation error when true).' },
} as const;
type Props = PropsOf<typeof properties>;

export class SyslogTcpSource implements Source {
  private server: net.Server | undefined;
  private processor: ChannelProcessor | undefined;
  private readonly sockets = new Set<net.Socket>();
  private chain: Promise<void> = Promise.resolve();
  private readonly opts: SyslogOptions;
  readonly counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>;
  constructor(private readonly ctx: ComponentContext<Props>) {
    this.opts = { keepFields: parseKeepFields(ctx.props.keepFields), maxSize: Math.max(10, ctx.props.eventSize), now: () => ctx.clock.now() };
    this.counters = ctx.counters('SOURCE', SOURCE_COUNTERS);
  }
  get port(): number | undefined { const a = this.server?.address(); return a && typeof a === 'object' ? a.port : undefined; }

  async start(processor: ChannelProcessor): Promise<void> {
    this.processor = processor;
    this.counters.start();
    const server = net.createServer((sock) => this.onConnection(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.ctx.props.host, port: this.ctx.props.port }, () => { server.off('error', reject); resolve(); });
    }).catch((e: unknown) => { server.close(); throw new Error(`Unable to start Syslog TCP Source on ${this.ctx.props.host}:${this.ctx.props.port}: ${errorMessage(e)}`); });
    this.server = server;
    this.ctx.logger.info(`Syslog TCP Source starting on ${this.ctx.props.host}:${this.port}`);
  }

  private onConnection(sock: net.Socket): void {
    this.sockets.add(sock);
    this.counters.values.OpenConnectionCount++;
    const split = new SyslogStreamSplitter(this.opts.maxSize);
    const opts: SyslogOptions = { ...this.opts, state: {} }; // Flume: one parser per connection
    const ip = sock.remoteAddress ?? '';
    const { clientIPHeader, clientHostnameHeader } = this.ctx.props;
    sock.on('data', (chunk: Buffer) => {
      const msgs: Array<{ raw: Buffer; incomplete: boolean }> = [];
      split.push(chunk, msgs);
      if (msgs.length === 0) return;
      const events: Event[] = msgs.map((m) => {
        const e = buildSyslogEvent(m.raw, opts, m.incomplete);
        if (clientIPHeader) e.headers[clientIPHeader] = ip;
        if (clientHostnameHeader) e.headers[clientHostnameHeader] = ip;
        return e;
      });
      this.counters.values.EventReceivedCount += events.length;
      sock.pause();
      this.chain = this.chain.then(async () => {
        try {
          await this.processor!.processEventBatch(events);
          this.counters.values.EventAcceptedCount += events.length;
        } catch (e) {
          this.counters.values.ChannelWriteFail++;
          this.ctx.logger.error(`Error writting to channel, event dropped: ${errorMessage(e)} (${events.length} event(s))`);
        } finally {
          if (!sock.destroyed) sock.resume();
        }
      });
    });
    sock.on('error', () => { /* client reset */ });
    sock.on('close', () => { this.sockets.delete(sock); this.counters.values.OpenConnectionCount--; });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) {
      const closed = new Promise<void>((r) => s.close(() => r()));
      for (const sock of this.sockets) sock.pause();
      await this.chain;
      for (const sock of this.sockets) sock.destroy();
      await closed;
    }
    this.counters.stop();
  }
}

export default defineSource({
  kind: 'source',
  type: 'syslogtcp',
  aliases: ['org.apache.flume.source.SyslogTcpSource'],
  description: 'Receives newline-delimited syslog (RFC 3164/5424) over TCP; Facility, Severity, timestamp, host headers.',
  properties,
  check: (p) => p.ssl
    ? [{ severity: 'error', code: 'UNSUPPORTED', key: 'ssl', value: 'true', message: 'TLS for the syslogtcp source is not available in tsagent', fix: 'terminate TLS in front of the agent (e.g. stunnel) or set ssl = false' }]
    : [],
  create: (ctx: ComponentContext<Props>) => new SyslogTcpSource(ctx),
});

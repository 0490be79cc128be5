/**
 * Syslog UDP source (`syslogudp`, org.apache.flume.source.SyslogUDPSource): one datagram (up to
 * its first newline) is one syslog message, parsed as Flume does (syslog/parser.ts). Events the
 * channel refuses are dropped with an error log, as in Flume.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { ChannelProcessor, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SOURCE_COUNTERS, type CounterGroup } from '../core/counters.js';
import { errorMessage } from '../core/errors.js';
import type { Event } from '../core/event.js';
import { defineSource, type PropsOf } from '../core/spec.js';
import { buildSyslogEvent, parseKeepFields, type SyslogOptions } from './syslog/parser.js';

const properties = {
  host: { type: 'string', default: '0.0.0.0', description: 'Address to listen on (Flume: all interfaces when unset).' },
  port: { type: 'integer', required: true, min: 0, max: 65535, description: 'UDP port to listen on.' },
  keepFields: { type: 'string', default: 'none', description: 'none/false, all/true, or a list of priority version timestamp hostname to keep in the body.' },
  clientIPHeader: { type: 'string', description: 'Header that receives the sender IP address.' },
  clientHostnameHeader: { type: 'string', description: 'Header that receives the sender host (tsagent: the IP address, no reverse lookup).' },
} as const;
type Props = PropsOf<typeof properties>;

/** Queues datagrams and hands them to the channel in batches, in arrival order. */
export class DatagramBatcher {
  private queue: Event[] = [];
  private busy: Promise<void> | undefined;
  constructor(private readonly send: (events: Event[]) => Promise<void>) {}
  add(e: Event): void {
    this.queue.push(e);
    if (!this.busy) this.busy = this.pump();
  }
  private async pump(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, 1000);
      await this.send(batch);
    }
    this.busy = undefined;
  }
  async idle(): Promise<void> { while (this.busy) await this.busy; }
}

export class SyslogUDPSource implements Source {
  private sock: dgram.Socket | undefined;
  private processor: ChannelProcessor | undefined;
  private readonly opts: SyslogOptions;
  private readonly batcher: DatagramBatcher;
  readonly counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>;
  constructor(private readonly ctx: ComponentContext<Props>) {
    // One parser for the whole source, as Flume's single UDP handler (its state included).
    this.opts = { keepFields: parseKeepFields(ctx.props.keepFields), maxSize: 1 << 16, now: () => ctx.clock.now(), state: {} };
    this.counters = ctx.counters('SOURCE', SOURCE_COUNTERS);
    this.batcher = new DatagramBatcher(async (events) => {
      try {
        await this.processor!.processEventBatch(events);
        this.counters.values.EventAcceptedCount += events.length;
      } catch (e) {
        this.counters.values.ChannelWriteFail++;
        ctx.logger.error(`Error writting to channel: ${errorMessage(e)} (${events.length} event(s) dropped)`);
      }
    });
  }
  get port(): number | undefined { return this.sock?.address().port; }

  async start(processor: ChannelProcessor): Promise<void> {
    this.processor = processor;
    this.counters.start();
    const host = this.ctx.props.host;
    const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const { clientIPHeader, clientHostnameHeader } = this.ctx.props;
    sock.on('message', (msg, rinfo) => {
      const nl = msg.indexOf(10);
      const e = buildSyslogEvent(nl >= 0 ? msg.subarray(0, nl) : msg, this.opts);
      if (clientIPHeader) e.headers[clientIPHeader] = rinfo.address;
      if (clientHostnameHeader) e.headers[clientHostnameHeader] = rinfo.address;
      this.counters.values.EventReceivedCount++;
      this.batcher.add(e);
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(this.ctx.props.port, host, () => { sock.off('error', reject); resolve(); });
    }).catch((e: unknown) => { sock.close(); throw new Error(`Unable to bind Syslog UDP Source to ${host}:${this.ctx.props.port}: ${errorMessage(e)}`); });
    sock.on('error', (e) => this.ctx.logger.error(`syslog udp socket error: ${e.message}`));
    this.sock = sock;
    this.ctx.logger.info(`Syslog UDP Source listening on ${host}:${this.port}`);
  }

  async stop(): Promise<void> {
    const s = this.sock;
    this.sock = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
    await this.batcher.idle();
    this.counters.stop();
  }
}

export default defineSource({
  kind: 'source',
  type: 'syslogudp',
  aliases: ['org.apache.flume.source.SyslogUDPSource'],
  description: 'Receives syslog (RFC 3164/5424) datagrams; Facility, Severity, timestamp, host headers.',
  properties,
  create: (ctx: ComponentContext<Props>) => new SyslogUDPSource(ctx),
});

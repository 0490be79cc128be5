/**
 * Syslog UDP source (`syslogudp`, org.apache.flume.source.SyslogUDPSource): one datagram (up to
 * its first newline) is one syslog message, parsed as Flume does (syslog/parser.ts). Events the
 * channel refuses are dropped with an error log, as in Flume.
 */
import type { ChannelProcessor, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SOURCE_COUNTERS, type CounterGroup } from '../core/counters.js';
import { defineSource, type PropsOf } from '../core/spec.js';
import { buildSyslogEvent, parseKeepFields, type SyslogOptions } from './syslog/parser.js';
import { UdpListener } from './udp-socket.js';

const properties = {
  host: { type: 'string', default: '0.0.0.0', description: 'Address to listen on (Flume: all interfaces when unset).' },
  port: { type: 'integer', required: true, min: 0, max: 65535, description: 'UDP port to listen on.' },
  keepFields: { type: 'string', default: 'none', description: 'none/false, all/true, or a list of priority version timestamp hostname to keep in the body.' },
  clientIPHeader: { type: 'string', description: 'Header that receives the sender IP address.' },
  clientHostnameHeader: { type: 'string', description: 'Header that receives the sender host (tsagent: the IP address, no reverse lookup).' },
} as const;
type Props = PropsOf<typeof properties>;

export class SyslogUDPSource implements Source {
  private readonly opts: SyslogOptions;
  private readonly udp: UdpListener;
  readonly counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>;
  constructor(private readonly ctx: ComponentContext<Props>) {
    // One parser for the whole source, as Flume's single UDP handler (its state included).
    this.opts = { keepFields: parseKeepFields(ctx.props.keepFields), maxSize: 1 << 16, now: () => ctx.clock.now(), state: {} };
    this.counters = ctx.counters('SOURCE', SOURCE_COUNTERS);
    const { clientIPHeader, clientHostnameHeader } = ctx.props;
    this.udp = new UdpListener({
      title: 'Syslog UDP Source',
      socketErrorPrefix: 'syslog udp',
      channelErrorText: 'Error writting to channel', // sic, Flume's wording
      logger: ctx.logger,
      counters: this.counters,
      toEvent: (line, rinfo) => {
        const e = buildSyslogEvent(line, this.opts);
        if (clientIPHeader) e.headers[clientIPHeader] = rinfo.address;
        if (clientHostnameHeader) e.headers[clientHostnameHeader] = rinfo.address;
        return e;
      },
    });
  }
  get port(): number | undefined { return this.udp.port; }

  async start(processor: ChannelProcessor): Promise<void> {
    this.counters.start();
    await this.udp.start(processor, this.ctx.props.host, this.ctx.props.port);
  }

  async stop(): Promise<void> {
    await this.udp.stop();
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

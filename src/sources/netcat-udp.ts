/**
 * Netcat UDP source (`netcatudp`, org.apache.flume.source.NetcatUdpSource): each datagram is one
 * event whose body is the bytes up to the first newline (the rest of the datagram is dropped).
 * No replies. `remoteAddress` names a header that receives the sender as `/ip:port`.
 *
 * Difference: without `remoteAddress`, Flume stores the sender under a null header key (shown as
 * `null=/1.2.3.4:5678` by the logger sink); tsagent adds no header.
 */
import type { ChannelProcessor, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SOURCE_COUNTERS, type CounterGroup } from '../core/counters.js';
import { defineSource, type PropsOf } from '../core/spec.js';
import { UdpListener } from './udp-socket.js';
import { markHeadersCopied } from '../core/java-hashmap-order.js';

const properties = {
  port: { type: 'integer', required: true, min: 0, max: 65535, description: 'UDP port to listen on.' },
  bind: { type: 'string', default: '0.0.0.0', description: 'Address to listen on (default: all interfaces).' },
  remoteAddress: { type: 'string', description: 'Header that receives the sender address (`/1.2.3.4:5678`).' },
} as const;
type Props = PropsOf<typeof properties>;

export class NetcatUdpSource implements Source {
  private readonly udp: UdpListener;
  readonly counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>;
  constructor(private readonly ctx: ComponentContext<Props>) {
    this.counters = ctx.counters('SOURCE', SOURCE_COUNTERS);
    this.counters.registered = false; // Flume's netcatudp source has no exported counters
    const header = ctx.props.remoteAddress;
    const withSender = header !== undefined && header !== '';
    this.udp = new UdpListener({
      title: 'Netcat UDP Source',
      socketErrorPrefix: 'netcat udp',
      channelErrorText: 'Error writing to channel',
      logger: ctx.logger,
      counters: this.counters,
      toEvent: (line, rinfo) => {
        const headers: Record<string, string> = {};
        if (withSender) headers[header] = `/${rinfo.address}:${rinfo.port}`;
        return { headers: markHeadersCopied(headers), body: line }; // EventBuilder.withBody copies Flume's HashMap
      },
    });
  }
  get port(): number | undefined { return this.udp.port; }

  async start(processor: ChannelProcessor): Promise<void> {
    this.counters.start();
    await this.udp.start(processor, this.ctx.props.bind, this.ctx.props.port);
  }

  async stop(): Promise<void> {
    await this.udp.stop();
    this.counters.stop();
  }
}

export default defineSource({
  kind: 'source',
  type: 'netcatudp',
  aliases: ['org.apache.flume.source.NetcatUdpSource'],
  description: 'Receives UDP datagrams; each one (up to its first newline) becomes an event.',
  properties,
  create: (ctx: ComponentContext<Props>) => new NetcatUdpSource(ctx),
});

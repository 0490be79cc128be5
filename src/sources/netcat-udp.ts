/**
 * Netcat UDP source (`netcatudp`, org.apache.flume.source.NetcatUdpSource): each datagram is one
 * event whose body is the bytes up to the first newline (the rest of the datagram is dropped).
 * No replies. `remoteAddress` names a header that receives the sender as `/ip:port`.
 *
 * Difference: without `remoteAddress`, Flume stores the sender under a null header key (shown as
 * `null=/1.2.3.4:5678` by the logger sink); tsagent adds no header.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { ChannelProcessor, Source } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SOURCE_COUNTERS, type CounterGroup } from '../core/counters.js';
import { errorMessage } from '../core/errors.js';
import { defineSource, type PropsOf } from '../core/spec.js';
import { DatagramBatcher } from './syslog-udp.js';

const properties = {
  port: { type: 'integer', required: true, min: 0, max: 65535, description: 'UDP port to listen on.' },
  bind: { type: 'string', default: '0.0.0.0', description: 'Address to listen on (default: all interfaces).' },
  remoteAddress: { type: 'string', description: 'Header that receives the sender address (`/1.2.3.4:5678`).' },
} as const;
type Props = PropsOf<typeof properties>;

export class NetcatUdpSource implements Source {
  private sock: dgram.Socket | undefined;
  private processor: ChannelProcessor | undefined;
  private readonly batcher: DatagramBatcher;
  readonly counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>;
  constructor(private readonly ctx: ComponentContext<Props>) {
    this.counters = ctx.counters('SOURCE', SOURCE_COUNTERS);
    this.counters.registered = false; // Flume's netcatudp source has no exported counters
    this.batcher = new DatagramBatcher(async (events) => {
      try {
        await this.processor!.processEventBatch(events);
        this.counters.values.EventAcceptedCount += events.length;
      } catch (e) {
        this.counters.values.ChannelWriteFail++;
        ctx.logger.error(`Error writing to channel: ${errorMessage(e)} (${events.length} event(s) dropped)`);
      }
    });
  }
  get port(): number | undefined { return this.sock?.address().port; }

  async start(processor: ChannelProcessor): Promise<void> {
    this.processor = processor;
    this.counters.start();
    const bind = this.ctx.props.bind;
    const header = this.ctx.props.remoteAddress;
    const sock = dgram.createSocket(net.isIPv6(bind) ? 'udp6' : 'udp4');
    sock.on('message', (msg, rinfo) => {
      const nl = msg.indexOf(10);
      const headers: Record<string, string> = {};
      if (header !== undefined && header !== '') headers[header] = `/${rinfo.address}:${rinfo.port}`;
      this.counters.values.EventReceivedCount++;
      this.batcher.add({ headers, body: nl >= 0 ? msg.subarray(0, nl) : msg });
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(this.ctx.props.port, bind, () => { sock.off('error', reject); resolve(); });
    }).catch((e: unknown) => { sock.close(); throw new Error(`Unable to bind Netcat UDP Source to ${bind}:${this.ctx.props.port}: ${errorMessage(e)}`); });
    sock.on('error', (e) => this.ctx.logger.error(`netcat udp socket error: ${e.message}`));
    this.sock = sock;
    this.ctx.logger.info(`Netcat UDP Source listening on ${bind}:${this.port}`);
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
  type: 'netcatudp',
  aliases: ['org.apache.flume.source.NetcatUdpSource'],
  description: 'Receives UDP datagrams; each one (up to its first newline) becomes an event.',
  properties,
  create: (ctx: ComponentContext<Props>) => new NetcatUdpSource(ctx),
});

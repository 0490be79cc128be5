/**
 * UDP plumbing shared by the datagram sources (netcatudp, syslogudp): bind one socket, turn each
 * datagram (the bytes up to its first newline; Flume drops the rest) into one event, and hand the
 * events to the channel in batches, in arrival order. A batch the channel refuses is dropped with
 * an error log, as in Flume's UDP sources (there is no way to ask a UDP sender to resend).
 * Not a component: each source keeps its own file, properties and event format.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { ChannelProcessor } from '../core/contracts.js';
import type { CounterGroup, SOURCE_COUNTERS } from '../core/counters.js';
import { errorMessage } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';

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

export interface UdpListenerOptions {
  /** The source as its log lines and bind errors name it, e.g. `Netcat UDP Source`. */
  readonly title: string;
  /** Prefix of the log line for a socket error after bind, e.g. `netcat udp`. */
  readonly socketErrorPrefix: string;
  /**
   * Start of the log line for a batch the channel refused. Kept per source because Flume's
   * wording differs (SyslogUDPSource logs "Error writting to channel", sic).
   */
  readonly channelErrorText: string;
  readonly logger: Logger;
  /** The owning source's counters: EventReceivedCount, EventAcceptedCount, ChannelWriteFail. */
  readonly counters: CounterGroup<(typeof SOURCE_COUNTERS)[number]>;
  /** Builds the event of one datagram; `line` is the datagram up to (without) its first newline. */
  readonly toEvent: (line: Buffer, sender: dgram.RemoteInfo) => Event;
}

/**
 * One bound UDP socket feeding a channel processor. Contract: start() once, then stop() once;
 * stop() closes the socket and resolves after every queued datagram was handed to the channel.
 * The owner starts and stops its counters around these calls.
 */
export class UdpListener {
  private sock: dgram.Socket | undefined;
  private processor: ChannelProcessor | undefined;
  private readonly batcher: DatagramBatcher;

  constructor(private readonly opts: UdpListenerOptions) {
    const { counters, logger, channelErrorText } = opts;
    this.batcher = new DatagramBatcher(async (events) => {
      try {
        await this.processor!.processEventBatch(events);
        counters.values.EventAcceptedCount += events.length;
      } catch (e) {
        counters.values.ChannelWriteFail++;
        logger.error(`${channelErrorText}: ${errorMessage(e)} (${events.length} event(s) dropped)`);
      }
    });
  }

  /** The bound port (useful with port 0), undefined when not listening. */
  get port(): number | undefined { return this.sock?.address().port; }

  /** Binds `host:port`; rejects with `Unable to bind <title> to host:port: <reason>`. */
  async start(processor: ChannelProcessor, host: string, port: number): Promise<void> {
    this.processor = processor;
    const { title, socketErrorPrefix, logger, counters, toEvent } = this.opts;
    const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    sock.on('message', (msg, rinfo) => {
      const nl = msg.indexOf(10);
      const e = toEvent(nl >= 0 ? msg.subarray(0, nl) : msg, rinfo);
      counters.values.EventReceivedCount++;
      this.batcher.add(e);
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => { sock.off('error', reject); resolve(); });
    }).catch((e: unknown) => { sock.close(); throw new Error(`Unable to bind ${title} to ${host}:${port}: ${errorMessage(e)}`); });
    sock.on('error', (e) => logger.error(`${socketErrorPrefix} socket error: ${e.message}`));
    this.sock = sock;
    logger.info(`${title} listening on ${host}:${this.port}`);
  }

  async stop(): Promise<void> {
    const s = this.sock;
    this.sock = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
    await this.batcher.idle();
  }
}

/**
 * File roll sink (`file_roll`, org.apache.flume.sink.RollingFileSink): writes events to files in
 * `sink.directory`, a new file every `sink.rollInterval` seconds, named as Flume names them:
 * DEFAULT `<prefix><startMillis>-<n>[.<ext>]`, ROLLTIME `<prefix><yyyyMMddHHmmss>-<n>[.<ext>]`.
 * Each batch is written, then the transaction commits (data in the OS page cache, as Flume).
 */
import { closeSync, existsSync, openSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Channel, Sink } from '../core/contracts.js';
import type { ComponentContext } from '../core/context.js';
import { SINK_COUNTERS, type CounterGroup } from '../core/counters.js';
import { headersToJavaString, type Event } from '../core/event.js';
import { BACKOFF, READY, type Status } from '../core/lifecycle.js';
import { defineSink, type PropsOf } from '../core/spec.js';
import { joinBodies, takeBatch } from './batch.js';

const properties = {
  'sink.directory': { type: 'string', required: true, description: 'Directory the files are written to (must exist).' },
  'sink.rollInterval': { type: 'integer', default: 30, min: 0, description: 'Seconds before starting a new file; 0 never rolls.' },
  'sink.batchSize': { type: 'integer', default: 100, min: 1, description: 'Events per transaction.' },
  'sink.serializer': {
    type: 'enum', default: 'TEXT', values: ['TEXT', 'HEADER_AND_TEXT'],
    description: 'TEXT writes the body and a newline; HEADER_AND_TEXT writes `{headers} body`.',
  },
  'sink.serializer.appendNewline': { type: 'boolean', default: true, description: 'Append a newline after each event.' },
  'sink.pathManager': { type: 'enum', default: 'DEFAULT', values: ['DEFAULT', 'ROLLTIME'], description: 'File naming scheme.' },
  'sink.pathManager.prefix': { type: 'string', default: '', description: 'File name prefix.' },
  'sink.pathManager.extension': { type: 'string', default: '', description: 'File name extension (a dot is prepended).' },
} as const;
type FileRollProps = PropsOf<typeof properties>;

function pad(n: number, w = 2): string { return String(n).padStart(w, '0'); }

export class FileRollSink implements Sink {
  private channel: Channel | undefined;
  private fd: number | undefined;
  private fileIndex = 0;
  private readonly startMillis: number;
  private lastStamp = '';
  private rollDue = false;
  private timer: NodeJS.Timeout | undefined;
  readonly counters: CounterGroup<(typeof SINK_COUNTERS)[number]>;
  currentFile: string | undefined;

  constructor(private readonly ctx: ComponentContext<FileRollProps>) {
    this.startMillis = ctx.clock.now();
    this.counters = ctx.counters('SINK', SINK_COUNTERS);
  }

  start(channel: Channel): void {
    const dir = this.ctx.props['sink.directory'];
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new Error(`sink.directory '${dir}' does not exist or is not a directory`);
    }
    this.channel = channel;
    this.counters.start();
    const iv = this.ctx.props['sink.rollInterval'];
    if (iv > 0) {
      this.timer = setInterval(() => { this.rollDue = true; }, iv * 1000);
      this.timer.unref();
    } else {
      this.ctx.logger.info('RollInterval is not valid, file rolling will not happen.');
    }
  }

  private nextName(): string {
    const p = this.ctx.props;
    const ext = p['sink.pathManager.extension'] ? `.${p['sink.pathManager.extension']}` : '';
    if (p['sink.pathManager'] === 'ROLLTIME') {
      const d = new Date(this.ctx.clock.now());
      const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
      if (stamp !== this.lastStamp) { this.lastStamp = stamp; this.fileIndex = 0; }
      return `${p['sink.pathManager.prefix']}${stamp}-${++this.fileIndex}${ext}`;
    }
    return `${p['sink.pathManager.prefix']}${this.startMillis}-${++this.fileIndex}${ext}`;
  }

  private closeFile(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
      this.counters.values.ConnectionClosedCount++;
    }
  }

  private serialize(events: Event[]): Buffer {
    const p = this.ctx.props;
    const nl = p['sink.serializer.appendNewline'];
    if (p['sink.serializer'] === 'TEXT') return joinBodies(events, nl);
    const parts: Buffer[] = [];
    for (const e of events) {
      parts.push(Buffer.from(`${headersToJavaString(e.headers)} `), e.body);
      if (nl) parts.push(Buffer.from('\n'));
    }
    return Buffer.concat(parts);
  }

  process(): Promise<Status> {
    if (this.rollDue) {
      this.rollDue = false;
      this.closeFile();
    }
    if (this.fd === undefined) {
      const f = path.join(this.ctx.props['sink.directory'], this.nextName());
      try {
        this.fd = openSync(f, 'a');
      } catch (e) {
        this.counters.values.ConnectionFailedCount++;
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      this.currentFile = f;
      this.counters.values.ConnectionCreatedCount++;
    }
    const batchSize = this.ctx.props['sink.batchSize'];
    const c = this.counters.values;
    const tx = this.channel!.createTransaction();
    tx.begin();
    try {
      const events = takeBatch(tx, batchSize);
      const n = events.length;
      if (n === 0) c.BatchEmptyCount++;
      else if (n < batchSize) c.BatchUnderflowCount++;
      else c.BatchCompleteCount++;
      c.EventDrainAttemptCount += n;
      if (n > 0) {
        const buf = this.serialize(events);
        let off = 0;
        while (off < buf.length) off += writeSync(this.fd, buf, off);
      }
      tx.commit();
      c.EventDrainSuccessCount += n;
      return Promise.resolve(n === 0 ? BACKOFF : READY);
    } catch (err) {
      tx.rollback();
      c.EventWriteFail++;
      return Promise.reject(new Error(`Failed to process transaction: ${err instanceof Error ? err.message : String(err)}`));
    } finally {
      tx.close();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.closeFile();
    this.counters.stop();
  }
}

export default defineSink({
  kind: 'sink',
  type: 'file_roll',
  aliases: ['org.apache.flume.sink.RollingFileSink'],
  description: 'Writes events to local files, starting a new file every rollInterval seconds.',
  properties,
  passThrough: [{ prefix: 'sink.serializer.', description: 'Serializer settings.' }],
  batchSizeProperty: 'sink.batchSize',
  create: (ctx: ComponentContext<FileRollProps>) => new FileRollSink(ctx),
});

/**
 * A TCP server that answers like Flume's netcat source (flume-compat.md section 4.2): one event per
 * '\n'-terminated line, `OK\n` after each commit (when ack is on), `FAILED: <message>\n` on a
 * channel error (connection stays open), and for a line of max-line-length chars or more (the '\n'
 * counts) `FAILED: Event exceeds the maximum length (N chars, including newline)\n`, then the
 * connection is closed. Test knobs: fail some lines, drop connections after a given number of
 * commits, gracefully (every committed line answered) or abruptly (last commit unanswered).
 */
import net from 'node:net';

export interface FakeNetcatOptions {
  /** Default 512, as Flume. */
  maxLineLength?: number;
  /** Write OK per event (ack-every-event). Default true. */
  ack?: boolean;
  /** Answer FAILED (channel full) for this line at this attempt (1-based) instead of committing. */
  fail?: (line: string, attempt: number) => boolean;
  /** Close the connection right after the Nth commit (counted over all connections), for each N. */
  dropAfterCommits?: number[];
  /** graceful: answer the commit, then close. abrupt: close without answering the last commit. */
  dropMode?: 'graceful' | 'abrupt';
  /** Delay before each reply batch, in ms (a slow agent). */
  replyDelayMs?: number;
}

export const CHANNEL_FULL =
  "Space for commit to queue couldn't be acquired. Sinks are likely not keeping up with sources, or the buffer size is too tight";

export class FakeNetcat {
  readonly committed: string[] = [];
  /** For each committed line: whether its OK was written. */
  readonly answered: boolean[] = [];
  connections = 0;
  failedReplies = 0;
  private readonly attempts = new Map<string, number>();
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly drops: number[];
  port = 0;

  constructor(private readonly o: FakeNetcatOptions = {}) {
    this.drops = [...(o.dropAfterCommits ?? [])].sort((a, b) => a - b);
    this.server = net.createServer((s) => this.handle(s));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Refuse new connections; open ones stay. */
  stopListening(): void {
    this.server.close();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(s: net.Socket): void {
    this.connections++;
    this.sockets.add(s);
    s.setEncoding('utf8');
    const max = this.o.maxLineLength ?? 512;
    const ack = this.o.ack ?? true;
    let buffer = '';
    let dead = false;
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => {});
    s.on('data', (text: string) => {
      if (dead) return;
      buffer += text;
      let out = '';
      let nl = buffer.indexOf('\n');
      let start = 0;
      const flush = (then?: () => void): void => {
        const data = out;
        out = '';
        const go = (): void => {
          if (data !== '') s.write(data);
          then?.();
        };
        if (this.o.replyDelayMs) setTimeout(go, this.o.replyDelayMs);
        else go();
      };
      while (nl !== -1) {
        const line = buffer.slice(start, nl);
        start = nl + 1;
        nl = buffer.indexOf('\n', start);
        if (line.length + 1 > max) {
          out += `FAILED: Event exceeds the maximum length (${max} chars, including newline)\n`;
          dead = true;
          flush(() => s.end());
          return;
        }
        const attempt = (this.attempts.get(line) ?? 0) + 1;
        this.attempts.set(line, attempt);
        if (this.o.fail?.(line, attempt)) {
          this.failedReplies++;
          out += `FAILED: ${CHANNEL_FULL}\n`;
          continue;
        }
        this.committed.push(line);
        const drop = this.drops[0] === this.committed.length;
        if (drop) this.drops.shift();
        if (drop && this.o.dropMode === 'abrupt') {
          this.answered.push(false);
          dead = true;
          flush(() => s.destroy());
          return;
        }
        this.answered.push(ack);
        if (ack) out += 'OK\n';
        if (drop) {
          dead = true;
          flush(() => s.end());
          return;
        }
      }
      buffer = buffer.slice(start);
      // Flume: a full buffer without '\n' is an over-long line.
      if (buffer.length >= max) {
        out += `FAILED: Event exceeds the maximum length (${max} chars, including newline)\n`;
        dead = true;
        flush(() => s.end());
        return;
      }
      flush();
    });
    s.on('end', () => {
      // Flume: at EOF, complete lines are processed (done above), the rest is dropped; close.
      if (!dead) s.end();
    });
  }
}

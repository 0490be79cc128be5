/**
 * Minimal FTP download (RFC 959 + RFC 2428 EPSV), enough for `ftp://host/path/file` URLs such as
 * the seed's ftp://ita.ee.lbl.gov/traces/NASA_access_log_Jul95.gz: anonymous (or URL) login,
 * binary type, passive mode (EPSV, then PASV), CWD to the directory, RETR of the file. The data
 * connection is streamed, never buffered whole.
 *
 * Like curl (since 7.74) the address in a PASV reply is ignored and the control connection's
 * peer address is used, which works through NAT and with servers that announce private addresses.
 */
import net from 'node:net';
import { TsagentError } from '../core/errors.js';

export interface FtpDownload {
  /** The file's bytes. Iterating to the end also checks the server's final transfer reply. */
  stream: AsyncIterable<Buffer>;
  /** From SIZE, when the server supports it. */
  size: number | undefined;
  /** Close both connections (e.g. when the reader stops early). */
  close(): void;
}

interface Reply {
  code: number;
  text: string;
}

function ftpError(url: URL, message: string, cause?: unknown): TsagentError {
  return new TsagentError('REPLAY_INPUT', `${redact(url)}: ${message}`, cause === undefined ? undefined : { cause });
}

/** The URL without its password, for messages. */
export function redact(url: URL): string {
  if (url.password === '') return url.href;
  const u = new URL(url.href);
  u.password = '***';
  return u.href;
}

/** Reads CRLF-terminated replies, joining multi-line replies (`123-...` up to `123 ...`). */
class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private waiting: ((line: string | Error) => void) | undefined;
  private failure: Error | undefined;

  constructor(socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      let nl = this.buffer.indexOf('\n');
      while (nl !== -1) {
        this.lines.push(this.buffer.slice(0, nl).replace(/\r$/, ''));
        this.buffer = this.buffer.slice(nl + 1);
        nl = this.buffer.indexOf('\n');
      }
      this.flush();
    });
    const fail = (e: Error): void => {
      this.failure ??= e;
      this.flush();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the server closed the control connection')));
  }

  private flush(): void {
    if (!this.waiting) return;
    const line = this.lines.shift();
    if (line !== undefined) {
      const w = this.waiting;
      this.waiting = undefined;
      w(line);
    } else if (this.failure) {
      const w = this.waiting;
      this.waiting = undefined;
      w(this.failure);
    }
  }

  private nextLine(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiting = (l) => (typeof l === 'string' ? resolve(l) : reject(l));
      this.flush();
    });
  }

  async read(): Promise<Reply> {
    const first = await this.nextLine();
    const m = /^(\d{3})([ -])(.*)$/.exec(first);
    if (!m) throw new Error(`unexpected reply "${first.slice(0, 80)}"`);
    const code = Number(m[1]);
    const text = [m[3]!];
    if (m[2] === '-') {
      for (;;) {
        const l = await this.nextLine();
        if (l.startsWith(`${m[1]!} `)) {
          text.push(l.slice(4));
          break;
        }
        text.push(l);
      }
    }
    return { code, text: text.join('\n') };
  }
}

function connect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error(`timed out after ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      // Later errors are seen by whoever reads the socket (reply reader, data iterator); this
      // listener only keeps an error before that from crashing the process.
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Start downloading an ftp:// URL. Resolves once the transfer has started. */
export async function ftpDownload(url: URL, timeoutMs = 30_000): Promise<FtpDownload> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? 21 : Number(url.port);
  const segments = url.pathname.split('/').slice(1).map((s) => decodeURIComponent(s));
  const file = segments.pop() ?? '';
  if (file === '') throw ftpError(url, 'the URL names a directory, not a file');
  const user = url.username === '' ? 'anonymous' : decodeURIComponent(url.username);
  const pass = url.password === '' ? 'anonymous@' : decodeURIComponent(url.password);

  let control: net.Socket;
  try {
    control = await connect(host, port, timeoutMs);
  } catch (e) {
    throw ftpError(url, `cannot connect to ${host}:${port}: ${describeNetError(e)}`, e);
  }
  const replies = new ReplyReader(control);
  let data: net.Socket | undefined;
  const close = (): void => {
    data?.destroy();
    control.destroy();
  };
  const expect = async (what: string, ok: (code: number) => boolean): Promise<Reply> => {
    const r = await replies.read();
    if (!ok(r.code)) throw ftpError(url, `${what} failed: ${r.code} ${r.text.split('\n')[0]!}`);
    return r;
  };
  const send = (cmd: string): void => {
    control.write(`${cmd}\r\n`);
  };
  let size: number | undefined;
  try {
    let r = await replies.read();
    while (r.code >= 100 && r.code < 200) r = await replies.read(); // 120: ready in n minutes
    if (r.code !== 220) throw ftpError(url, `server refused the connection: ${r.code} ${r.text}`);
    send(`USER ${user}`);
    r = await replies.read();
    if (r.code === 331 || r.code === 332) {
      send(`PASS ${pass}`);
      r = await replies.read();
    }
    if (r.code !== 230 && r.code !== 202) throw ftpError(url, `login as ${user} failed: ${r.code} ${r.text.split('\n')[0]!}`);
    send('TYPE I');
    await expect('TYPE I', (c) => c === 200);
    if (segments.length > 0) {
      const dir = segments.join('/');
      send(`CWD ${dir}`);
      await expect(`CWD ${dir}`, (c) => c === 250 || c === 200);
    }
    send(`SIZE ${file}`);
    const sizeReply = await replies.read();
    size = sizeReply.code === 213 && /^\d+$/.test(sizeReply.text.trim()) ? Number(sizeReply.text.trim()) : undefined;
    send('EPSV');
    r = await replies.read();
    let dataPort: number | undefined;
    if (r.code === 229) {
      const m = /\(([^\d])\1\1(\d+)\1\)/.exec(r.text);
      if (m) dataPort = Number(m[2]);
    }
    if (dataPort === undefined) {
      send('PASV');
      r = await expect('PASV', (c) => c === 227);
      const m = /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(r.text);
      if (!m) throw ftpError(url, `cannot parse the PASV reply "${r.text}"`);
      dataPort = Number(m[5]) * 256 + Number(m[6]);
    }
    try {
      data = await connect(control.remoteAddress ?? host, dataPort, timeoutMs);
    } catch (e) {
      throw ftpError(url, `cannot open the data connection to port ${dataPort}: ${describeNetError(e)}`, e);
    }
    send(`RETR ${file}`);
    await expect(`RETR ${file}`, (c) => c === 125 || c === 150);
  } catch (e) {
    close();
    if (e instanceof TsagentError) throw e;
    throw ftpError(url, describeNetError(e), e);
  }
  const dataSocket = data;
  // A stalled transfer fails instead of hanging (the control connection is idle meanwhile, so
  // only the data connection and the final reply are timed).
  dataSocket.setTimeout(timeoutMs, () => dataSocket.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
  async function* stream(): AsyncGenerator<Buffer, void, undefined> {
    try {
      for await (const chunk of dataSocket) yield chunk as Buffer;
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([
        replies.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('no reply after the transfer'), { code: 'ETIMEDOUT' })), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      if (done.code !== 226 && done.code !== 250) throw ftpError(url, `transfer failed: ${done.code} ${done.text.split('\n')[0]!}`);
      send('QUIT');
    } catch (e) {
      if (e instanceof TsagentError) throw e;
      throw ftpError(url, `transfer failed: ${describeNetError(e)}`, e);
    } finally {
      close();
    }
  }
  return { stream: stream(), size, close };
}

/** One phrase for a Node network error. */
export function describeNetError(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return 'host name not found';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ECONNRESET':
      return 'connection reset by the peer';
    case 'EPIPE':
      return 'connection closed by the peer';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

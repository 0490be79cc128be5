/**
 * Opening replay input: a local file, `-` (stdin), an http/https/ftp URL, or a stream given by a
 * caller. Plain or gzip (detected by the magic bytes 1f 8b, not the name). Always streamed.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { TsagentError } from '../core/errors.js';
import { describeNetError, ftpDownload, redact } from './ftp.js';

export interface OpenedInput {
  /** File path or URL (password hidden), for messages. */
  name: string;
  /** The (decompressed) bytes. */
  chunks: AsyncIterable<Buffer>;
  /** Size of the raw input (file size, Content-Length, FTP SIZE) when known. */
  totalBytes: number | undefined;
  /** Raw bytes consumed so far (compressed bytes for gzip input): progress against totalBytes. */
  bytesRead(): number;
  gzip: boolean;
  /** Stop reading and release the file or connection. */
  close(): void;
}

/** A path, URL or `-`; or a stream of bytes (string chunks are taken as UTF-8). */
export type InputSpec = string | Readable | AsyncIterable<Uint8Array | string>;

const URL_LIKE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;
const MAX_REDIRECTS = 5;

function inputError(message: string, cause?: unknown): TsagentError {
  return new TsagentError('REPLAY_INPUT', message, cause === undefined ? undefined : { cause });
}

interface RawInput {
  name: string;
  chunks: AsyncIterable<Uint8Array | string>;
  totalBytes: number | undefined;
  close(): void;
}

async function openFile(path: string): Promise<RawInput> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw inputError(`${path} is a directory; give a file or a URL`);
    const s = createReadStream(path, { highWaterMark: 1 << 20 });
    return { name: path, chunks: s, totalBytes: st.isFile() ? st.size : undefined, close: () => s.destroy() };
  } catch (e) {
    if (e instanceof TsagentError) throw e;
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT') throw inputError(`file not found: ${path}`, e);
    if (code === 'EACCES' || code === 'EPERM') throw inputError(`permission denied: ${path}`, e);
    throw inputError(`cannot read ${path}: ${(e as Error).message}`, e);
  }
}

export interface TlsOptions {
  /** Extra CA certificate(s) (PEM) to trust for https URLs. */
  ca?: string | Buffer;
  /** Do not verify the server certificate of https URLs. */
  insecure?: boolean;
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function describeHttpError(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && TLS_CODES.has(code)) {
    return `${(e as Error).message} (trust the certificate with --ca FILE, or skip the check with --insecure)`;
  }
  return describeNetError(e);
}

function httpGet(url: URL, timeoutMs: number, tls: TlsOptions, redirects = 0): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = { 'user-agent': 'tsagent-replay', accept: '*/*' };
    const onResponse = (res: http.IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) return reject(inputError(`${redact(url)}: more than ${MAX_REDIRECTS} redirects`));
        let next: URL;
        try {
          next = new URL(res.headers.location, url);
        } catch (e) {
          return reject(inputError(`${redact(url)}: bad redirect location "${res.headers.location}"`, e));
        }
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
          return reject(inputError(`${redact(url)}: redirect to unsupported ${next.protocol} URL`));
        }
        httpGet(next, timeoutMs, tls, redirects + 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        return reject(inputError(`${redact(url)}: HTTP ${status} ${res.statusMessage ?? ''}`.trimEnd()));
      }
      resolve(res);
    };
    const req =
      url.protocol === 'https:'
        ? https.get(
            url,
            {
              headers,
              timeout: timeoutMs,
              // `ca` replaces Node's trusted list: keep the usual roots next to the extra one.
              ...(tls.ca !== undefined ? { ca: [...rootCertificates, tls.ca] } : {}),
              rejectUnauthorized: tls.insecure !== true,
            },
            onResponse,
          )
        : http.get(url, { headers, timeout: timeoutMs }, onResponse);
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => reject(inputError(`${redact(url)}: ${describeHttpError(e)}`, e)));
  });
}

async function openUrl(text: string, timeoutMs: number, tls: TlsOptions): Promise<RawInput> {
  let url: URL;
  try {
    url = new URL(text);
  } catch (e) {
    throw inputError(`bad URL "${text}"`, e);
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    const res = await httpGet(url, timeoutMs, tls);
    const len = Number(res.headers['content-length']);
    // A stalled download must not hang the replay forever.
    res.setTimeout(timeoutMs, () => res.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    const name = redact(url);
    async function* body(): AsyncGenerator<Buffer, void, undefined> {
      try {
        for await (const c of res) yield c as Buffer;
      } catch (e) {
        throw inputError(`${name}: download failed: ${describeNetError(e)}`, e);
      }
      if (!res.complete) throw inputError(`${name}: download ended early (connection closed)`);
    }
    return { name, chunks: body(), totalBytes: Number.isFinite(len) && len >= 0 ? len : undefined, close: () => res.destroy() };
  }
  if (url.protocol === 'ftp:') {
    const d = await ftpDownload(url, timeoutMs);
    return { name: redact(url), chunks: d.stream, totalBytes: d.size, close: d.close };
  }
  throw inputError(`unsupported URL scheme "${url.protocol}" in ${redact(url)}; use http://, https:// or ftp://, or a file path`);
}

function fromStdin(): RawInput {
  return { name: 'stdin', chunks: process.stdin, totalBytes: undefined, close: () => process.stdin.destroy() };
}

function toBuffer(c: Uint8Array | string): Buffer {
  // Readable.from(['text']) yields strings: take them as UTF-8.
  if (typeof c === 'string') return Buffer.from(c, 'utf8');
  return Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

export interface OpenInputOptions extends TlsOptions {
  /** Name for messages when `input` is a stream. */
  name?: string;
  /** Connect / idle timeout for URLs. Default 30 s. */
  timeoutMs?: number;
}

/**
 * Open an input and look at its first bytes (gzip or not). Fails with a one-line TsagentError
 * (code REPLAY_INPUT) for a missing file, a bad or unreachable URL, or a `.gz` name on data that
 * is not gzip.
 */
export async function openInput(input: InputSpec, options: OpenInputOptions = {}): Promise<OpenedInput> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let raw: RawInput;
  if (typeof input === 'string') {
    if (input === '-') raw = fromStdin();
    else if (URL_LIKE.test(input)) {
      raw = await openUrl(input, timeoutMs, {
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ...(options.insecure !== undefined ? { insecure: options.insecure } : {}),
      });
    }
    else raw = await openFile(input);
  } else {
    raw = {
      name: options.name ?? 'stream',
      chunks: input,
      totalBytes: undefined,
      close: () => {
        if (input instanceof Readable) input.destroy();
      },
    };
  }
  const name = raw.name;
  let read = 0;
  const it = raw.chunks[Symbol.asyncIterator]();
  // Peek at the first bytes.
  const head: Buffer[] = [];
  let headLen = 0;
  let ended = false;
  try {
    while (headLen < 2) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const b = toBuffer(r.value);
      read += b.length;
      head.push(b);
      headLen += b.length;
    }
  } catch (e) {
    raw.close();
    if (e instanceof TsagentError) throw e;
    throw inputError(`cannot read ${name}: ${describeNetError(e)}`, e);
  }
  const first = Buffer.concat(head);
  const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  const path = name.replace(/[?#].*$/, '');
  if (!gzip && /\.gz$/i.test(path)) {
    raw.close();
    const preview = JSON.stringify(first.subarray(0, 16).toString('latin1'));
    throw inputError(
      first.length === 0
        ? `${name} is empty, but its name ends in .gz`
        : `${name} is not gzip data (it starts with ${preview}, not the gzip magic bytes 1f 8b); rename it if it is plain text`,
    );
  }
  async function* rawChunks(): AsyncGenerator<Buffer, void, undefined> {
    if (first.length > 0) yield first;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      const b = toBuffer(r.value);
      read += b.length;
      yield b;
    }
  }
  let chunks: AsyncIterable<Buffer>;
  if (!gzip) {
    chunks = (async function* () {
      try {
        yield* rawChunks();
      } catch (e) {
        if (e instanceof TsagentError) throw e;
        throw inputError(`cannot read ${name}: ${describeNetError(e)}`, e);
      }
    })();
  } else {
    chunks = (async function* () {
      const z = createGunzip({ chunkSize: 1 << 18 });
      const feeding = pipeline(Readable.from(rawChunks()), z);
      feeding.catch(() => {}); // seen through z below
      try {
        for await (const c of z) yield c as Buffer;
        await feeding;
      } catch (e) {
        if (e instanceof TsagentError) throw e;
        const code = (e as { code?: unknown }).code;
        if (typeof code === 'string' && code.startsWith('Z_')) throw inputError(`${name}: corrupt gzip data (${(e as Error).message})`, e);
        throw inputError(`cannot read ${name}: ${describeNetError(e)}`, e);
      } finally {
        z.destroy();
      }
    })();
  }
  return {
    name,
    chunks,
    totalBytes: raw.totalBytes,
    bytesRead: () => read,
    gzip,
    close: () => raw.close(),
  };
}

/**
 * A small WebHDFS (REST) client on Node's fetch (undici keeps HTTP/1.1 connections alive), and
 * the same operations on the local file system for `file:///` paths.
 *
 * Contract of every operation: it resolves only when the NameNode / DataNode answered with the
 * documented success status AND a successful body (e.g. RENAME's `{"boolean": true}`), else it
 * rejects with a WebHdfsError (HTTP status + Hadoop's RemoteException class and message) or a
 * timeout/connection error. Callers decide what a retry means (see BucketWriter).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import path from 'node:path';

export interface FileStatus {
  length: number;
  type: 'FILE' | 'DIRECTORY';
  modificationTime: number;
}

/** The operations the HDFS sink needs, for WebHDFS and the local file system. */
export interface TargetFs {
  readonly description: string;
  /** Creates a new file with `data` (fails if it exists). Parent directories are created. */
  create(p: string, data: Buffer): Promise<void>;
  append(p: string, data: Buffer): Promise<void>;
  /** null when the path does not exist. */
  status(p: string): Promise<FileStatus | null>;
  /** Hadoop semantics: false (not an error) when the source is missing or the target exists. */
  rename(src: string, dst: string): Promise<boolean>;
  /** true: done; false: block recovery in progress (retry until the length is right). */
  truncate(p: string, newLength: number): Promise<boolean>;
  delete(p: string): Promise<boolean>;
  /** File and directory names in a directory; [] when it does not exist. */
  list(dir: string): Promise<Array<{ name: string; status: FileStatus }>>;
  read(p: string, offset?: number, length?: number): Promise<Buffer>;
  close(): Promise<void>;
}

export class WebHdfsError extends Error {
  /**
   * Whether a write may have taken effect (fully or partly): true once the data request reached
   * a DataNode and did not get a clean success, e.g. a timeout, a reset connection, or an error
   * answer after the DataNode started writing. false when nothing was written for sure (the
   * NameNode step failed, or the DataNode refused the connection).
   */
  maybeApplied = false;
  constructor(readonly status: number, readonly exception: string, message: string) {
    super(message);
    this.name = 'WebHdfsError';
  }
}

export interface WebHdfsOptions {
  user: string;
  /** Impersonated user (`doas`), Flume's hdfs.proxyUser. */
  proxyUser?: string | undefined;
  /** Per-request timeout in ms (Flume's hdfs.callTimeout). */
  timeoutMs: number;
}

function encodePath(p: string): string {
  return p.split('/').map((s) => encodeURIComponent(s)).join('/');
}

export class WebHdfsClient implements TargetFs {
  readonly description: string;
  private readonly httpAgent = new Agent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 16 });
  constructor(readonly httpBase: string, private readonly opts: WebHdfsOptions) {
    this.description = `webhdfs ${httpBase} as ${opts.user}`;
  }

  url(p: string, op: string, params: Record<string, string | number | boolean> = {}): string {
    let u = `${this.httpBase}/webhdfs/v1${encodePath(p)}?op=${op}&user.name=${encodeURIComponent(this.opts.user)}`;
    if (this.opts.proxyUser) u += `&doas=${encodeURIComponent(this.opts.proxyUser)}`;
    for (const [k, v] of Object.entries(params)) u += `&${k}=${encodeURIComponent(String(v))}`;
    return u;
  }

  private async call(method: string, url: string, redirect: 'manual' | 'follow' = 'follow'): Promise<Response> {
    const init: RequestInit = { method, redirect, signal: AbortSignal.timeout(this.opts.timeoutMs) };
    try {
      return await fetch(url, init);
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') {
        throw new WebHdfsError(0, 'Timeout', `${method} ${redactUrl(url)} timed out after ${this.opts.timeoutMs} ms`);
      }
      const cause = err.cause?.code ?? err.cause?.message ?? err.message;
      throw new WebHdfsError(0, 'ConnectionError', `${method} ${redactUrl(url)} failed: ${cause}`);
    }
  }

  private static async fail(r: Response, what: string): Promise<never> {
    return WebHdfsClient.failText(r.status, await r.text().catch(() => ''), what);
  }

  private static failText(status: number, text: string, what: string): never {
    const r = { status };
    let exception = `HTTP${r.status}`;
    let message = text.slice(0, 300);
    try {
      const j = JSON.parse(text) as { RemoteException?: { exception?: string; message?: string } };
      if (j.RemoteException) {
        exception = j.RemoteException.exception ?? exception;
        message = j.RemoteException.message ?? message;
      }
    } catch { /* not JSON */ }
    throw new WebHdfsError(r.status, exception, `${what}: HTTP ${r.status} ${exception}: ${message}`);
  }

  /** Two-step write (NameNode → 307 → DataNode) used by CREATE and APPEND. */
  private async write(method: 'PUT' | 'POST', op: string, p: string, data: Buffer, params: Record<string, string | number | boolean>, ok: number): Promise<void> {
    const r1 = await this.call(method, this.url(p, op, params), 'manual');
    if (r1.status !== 307) {
      if (r1.status >= 200 && r1.status < 300) { await r1.arrayBuffer(); throw new WebHdfsError(r1.status, 'NoRedirect', `${op} ${p}: NameNode answered ${r1.status} without a DataNode redirect`); }
      await WebHdfsClient.fail(r1, `${op} ${p}`);
    }
    await r1.arrayBuffer();
    const loc = r1.headers.get('location');
    if (!loc) throw new WebHdfsError(307, 'NoLocation', `${op} ${p}: redirect without Location`);
    let r2: { status: number; body: Buffer };
    try {
      r2 = await this.upload(method, loc, data);
    } catch (e) {
      if (e instanceof WebHdfsError && e.exception !== 'ECONNREFUSED') e.maybeApplied = true;
      throw e;
    }
    if (r2.status !== ok) {
      try {
        WebHdfsClient.failText(r2.status, r2.body.toString('utf8'), `${op} ${p}`);
      } catch (e) {
        // Refusals before any byte is written (the file does not exist, lease held, permission,
        // safe mode) are clean; anything else may have written part of the data.
        if (e instanceof WebHdfsError) e.maybeApplied = !/FileNotFound|AlreadyBeingCreated|RecoveryInProgress|AccessControl|SafeMode|LeaseExpired|Standby/.test(e.exception + ' ' + e.message);
        throw e;
      }
    }
  }

  /**
   * The DataNode step goes through node:http, not fetch: Hadoop's DataNode answers every
   * PUT/POST with an unsolicited `100 Continue`, which undici's fetch rejects as a bad response.
   * One keep-alive agent per client reuses the DataNode connections.
   */
  private upload(method: string, url: string, data: Buffer): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const https = u.protocol === 'https:';
      const req = (https ? httpsRequest : httpRequest)(u, {
        method,
        agent: https ? this.httpsAgent : this.httpAgent,
        headers: { 'content-type': 'application/octet-stream', 'content-length': data.length },
        timeout: this.opts.timeoutMs,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }); });
        res.on('error', fail);
      });
      const timer = setTimeout(() => {
        req.destroy(new WebHdfsError(0, 'Timeout', `${method} ${redactUrl(url)} timed out after ${this.opts.timeoutMs} ms`));
      }, this.opts.timeoutMs);
      function fail(e: Error): void {
        clearTimeout(timer);
        const code = (e as NodeJS.ErrnoException).code;
        reject(e instanceof WebHdfsError ? e : new WebHdfsError(0, code === 'ECONNREFUSED' ? 'ECONNREFUSED' : 'ConnectionError', `${method} ${redactUrl(url)} failed: ${code ?? e.message}`));
      }
      req.on('error', fail);
      req.end(data);
    });
  }

  create(p: string, data: Buffer): Promise<void> {
    return this.write('PUT', 'CREATE', p, data, { overwrite: false }, 201);
  }

  append(p: string, data: Buffer): Promise<void> {
    return this.write('POST', 'APPEND', p, data, {}, 200);
  }

  async status(p: string): Promise<FileStatus | null> {
    const r = await this.call('GET', this.url(p, 'GETFILESTATUS'));
    if (r.status === 404) { await r.arrayBuffer(); return null; }
    if (r.status !== 200) await WebHdfsClient.fail(r, `GETFILESTATUS ${p}`);
    const j = (await r.json()) as { FileStatus: FileStatus };
    return j.FileStatus;
  }

  private async bool(method: string, op: string, p: string, params: Record<string, string | number | boolean>): Promise<boolean> {
    const r = await this.call(method, this.url(p, op, params));
    if (r.status !== 200) await WebHdfsClient.fail(r, `${op} ${p}`);
    const j = (await r.json()) as { boolean?: unknown };
    if (typeof j.boolean !== 'boolean') throw new WebHdfsError(200, 'BadResponse', `${op} ${p}: unexpected answer ${JSON.stringify(j)}`);
    return j.boolean;
  }

  rename(src: string, dst: string): Promise<boolean> {
    return this.bool('PUT', 'RENAME', src, { destination: dst });
  }

  truncate(p: string, newLength: number): Promise<boolean> {
    return this.bool('POST', 'TRUNCATE', p, { newlength: newLength });
  }

  delete(p: string): Promise<boolean> {
    return this.bool('DELETE', 'DELETE', p, { recursive: false });
  }

  async list(dir: string): Promise<Array<{ name: string; status: FileStatus }>> {
    const r = await this.call('GET', this.url(dir, 'LISTSTATUS'));
    if (r.status === 404) { await r.arrayBuffer(); return []; }
    if (r.status !== 200) await WebHdfsClient.fail(r, `LISTSTATUS ${dir}`);
    const j = (await r.json()) as { FileStatuses: { FileStatus: Array<FileStatus & { pathSuffix: string }> } };
    return j.FileStatuses.FileStatus.map((s) => ({ name: s.pathSuffix, status: s }));
  }

  async read(p: string, offset = 0, length?: number): Promise<Buffer> {
    const params: Record<string, number> = { offset };
    if (length !== undefined) params.length = length;
    const r = await this.call('GET', this.url(p, 'OPEN', params));
    if (r.status !== 200) await WebHdfsClient.fail(r, `OPEN ${p}`);
    return Buffer.from(await r.arrayBuffer());
  }

  async mkdirs(p: string): Promise<boolean> {
    return this.bool('PUT', 'MKDIRS', p, {});
  }

  close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    return Promise.resolve();
  }
}

function redactUrl(u: string): string {
  // DataNode redirect URLs carry delegation parameters; keep messages short.
  const i = u.indexOf('?');
  return i < 0 ? u : u.slice(0, i) + '?' + (/op=\w+/.exec(u)?.[0] ?? '');
}

/** `file:///` paths: the same operations on local files (data written with write + fsync). */
export class LocalFs implements TargetFs {
  readonly description = 'local file system';
  private write(p: string, data: Buffer, flags: string): void {
    mkdirSync(path.dirname(p), { recursive: true });
    const fd = openSync(p, flags);
    try {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  create(p: string, data: Buffer): Promise<void> {
    return attempt(() => this.write(p, data, 'wx'));
  }
  append(p: string, data: Buffer): Promise<void> {
    return attempt(() => {
      if (!existsSync(p)) throw new WebHdfsError(404, 'FileNotFoundException', `File does not exist: ${p}`);
      this.write(p, data, 'a');
    });
  }
  status(p: string): Promise<FileStatus | null> {
    return attempt(() => {
      if (!existsSync(p)) return null;
      const s = statSync(p);
      return { length: s.size, type: s.isDirectory() ? 'DIRECTORY' : 'FILE', modificationTime: s.mtimeMs };
    });
  }
  rename(src: string, dst: string): Promise<boolean> {
    return attempt(() => {
      if (!existsSync(src) || existsSync(dst)) return false;
      renameSync(src, dst);
      return true;
    });
  }
  truncate(p: string, newLength: number): Promise<boolean> {
    return attempt(() => { truncateSync(p, newLength); return true; });
  }
  delete(p: string): Promise<boolean> {
    return attempt(() => { if (!existsSync(p)) return false; unlinkSync(p); return true; });
  }
  list(dir: string): Promise<Array<{ name: string; status: FileStatus }>> {
    return attempt(() => {
      if (!existsSync(dir)) return [];
      return readdirSync(dir).map((name) => {
        const s = statSync(path.join(dir, name));
        return { name, status: { length: s.size, type: s.isDirectory() ? 'DIRECTORY' as const : 'FILE' as const, modificationTime: s.mtimeMs } };
      });
    });
  }
  read(p: string, offset = 0, length?: number): Promise<Buffer> {
    return attempt(() => {
      const b = readFileSync(p);
      return b.subarray(offset, length === undefined ? undefined : offset + length);
    });
  }
  close(): Promise<void> { return Promise.resolve(); }
}

function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

/**
 * Acceptance of the local stack's HDFS through WebHDFS with Node's own fetch: write (CREATE),
 * append, rename, list and read a file, each data operation going through the NameNode's 307
 * redirect to the DataNode. Also checks the home directory and Hadoop's own CLI
 * (`stack.sh hdfs dfs -cat/-text`) on files written this way.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runStack, stackEnv } from './stack-env.js';

const env = stackEnv();
const dir = `${env.hdfsHome}/stack-test-${randomUUID()}`;

function nn(path: string, op: string, params: Record<string, string> = {}): string {
  const q = new URLSearchParams({ op, 'user.name': env.hdfsUser, ...params });
  return `${env.webhdfsUrl}/webhdfs/v1${path}?${q.toString()}`;
}

interface FileStatus {
  pathSuffix: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  length: number;
  owner: string;
  replication: number;
}

async function json<T>(r: Response): Promise<T> {
  const text = await r.text();
  if (!r.ok) throw new Error(`HTTP ${r.status}: ${text}`);
  return JSON.parse(text) as T;
}

interface DataNodeReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** status codes of interim (1xx) responses the DataNode sent before the final one */
  interim: number[];
}

/**
 * The DataNode's WebHDFS handler answers every CREATE/APPEND data request with an unsolicited
 * `HTTP/1.1 100 Continue` before the final status. Node's fetch (undici 6) rejects that with
 * "SocketError: bad response", so the data step uses node:http, which reports 1xx responses as
 * 'information' events and then delivers the final response.
 */
function sendToDataNode(method: 'PUT' | 'POST', url: URL, body: Uint8Array | string): Promise<DataNodeReply> {
  return new Promise((resolveReply, reject) => {
    const interim: number[] = [];
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    const req = httpRequest(url, { method, headers: { 'content-type': 'application/octet-stream', 'content-length': data.byteLength } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolveReply({ status: res.statusCode ?? 0, headers: res.headers, body: text, interim }));
      res.on('error', reject);
    });
    req.on('information', (info) => interim.push(info.statusCode));
    req.on('error', reject);
    req.end(data);
  });
}

/** Two-step write as WebHDFS specifies: no body to the NameNode (307), then the bytes to the DataNode. */
async function twoStep(method: 'PUT' | 'POST', url: string, body: Uint8Array | string): Promise<{ location: URL; reply: DataNodeReply }> {
  const first = await fetch(url, { method, redirect: 'manual' });
  expect(first.status).toBe(307);
  const loc = first.headers.get('location');
  expect(loc).toBeTruthy();
  const location = new URL(loc ?? '');
  return { location, reply: await sendToDataNode(method, location, body) };
}

describe('local stack: HDFS through WebHDFS', () => {
  afterAll(async () => {
    await fetch(nn(dir, 'DELETE', { recursive: 'true' }), { method: 'DELETE' });
  });

  it('has /user/bigdata owned by the running user', async () => {
    const st = await json<{ FileStatus: FileStatus }>(await fetch(nn(env.hdfsHome, 'GETFILESTATUS')));
    expect(st.FileStatus.type).toBe('DIRECTORY');
    expect(st.FileStatus.owner).toBe(env.hdfsUser);
  });

  it('writes, appends, renames, lists and reads a file, redirected to the DataNode on 127.0.0.1', async () => {
    const mk = await json<{ boolean: boolean }>(await fetch(nn(dir, 'MKDIRS'), { method: 'PUT' }));
    expect(mk.boolean).toBe(true);

    const part1 = 'line 1: 199.72.81.55 - - [01/Jul/1995:00:00:01 -0400] "GET /history/apollo/ HTTP/1.0" 200 6245\n';
    const part2 = 'line 2: unicode é ü ✓\n';
    const created = await twoStep('PUT', nn(`${dir}/a.log.tmp`, 'CREATE', { overwrite: 'false' }), part1);
    // The redirect names the DataNode by the address it advertises (127.0.0.1), reachable from here.
    expect(created.location.hostname).toBe('127.0.0.1');
    expect(created.location.port).not.toBe(new URL(env.webhdfsUrl).port);
    expect(created.reply.status).toBe(201);
    expect(created.reply.headers.location).toMatch(/^hdfs:\/\//);

    const appended = await twoStep('POST', nn(`${dir}/a.log.tmp`, 'APPEND'), part2);
    expect(appended.location.hostname).toBe('127.0.0.1');
    expect(appended.reply.status).toBe(200);

    const renamed = await json<{ boolean: boolean }>(
      await fetch(nn(`${dir}/a.log.tmp`, 'RENAME', { destination: `${dir}/a.log` }), { method: 'PUT' }),
    );
    expect(renamed.boolean).toBe(true);

    const list = await json<{ FileStatuses: { FileStatus: FileStatus[] } }>(await fetch(nn(dir, 'LISTSTATUS')));
    const expectedBytes = Buffer.byteLength(part1 + part2);
    expect(list.FileStatuses.FileStatus.map((f) => [f.pathSuffix, f.type, f.length, f.owner, f.replication])).toEqual([
      ['a.log', 'FILE', expectedBytes, env.hdfsUser, 1],
    ]);

    // OPEN: let fetch follow the 307 itself and check it ended on the DataNode.
    const read = await fetch(nn(`${dir}/a.log`, 'OPEN'));
    expect(read.status).toBe(200);
    expect(read.redirected).toBe(true);
    expect(new URL(read.url).hostname).toBe('127.0.0.1');
    expect(await read.text()).toBe(part1 + part2);

    // Ranged read (offset/length) also goes through the DataNode.
    const ranged = await fetch(nn(`${dir}/a.log`, 'OPEN', { offset: '8', length: '12' }));
    expect(await ranged.text()).toBe(part1.slice(8, 20));
  });

  it("lets Hadoop's own CLI (stack.sh hdfs dfs) read what WebHDFS wrote, including -text on gzip", async () => {
    const text = 'hello from webhdfs\nsecond line\n';
    const plain = await twoStep('PUT', nn(`${dir}/cli/cli.txt`, 'CREATE', { overwrite: 'true' }), text);
    expect(plain.reply.status).toBe(201);
    const gz = await twoStep('PUT', nn(`${dir}/cli/cli.txt.gz`, 'CREATE', { overwrite: 'true' }), gzipSync(Buffer.from(text)));
    expect(gz.reply.status).toBe(201);

    const cat = await runStack(['hdfs', 'dfs', '-cat', `${dir}/cli/cli.txt`], { timeoutMs: 120_000 });
    expect(cat.stderr).toBe('');
    expect(cat.code).toBe(0);
    expect(cat.stdout).toBe(text);

    const unzipped = await runStack(['hdfs', 'dfs', '-text', `hdfs://${new URL(env.hdfsDefaultFs).host}${dir}/cli/cli.txt.gz`], { timeoutMs: 120_000 });
    expect(unzipped.code).toBe(0);
    expect(unzipped.stdout).toBe(text);

    // hdfs:/// (empty authority) resolves through fs.defaultFS of the generated HADOOP_CONF_DIR.
    const ls = await runStack(['hdfs', 'dfs', '-ls', '-C', `hdfs://${dir}/cli`], { timeoutMs: 120_000 });
    expect(ls.code).toBe(0);
    expect(ls.stdout.trim().split('\n').sort()).toEqual([`hdfs://${dir}/cli/cli.txt`, `hdfs://${dir}/cli/cli.txt.gz`]);
  });
});

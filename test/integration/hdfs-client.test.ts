import { describe, expect, it } from 'vitest';
import { loadHadoopConf, resolveTarget } from '../../src/hdfs/conf.js';
import { WebHdfsClient, WebHdfsError } from '../../src/hdfs/webhdfs.js';
import { stackEnv } from './stack-env.js';

describe('WebHDFS client against the stack HDFS', () => {
  const env = stackEnv();
  const conf = loadHadoopConf(env.hadoopConfDir);
  const { target } = resolveTarget('hdfs:///user/bigdata/x', conf);
  if (target.kind !== 'webhdfs') throw new Error('expected webhdfs');
  const c = new WebHdfsClient(target.httpBase, { user: env.hdfsUser, timeoutMs: 30000 });
  const dir = `${env.hdfsHome}/tsagent-client-test-${process.pid}-${Date.now()}`;

  it('resolves hdfs:/// through HADOOP_CONF_DIR to the NameNode HTTP address', () => {
    expect(target.httpBase).toBe(env.webhdfsUrl);
  });

  it('create, append, status, read, rename (true and false), truncate, list, delete', async () => {
    const f = `${dir}/a b%.tmp`;
    await c.create(f, Buffer.from('hello\n'));
    await expect(c.create(f, Buffer.from('x'))).rejects.toBeInstanceOf(WebHdfsError);
    await c.append(f, Buffer.from('world\n'));
    expect((await c.status(f))?.length).toBe(12);
    expect((await c.read(f)).toString()).toBe('hello\nworld\n');
    expect(await c.status(`${dir}/missing`)).toBeNull();
    expect(await c.rename(f, `${dir}/final`)).toBe(true);
    expect(await c.rename(f, `${dir}/final2`)).toBe(false);
    // Mid-block truncation answers false (block recovery runs); the length follows shortly.
    expect(typeof (await c.truncate(`${dir}/final`, 6))).toBe('boolean');
    for (let i = 0; i < 100 && (await c.status(`${dir}/final`))?.length !== 6; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await c.read(`${dir}/final`)).toString()).toBe('hello\n');
    expect((await c.list(dir)).map((e) => e.name)).toEqual(['final']);
    expect(await c.list(`${dir}/nope`)).toEqual([]);
    expect(await c.delete(`${dir}/final`)).toBe(true);
    expect(await c.delete(dir)).toBe(true);
  });

  it('reports a RemoteException with its class name', async () => {
    const err = await c.append(`${dir}/nope/none`, Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebHdfsError);
    expect((err as WebHdfsError).exception).toBe('FileNotFoundException');
  });
});

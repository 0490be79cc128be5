import { describe, expect, it } from 'vitest';
import { parseHadoopXml, resolveTarget, type HadoopConf } from '../../src/hdfs/conf.js';

const XML = `<?xml version="1.0"?>
<configuration>
  <!-- <property><name>fs.defaultFS</name><value>hdfs://commented:1</value></property> -->
  <property><name>fs.defaultFS</name><value>hdfs://nn1.example.com:8020</value></property>
  <property>
    <name>dfs.namenode.rpc-address</name>
    <value>nn1.example.com:8020</value>
  </property>
  <property><name>dfs.namenode.http-address</name><value>0.0.0.0:50070</value></property>
  <property><name>dfs.ha.namenodes.prod</name><value>a, b</value></property>
  <property><name>dfs.namenode.http-address.prod.a</name><value>nna.example.com:9870</value></property>
  <property><name>x.amp</name><value>a&amp;b</value></property>
</configuration>`;

describe('Hadoop configuration and hdfs.path resolution', () => {
  const conf = parseHadoopXml(XML);
  it('parses core-site/hdfs-site properties (comments skipped, entities decoded)', () => {
    expect(conf.get('fs.defaultFS')).toBe('hdfs://nn1.example.com:8020');
    expect(conf.get('dfs.namenode.rpc-address')).toBe('nn1.example.com:8020');
    expect(conf.get('x.amp')).toBe('a&b');
  });

  const CASES: Array<[string, HadoopConf, string, string]> = [
    ['hdfs:///user/x/%y', conf, 'webhdfs http://nn1.example.com:50070', '/user/x/%y'],
    ['/user/x', conf, 'webhdfs http://nn1.example.com:50070', '/user/x'],
    ['hdfs://nn1.example.com:8020/p', conf, 'webhdfs http://nn1.example.com:50070', '/p'],
    ['hdfs://other:8020/p', conf, 'webhdfs http://other:9870', '/p'],
    ['hdfs://prod/p', conf, 'webhdfs http://nna.example.com:9870', '/p'],
    ['webhdfs://h:14000/p', conf, 'webhdfs http://h:14000', '/p'],
    ['swebhdfs://h/p', conf, 'webhdfs https://h:9871', '/p'],
    ['file:///tmp/x', conf, 'local', '/tmp/x'],
    ['file:/tmp/x', conf, 'local', '/tmp/x'],
    ['/tmp/x', new Map(), 'local', '/tmp/x'],
  ];
  it.each(CASES)('%s', (p, c, want, wantPath) => {
    const { target, path } = resolveTarget(p, c);
    expect(target.kind === 'local' ? 'local' : `webhdfs ${target.httpBase}`).toBe(want);
    expect(path).toBe(wantPath);
  });

  it.each([
    ['hdfs:///p', new Map<string, string>(), 'Incomplete HDFS URI, no host: hdfs:///p'],
    ['hdfs:///p', new Map([['fs.defaultFS', 'file:///']]), 'Incomplete HDFS URI, no host: hdfs:///p'],
    ['s3a://bucket/p', new Map<string, string>(), 'No FileSystem for scheme "s3a"'],
  ])('%s fails as Hadoop does', (p, c, msg) => {
    expect(() => resolveTarget(p, c)).toThrow(msg);
  });
});

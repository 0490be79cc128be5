/**
 * Hadoop client configuration (core-site.xml, hdfs-site.xml from HADOOP_CONF_DIR) and the
 * resolution of an `hdfs.path` URI to where the files go, as a Hadoop client would:
 *
 * - no scheme (`/p`) or empty authority (`hdfs:///p`) → fs.defaultFS; for `hdfs:///p` the
 *   default FS must be `hdfs://host[:port]`, else Hadoop's `Incomplete HDFS URI, no host: <uri>`.
 * - `hdfs://host:port/p` → the NameNode's HTTP address (dfs.namenode.http-address[.<ns>.<nn>]
 *   when it belongs to that RPC address or nameservice, else host:9870).
 * - `webhdfs://host:port/p` (http), `swebhdfs://host:port/p` (https).
 * - `file:///p` → the local file system.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';

export type HadoopConf = Map<string, string>;

const PROP_RE = /<property\b[^>]*>([\s\S]*?)<\/property>/g;
const NAME_RE = /<name>\s*([\s\S]*?)\s*<\/name>/;
const VALUE_RE = /<value>([\s\S]*?)<\/value>/;

function unxml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

export function parseHadoopXml(xml: string, into: HadoopConf = new Map()): HadoopConf {
  const noComments = xml.replace(/<!--[\s\S]*?-->/g, '');
  for (const m of noComments.matchAll(PROP_RE)) {
    const body = m[1]!;
    const n = NAME_RE.exec(body);
    const v = VALUE_RE.exec(body);
    if (n && v) into.set(unxml(n[1]!.trim()), unxml(v[1]!.trim()));
  }
  return into;
}

/** The Hadoop configuration directory a client would use (HADOOP_CONF_DIR, else $HADOOP_HOME/etc/hadoop). */
export function hadoopConfDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HADOOP_CONF_DIR) return env.HADOOP_CONF_DIR;
  if (env.HADOOP_HOME) return path.join(env.HADOOP_HOME, 'etc', 'hadoop');
  return undefined;
}

export function loadHadoopConf(dir: string | undefined): HadoopConf {
  const conf: HadoopConf = new Map();
  if (!dir) return conf;
  for (const f of ['core-site.xml', 'hdfs-site.xml']) {
    const p = path.join(dir, f);
    if (existsSync(p)) parseHadoopXml(readFileSync(p, 'utf8'), conf);
  }
  return conf;
}

export function hadoopUser(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HADOOP_USER_NAME) return env.HADOOP_USER_NAME;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'root';
  }
}

export type Target =
  | { kind: 'webhdfs'; /** e.g. http://127.0.0.1:9870 */ httpBase: string; /** the FS URI as written/derived, for messages */ fsUri: string }
  | { kind: 'local'; fsUri: string };

export class PathResolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathResolutionError';
  }
}

const URI_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/]*)(.*)$/;

/** Splits `scheme://authority/path` → parts; a scheme-less path has scheme ''. */
export function splitUri(p: string): { scheme: string; authority: string; path: string } {
  const m = URI_RE.exec(p);
  if (m) return { scheme: m[1]!.toLowerCase(), authority: m[2]!, path: m[3]! };
  const f = /^file:(\/.*)$/.exec(p);
  if (f) return { scheme: 'file', authority: '', path: f[1]! };
  return { scheme: '', authority: '', path: p };
}

function httpForRpc(conf: HadoopConf, authority: string): string {
  const [host, port] = authority.split(':') as [string, string | undefined];
  // HA / federation nameservice: dfs.ha.namenodes.<ns> lists the NameNodes.
  const nns = conf.get(`dfs.ha.namenodes.${authority}`);
  if (nns) {
    for (const nn of nns.split(',').map((s) => s.trim()).filter(Boolean)) {
      const h = conf.get(`dfs.namenode.http-address.${authority}.${nn}`);
      if (h) return h;
    }
  }
  const http = conf.get('dfs.namenode.http-address');
  const rpc = conf.get('dfs.namenode.rpc-address');
  const def = conf.get('fs.defaultFS');
  const defAuth = def ? splitUri(def).authority : undefined;
  if (http && (rpc === authority || defAuth === authority || rpc?.split(':')[0] === host)) {
    const [hh, hp] = http.split(':');
    // 0.0.0.0 means "all interfaces" on the server side; use the RPC host.
    return `${hh === '0.0.0.0' ? host : hh}:${hp ?? '9870'}`;
  }
  void port;
  return `${host}:9870`;
}

/**
 * Resolves the file-system part of an `hdfs.path` (escapes in the path part are fine; the
 * scheme and authority must be literal).
 */
export function resolveTarget(hdfsPath: string, conf: HadoopConf): { target: Target; path: string } {
  let { scheme, authority, path: p } = splitUri(hdfsPath);
  if (scheme === '') {
    const def = conf.get('fs.defaultFS') ?? conf.get('fs.default.name') ?? 'file:///';
    const d = splitUri(def);
    scheme = d.scheme;
    authority = d.authority;
  } else if (authority === '' && scheme !== 'file') {
    const def = conf.get('fs.defaultFS') ?? conf.get('fs.default.name');
    const d = def ? splitUri(def) : undefined;
    if (d && d.scheme === scheme && d.authority !== '') authority = d.authority;
    else throw new PathResolutionError(`Incomplete HDFS URI, no host: ${hdfsPath}`);
  }
  if (p === '') p = '/';
  switch (scheme) {
    case 'file':
      return { target: { kind: 'local', fsUri: 'file:///' }, path: p };
    case 'hdfs':
      return { target: { kind: 'webhdfs', httpBase: `http://${httpForRpc(conf, authority)}`, fsUri: `hdfs://${authority}` }, path: p };
    case 'webhdfs':
      return { target: { kind: 'webhdfs', httpBase: `http://${authority.includes(':') ? authority : authority + ':9870'}`, fsUri: `webhdfs://${authority}` }, path: p };
    case 'swebhdfs':
      return { target: { kind: 'webhdfs', httpBase: `https://${authority.includes(':') ? authority : authority + ':9871'}`, fsUri: `swebhdfs://${authority}` }, path: p };
    default:
      throw new PathResolutionError(`No FileSystem for scheme "${scheme}" (${hdfsPath}); tsagent supports hdfs, webhdfs, swebhdfs and file`);
  }
}

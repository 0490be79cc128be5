/**
 * How the runner watches the pipeline: Kafka end offsets (kafkajs admin), the agents' Flume HTTP
 * metrics, the HDFS sink's files (WebHDFS), and the analyzer's console output (the
 * total_requests table).
 */
import { WebHdfsClient } from '../hdfs/webhdfs.js';

type KafkaJs = typeof import('kafkajs');
type Admin = ReturnType<InstanceType<KafkaJs['Kafka']>['admin']>;

/** A short-lived kafkajs admin client (no kafkajs logging). */
export class KafkaAdmin {
  private admin: Admin | null = null;
  constructor(private readonly brokers: string[]) {}

  private async get(): Promise<Admin> {
    if (this.admin) return this.admin;
    const { Kafka, logLevel } = await import('kafkajs');
    const admin = new Kafka({ clientId: 'tsagent-pipeline', brokers: this.brokers, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 300 } }).admin();
    await admin.connect();
    this.admin = admin;
    return admin;
  }

  /** partition -> high watermark (end offset). */
  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    const a = await this.get();
    const m = new Map<number, bigint>();
    for (const p of await a.fetchTopicOffsets(topic)) m.set(p.partition, BigInt(p.high));
    return m;
  }

  async topicExists(topic: string): Promise<boolean> {
    const a = await this.get();
    return (await a.listTopics()).includes(topic);
  }

  async createTopic(topic: string, partitions: number): Promise<void> {
    const a = await this.get();
    await a.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  }

  async deleteTopic(topic: string): Promise<void> {
    const a = await this.get();
    await a.deleteTopics({ topics: [topic], timeout: 10_000 });
  }

  /** Members of a consumer group (0 when it does not exist). */
  async groupMembers(groupId: string): Promise<number> {
    const a = await this.get();
    const d = await a.describeGroups([groupId]);
    return d.groups[0]?.members.length ?? 0;
  }

  /** Commit the end of every partition for `groupId` (the group must have no active member). */
  async groupToEnd(groupId: string, topic: string): Promise<void> {
    const a = await this.get();
    const offs = await a.fetchTopicOffsets(topic);
    await a.setOffsets({ groupId, topic, partitions: offs.map((o) => ({ partition: o.partition, offset: o.high })) });
  }

  async deleteGroup(groupId: string): Promise<void> {
    const a = await this.get();
    await a.deleteGroups([groupId]).catch(() => undefined);
  }

  async close(): Promise<void> {
    const a = this.admin;
    this.admin = null;
    if (a) await a.disconnect().catch(() => undefined);
  }
}

export function offsetsDelta(before: Map<number, bigint>, after: Map<number, bigint>): { total: number; perPartition: Array<[number, number]> } {
  const per: Array<[number, number]> = [];
  let total = 0;
  for (const [p, hi] of [...after].sort((x, y) => x[0] - y[0])) {
    const d = Number(hi - (before.get(p) ?? 0n));
    per.push([p, d]);
    total += d;
  }
  return { total, perPartition: per };
}

/** Flume HTTP metrics of an agent (`-Dflume.monitoring.type=http`): component -> counter -> number. */
export async function fetchMetrics(port: number): Promise<Map<string, Map<string, number>>> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3000) });
  const j = (await r.json()) as Record<string, Record<string, string>>;
  const out = new Map<string, Map<string, number>>();
  for (const [k, v] of Object.entries(j)) {
    const m = new Map<string, number>();
    for (const [c, n] of Object.entries(v)) m.set(c, Number(n));
    out.set(k, m);
  }
  return out;
}

export function counter(m: Map<string, Map<string, number>> | null, component: string, name: string): number {
  return m?.get(component)?.get(name) ?? 0;
}

export interface HdfsFile {
  path: string;
  name: string;
  bytes: number;
  inUse: boolean;
  counter: number;
  lines?: number;
}

export interface HdfsLayout {
  /** Directory path (no scheme) with escapes, e.g. /user/bigdata/apache_logs/%y-%m-%d */
  dir: string;
  filePrefix: string;
  fileSuffix: string;
  inUsePrefix: string;
  inUseSuffix: string;
}

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The path part of hdfs:///p, hdfs://host:port/p, webhdfs://..., or /p. */
export function hdfsPathPart(p: string): string {
  const m = /^[a-z]+:\/\/[^/]*(\/.*)$/i.exec(p);
  return m ? m[1]! : p;
}

/**
 * The HDFS sink's files under the layout's static base (the directories before the first
 * escape), down to the escaped levels; only names `<inUsePrefix><prefix>.<counter><suffix>[<inUseSuffix>]`
 * with counter >= minCounter (files opened by this run's agent).
 */
export async function listSinkFiles(client: WebHdfsClient, layout: HdfsLayout, minCounter: number): Promise<HdfsFile[]> {
  const segs = layout.dir.split('/').filter(Boolean);
  const firstEsc = segs.findIndex((s) => s.includes('%'));
  const base = '/' + (firstEsc < 0 ? segs : segs.slice(0, firstEsc)).join('/');
  const depth = firstEsc < 0 ? 0 : segs.length - firstEsc;
  const prefixIsStatic = !layout.filePrefix.includes('%');
  const re = new RegExp(`^${layout.inUsePrefix ? `(?:${reEscape(layout.inUsePrefix)})?` : ''}${prefixIsStatic ? reEscape(layout.filePrefix) : '.*'}\\.(\\d+)${reEscape(layout.fileSuffix)}(${reEscape(layout.inUseSuffix)})?$`);
  const out: HdfsFile[] = [];
  const walk = async (dir: string, level: number): Promise<void> => {
    for (const e of await client.list(dir)) {
      const p = `${dir === '/' ? '' : dir}/${e.name}`;
      if (e.status.type === 'DIRECTORY') {
        if (level < depth) await walk(p, level + 1);
        continue;
      }
      if (level !== depth) continue;
      const m = re.exec(e.name);
      if (!m) continue;
      const c = Number(m[1]);
      if (c < minCounter) continue;
      out.push({ path: p, name: e.name, bytes: e.status.length, inUse: m[2] !== undefined && m[2] !== '', counter: c });
    }
  };
  await walk(base, 0);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Newline count of a file, read in ranges (never the whole file in one buffer). */
export async function countLines(client: WebHdfsClient, p: string, bytes: number): Promise<number> {
  const STEP = 64 << 20;
  let n = 0;
  for (let off = 0; off < bytes; off += STEP) {
    const b = await client.read(p, off, Math.min(STEP, bytes - off));
    let i = -1;
    while ((i = b.indexOf(10, i + 1)) !== -1) n++;
  }
  return n;
}

/**
 * Follows the analyzer's console output and keeps the latest total_requests per window
 * (a window's count only grows; windows older than the numRows shown keep their last value).
 */
export class TotalRequestsTracker {
  readonly windows = new Map<string, number>();
  batches = 0;
  lastBatch = -1;
  private state: 'idle' | 'header' | 'rows' = 'idle';
  private readonly column: string;
  constructor(column = 'total_requests') { this.column = column; }

  get total(): number {
    let t = 0;
    for (const v of this.windows.values()) t += v;
    return t;
  }

  /** Feed one line of the analyzer's stdout. Returns true when the total changed. */
  line(l: string): boolean {
    const b = /^Batch: (\d+)$/.exec(l);
    if (b) { const id = Number(b[1]); if (id !== this.lastBatch) this.batches++; this.lastBatch = id; this.state = 'idle'; return false; }
    if (this.state === 'idle') {
      if (l.startsWith('|')) {
        const cells = l.split('|').slice(1, -1).map((c) => c.trim());
        if (cells.length === 2 && cells[0] === 'window' && cells[1] === this.column) this.state = 'header';
      }
      return false;
    }
    if (l.startsWith('+')) {
      if (this.state === 'header') { this.state = 'rows'; return false; }
      this.state = 'idle';
      return false;
    }
    if (this.state === 'rows' && l.startsWith('|')) {
      const cells = l.split('|').slice(1, -1).map((c) => c.trim());
      if (cells.length === 2) {
        const n = Number(cells[1]);
        if (Number.isFinite(n) && this.windows.get(cells[0]!) !== n) { this.windows.set(cells[0]!, n); return true; }
      }
      return false;
    }
    this.state = 'idle';
    return false;
  }
}

/**
 * Sink group processors (Flume's FailoverSinkProcessor and LoadBalancingSinkProcessor).
 */
import type { Sink, SinkProcessor, Channel } from '../core/contracts.js';
import { EventDeliveryException, errorMessage } from '../core/errors.js';
import type { Clock, Status } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';

export interface GroupMember { name: string; sink: Sink; channel: Channel }

export class FailoverSinkProcessor implements SinkProcessor {
  private readonly live: GroupMember[];
  private readonly failed: Array<{ m: GroupMember; failures: number; until: number }> = [];
  private readonly prio = new Map<GroupMember, number>();

  constructor(members: GroupMember[], props: ReadonlyMap<string, string>, private readonly maxPenalty: number, private readonly clock: Clock, private readonly log: Logger) {
    let next = -1;
    const seen = new Set<number>();
    const kept: GroupMember[] = [];
    for (const m of members) {
      const raw = props.get(`priority.${m.name}`);
      let p = raw !== undefined && /^[+-]?\d+$/.test(raw.trim()) ? Number(raw.trim()) : next--;
      if (seen.has(p)) {
        this.log.warn(`Sink ${m.name} not added to FailverSinkProcessor as priority duplicates that of sink ${kept.find((k) => this.prio.get(k) === p)?.name}`);
        continue;
      }
      seen.add(p);
      this.prio.set(m, p);
      kept.push(m);
      p = 0;
    }
    this.live = kept.sort((a, b) => this.prio.get(b)! - this.prio.get(a)!);
  }

  async start(): Promise<void> { for (const m of this.live) await m.sink.start(m.channel); }
  async stop(): Promise<void> {
    for (const m of [...this.live, ...this.failed.map((f) => f.m)]) await m.sink.stop();
  }

  private fail(m: GroupMember, failures: number): void {
    const penalty = Math.min(this.maxPenalty, 2 ** failures * 1000);
    this.failed.push({ m, failures, until: this.clock.now() + penalty });
    this.failed.sort((a, b) => a.until - b.until);
  }

  async process(): Promise<Status> {
    const now = this.clock.now();
    // Retry failed sinks whose penalty expired.
    while (this.failed.length > 0 && this.failed[0]!.until <= now) {
      const f = this.failed.shift()!;
      try {
        const st = await f.m.sink.process();
        this.live.push(f.m);
        this.live.sort((a, b) => this.prio.get(b)! - this.prio.get(a)!);
        return st;
      } catch (e) {
        this.log.warn(`Sink ${f.m.name} failed again: ${errorMessage(e)}`);
        this.fail(f.m, f.failures + 1);
      }
    }
    while (this.live.length > 0) {
      const m = this.live[0]!;
      try {
        return await m.sink.process();
      } catch (e) {
        this.live.shift();
        this.log.warn(`Sink ${m.name} failed and has been sent to failover list: ${errorMessage(e)}`);
        this.fail(m, 1);
      }
    }
    throw new EventDeliveryException('All sinks failed to process, nothing left to failover to');
  }
}

export class LoadBalancingSinkProcessor implements SinkProcessor {
  private rr = 0;
  private readonly penalty = new Map<GroupMember, { n: number; until: number }>();
  constructor(
    private readonly members: GroupMember[],
    private readonly selector: 'round_robin' | 'random',
    private readonly backoff: boolean,
    private readonly maxTimeOut: number,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}
  async start(): Promise<void> { for (const m of this.members) await m.sink.start(m.channel); }
  async stop(): Promise<void> { for (const m of this.members) await m.sink.stop(); }

  private order(): GroupMember[] {
    const now = this.clock.now();
    let list = this.members.filter((m) => !this.backoff || (this.penalty.get(m)?.until ?? 0) <= now);
    if (list.length === 0) list = [...this.members];
    if (this.selector === 'random') {
      for (let i = list.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [list[i], list[j]] = [list[j]!, list[i]!]; }
      return list;
    }
    const start = this.rr++ % list.length;
    return [...list.slice(start), ...list.slice(0, start)];
  }

  async process(): Promise<Status> {
    for (const m of this.order()) {
      try {
        const st = await m.sink.process();
        this.penalty.delete(m);
        return st;
      } catch (e) {
        this.log.warn(`Sink ${m.name} failed: ${errorMessage(e)}`);
        if (this.backoff) {
          const n = (this.penalty.get(m)?.n ?? 0) + 1;
          this.penalty.set(m, { n, until: this.clock.now() + Math.min(this.maxTimeOut, 2 ** n * 1000) });
        }
      }
    }
    throw new EventDeliveryException('All configured sinks have failed');
  }
}

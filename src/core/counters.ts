/**
 * Flume's counters. Names (attributes) are exactly Flume's MBean getter names so that the
 * HTTP /metrics JSON matches Flume's shape: {"SOURCE.r1": {"EventReceivedCount": "12", ...}}.
 * Counters are plain numeric fields in a record: incrementing one is a property add.
 */
export type CounterType = 'SOURCE' | 'CHANNEL' | 'SINK' | 'OTHER';

export const SOURCE_COUNTERS = [
  'EventReceivedCount', 'EventAcceptedCount', 'AppendReceivedCount', 'AppendAcceptedCount',
  'AppendBatchReceivedCount', 'AppendBatchAcceptedCount', 'OpenConnectionCount', 'EventReadFail',
  'ChannelWriteFail', 'GenericProcessingFail',
] as const;
export const KAFKA_SOURCE_COUNTERS = [
  'KafkaEventGetTimer', 'KafkaCommitTimer', 'KafkaEmptyCount', 'EventReceivedCount', 'EventAcceptedCount',
  'AppendReceivedCount', 'AppendAcceptedCount', 'AppendBatchReceivedCount', 'AppendBatchAcceptedCount',
  'OpenConnectionCount',
] as const;
export const CHANNEL_COUNTERS = [
  'ChannelSize', 'EventPutAttemptCount', 'EventTakeAttemptCount', 'EventPutSuccessCount',
  'EventTakeSuccessCount', 'ChannelCapacity',
] as const;
export const SINK_COUNTERS = [
  'ConnectionCreatedCount', 'ConnectionClosedCount', 'ConnectionFailedCount', 'BatchEmptyCount',
  'BatchUnderflowCount', 'BatchCompleteCount', 'EventDrainAttemptCount', 'EventDrainSuccessCount',
  'EventWriteFail', 'ChannelReadFail',
] as const;
export const KAFKA_SINK_COUNTERS = [
  'KafkaEventSendTimer', 'RollbackCount', 'ConnectionCreatedCount', 'ConnectionClosedCount',
  'ConnectionFailedCount', 'BatchEmptyCount', 'BatchUnderflowCount', 'BatchCompleteCount',
  'EventDrainAttemptCount', 'EventDrainSuccessCount',
] as const;

export class CounterGroup<N extends string = string> {
  /** Current values; components increment these directly: `c.values.EventDrainAttemptCount += n`. */
  readonly values: Record<N, number>;
  startTime = 0;
  stopTime = 0;
  /** Whether this group appears in /metrics (netcat, logger and null do not in Flume). */
  registered = true;
  private readonly extra: Record<string, () => string> = {};

  constructor(readonly type: CounterType, readonly name: string, readonly names: readonly N[]) {
    const v = {} as Record<N, number>;
    for (const n of names) v[n] = 0;
    this.values = v;
  }
  inc(n: N, by = 1): void { this.values[n] += by; }
  set(n: N, v: number): void { this.values[n] = v; }
  get(n: N): number { return this.values[n]; }
  /** A computed attribute such as ChannelFillPercentage. */
  computed(attr: string, fn: () => string): void { this.extra[attr] = fn; }
  start(now = Date.now()): void {
    for (const n of this.names) this.values[n] = 0;
    this.startTime = now;
    this.stopTime = 0;
  }
  stop(now = Date.now()): void { this.stopTime = now; }
  /** Flume's JSON attribute map (every value a string). */
  toJSON(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const n of this.names) o[n] = String(this.values[n]);
    for (const [k, fn] of Object.entries(this.extra)) o[k] = fn();
    o.StartTime = String(this.startTime);
    o.StopTime = String(this.stopTime);
    o.Type = this.type;
    return o;
  }
}

/** All counter groups of a running agent (what /metrics serves). */
export class CounterRegistry {
  private readonly groups = new Map<string, CounterGroup>();
  add(g: CounterGroup): void { this.groups.set(`${g.type}.${g.name}`, g); }
  remove(g: CounterGroup): void {
    const k = `${g.type}.${g.name}`;
    if (this.groups.get(k) === g) this.groups.delete(k);
  }
  snapshot(): Record<string, Record<string, string>> {
    const o: Record<string, Record<string, string>> = {};
    for (const [k, g] of this.groups) if (g.registered && g.startTime > 0) o[k] = g.toJSON();
    return o;
  }
  all(): CounterGroup[] { return [...this.groups.values()]; }
}

/** Java's Double.toString for the fill percentage (e.g. "0.0", "12.5"). */
export function javaDouble(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : x < 0 ? '-Infinity' : 'NaN';
  if (Number.isInteger(x) && Math.abs(x) < 1e7) return x.toFixed(1);
  return String(x);
}

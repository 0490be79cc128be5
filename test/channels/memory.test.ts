import { describe, expect, it } from 'vitest';
import memory, { MemoryChannel } from '../../src/channels/memory.js';
import { ChannelException, ChannelFullException } from '../../src/core/errors.js';
import { createEvent } from '../../src/core/event.js';
import { buildComponent } from '../../src/engine/build.js';

function channel(props: Record<string, string> = {}): MemoryChannel {
  const { instance } = buildComponent(memory, 'c1', props);
  const ch = instance as MemoryChannel;
  ch.start();
  return ch;
}

function putCommit(ch: MemoryChannel, bodies: string[]): void {
  const tx = ch.createTransaction();
  tx.begin();
  for (const b of bodies) tx.put(createEvent(b));
  tx.commit();
  tx.close();
}

describe('memory channel', () => {
  it('applies Flume defaults (capacity 100, transactionCapacity 100, keep-alive 3 s)', () => {
    const ch = channel();
    expect(ch.capacity).toBe(100);
    expect(ch.transactionCapacity).toBe(100);
    expect(ch.keepAliveMs).toBe(3000);
  });

  it('delivers committed events in FIFO order and nothing before commit', () => {
    const ch = channel({ capacity: '10', transactionCapacity: '10' });
    const tx = ch.createTransaction();
    tx.begin();
    tx.put(createEvent('a'));
    tx.put(createEvent('b'));
    expect(ch.size()).toBe(0);
    tx.commit();
    tx.close();
    expect(ch.size()).toBe(2);
    const t2 = ch.createTransaction();
    t2.begin();
    expect(t2.take()!.body.toString()).toBe('a');
    expect(t2.take()!.body.toString()).toBe('b');
    expect(t2.take()).toBeNull();
    t2.commit();
    t2.close();
    expect(ch.size()).toBe(0);
  });

  it('rollback returns taken events to the head in their original order', () => {
    const ch = channel({ capacity: '10', transactionCapacity: '10' });
    putCommit(ch, ['1', '2', '3']);
    const t = ch.createTransaction();
    t.begin();
    t.take();
    t.take();
    t.rollback();
    t.close();
    const t2 = ch.createTransaction();
    t2.begin();
    const got = [t2.take(), t2.take(), t2.take()].map((e) => e!.body.toString());
    expect(got).toEqual(['1', '2', '3']);
    t2.commit();
  });

  it('throws the put-list error past transactionCapacity', () => {
    const ch = channel({ capacity: '10', transactionCapacity: '2' });
    const t = ch.createTransaction();
    t.begin();
    t.put(createEvent('a'));
    t.put(createEvent('b'));
    expect(() => t.put(createEvent('c'))).toThrow(
      'Put queue for MemoryTransaction of capacity 2 full, consider committing more frequently, increasing capacity or increasing thread count',
    );
  });

  it('throws the take-list error past transactionCapacity', () => {
    const ch = channel({ capacity: '10', transactionCapacity: '2' });
    putCommit(ch, ['a', 'b']);
    putCommit(ch, ['c']);
    const t = ch.createTransaction();
    t.begin();
    t.take();
    t.take();
    expect(() => t.take()).toThrow(/^Take list for MemoryTransaction, capacity 2 full/);
  });

  it('commit on a full channel throws ChannelFullException with Flume\'s message and can be retried', () => {
    const ch = channel({ capacity: '2', transactionCapacity: '2' });
    putCommit(ch, ['a', 'b']);
    const t = ch.createTransaction();
    t.begin();
    t.put(createEvent('c'));
    let err: unknown;
    try { t.commit(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ChannelFullException);
    expect((err as Error).message).toBe(
      "Space for commit to queue couldn't be acquired. Sinks are likely not keeping up with sources, or the buffer size is too tight",
    );
    // A sink frees one slot; the same transaction commits on retry.
    const s = ch.createTransaction();
    s.begin();
    s.take();
    s.commit();
    s.close();
    t.commit();
    t.close();
    expect(ch.size()).toBe(2);
  });

  it('taken but uncommitted events still hold their space (Flume semantics)', () => {
    const ch = channel({ capacity: '1', transactionCapacity: '1' });
    putCommit(ch, ['a']);
    const s = ch.createTransaction();
    s.begin();
    s.take();
    const t = ch.createTransaction();
    t.begin();
    t.put(createEvent('b'));
    expect(() => t.commit()).toThrow(ChannelFullException);
  });

  it('byte capacity: counts body bytes in 100-byte slots', () => {
    // byteCapacity 1000, 20% buffer → 800 bytes → 8 slots.
    const ch = channel({ capacity: '100', transactionCapacity: '100', byteCapacity: '1000' });
    putCommit(ch, ['x'.repeat(300), 'y'.repeat(500)]); // 3 + 5 slots
    const t = ch.createTransaction();
    t.begin();
    t.put(createEvent('z'));
    expect(() => t.commit()).toThrow(ChannelException);
    expect(() => t.commit()).toThrow(/^Cannot commit transaction. Byte capacity allocated to store event body 800reached/);
  });

  it('counts attempts and successes with Flume\'s counter names', () => {
    const ch = channel({ capacity: '10', transactionCapacity: '10' });
    putCommit(ch, ['a', 'b']);
    const t = ch.createTransaction();
    t.begin();
    t.take();
    t.take();
    t.take(); // null, still an attempt
    t.commit();
    const j = ch.counters.toJSON();
    expect(j).toMatchObject({
      EventPutAttemptCount: '2', EventPutSuccessCount: '2', EventTakeAttemptCount: '3', EventTakeSuccessCount: '2',
      ChannelSize: '0', ChannelCapacity: '10', ChannelFillPercentage: '0.0', Type: 'CHANNEL',
    });
  });

  it('waitForEvents resolves early when a put commits', async () => {
    const ch = channel({ capacity: '10', transactionCapacity: '10' });
    const t0 = Date.now();
    const w = ch.waitForEvents(5000);
    setTimeout(() => putCommit(ch, ['a']), 20);
    await w;
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it.each([
    [{ capacity: '0' }, /must be >= 1/],
    [{ capacity: '1e3' }, /is not an integer/],
    [{ capacity: '10', transactionCapacity: '20' }, /Transaction Capacity of Memory Channel cannot be higher than the capacity/],
  ])('rejects invalid settings %j', (props, msg) => {
    expect(() => buildComponent(memory, 'c1', props)).toThrow(msg);
  });

  it('falls back to the default for an unparsable keep-alive, with a warning (as Flume)', () => {
    const { instance, problems } = buildComponent(memory, 'c1', { 'keep-alive': 'soon' });
    expect((instance as MemoryChannel).keepAliveMs).toBe(3000);
    expect(problems.map((p) => p.code)).toContain('BAD_VALUE_DEFAULTED');
  });
});

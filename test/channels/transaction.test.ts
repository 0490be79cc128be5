/**
 * The channel transaction state machine shared by the memory and file channels
 * (src/channels/transaction.ts): Flume's state checks, exact messages and counters, for both.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import file, { FileChannel } from '../../src/channels/file.js';
import memory, { MemoryChannel } from '../../src/channels/memory.js';
import type { Channel, Transaction } from '../../src/core/contracts.js';
import { ChannelException } from '../../src/core/errors.js';
import { createEvent } from '../../src/core/event.js';
import { buildComponent } from '../../src/engine/build.js';

const dirs: string[] = [];
const opened: FileChannel[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

type Counted = Channel & { counters: { values: Record<string, number> } };

interface Kind {
  name: string;
  make(props: Record<string, string>): Counted;
  /** Flume's transaction class name in the capacity messages. */
  txClass: string;
  /** What follows "increasing thread count" in the capacity messages. */
  suffix: string;
}

const kinds: Kind[] = [
  {
    name: 'memory',
    make: (props) => {
      const ch = buildComponent(memory, 'c1', props).instance as MemoryChannel;
      ch.start();
      return ch;
    },
    txClass: 'MemoryTransaction',
    suffix: '',
  },
  {
    name: 'file',
    make: (props) => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-test-'));
      dirs.push(d);
      const ch = buildComponent(file, 'c1', {
        checkpointDir: path.join(d, 'ck'), dataDirs: path.join(d, 'data'), minimumRequiredSpace: '0', ...props,
      }).instance as FileChannel;
      ch.start();
      opened.push(ch);
      return ch;
    },
    txClass: 'FileBackedTransaction',
    suffix: '. [channel=c1]',
  },
];

function putCommit(ch: Channel, bodies: string[]): void {
  const tx = ch.createTransaction();
  tx.begin();
  for (const b of bodies) tx.put(createEvent(b));
  tx.commit();
  tx.close();
}

/** The message thrown by `fn`, or undefined when it does not throw. */
function thrown(fn: () => unknown): string | undefined {
  try { fn(); } catch (e) {
    expect(e).toBeInstanceOf(ChannelException);
    return (e as Error).message;
  }
  return undefined;
}

const ev = createEvent('x');
type Op = [string, (t: Transaction) => unknown];
const ops: Op[] = [
  ['begin', (t) => t.begin()],
  ['put', (t) => t.put(ev)],
  ['take', (t) => t.take()],
  ['commit', (t) => t.commit()],
  ['rollback', (t) => t.rollback()],
  ['close', (t) => t.close()],
];
/** Brings a fresh transaction into a state. */
const states: Array<[string, (t: Transaction) => void]> = [
  ['NEW', () => {}],
  ['OPEN', (t) => t.begin()],
  ['COMPLETED', (t) => { t.begin(); t.commit(); }],
  ['CLOSED', (t) => { t.begin(); t.rollback(); t.close(); }],
];
/** Expected outcome of op in state: undefined = allowed, else the exact message. */
function expected(op: string, state: string): string | undefined {
  if (op === 'begin') return state === 'OPEN' ? 'begin() called when transaction is OPEN!' : undefined;
  if (op === 'close') return state === 'OPEN' ? 'close() called when transaction is OPEN - you must either commit or rollback first' : undefined;
  return state === 'OPEN' ? undefined : `${op}() called when transaction is ${state}!`;
}

describe.each(kinds)('$name channel transaction', (k) => {
  it.each(states.flatMap(([s, to]) => ops.map(([o, fn]) => [s, o, to, fn] as const)))(
    'in state %s, %s() behaves as in Flume',
    (state, op, to, fn) => {
      const ch = k.make({ capacity: '10', transactionCapacity: '5' });
      const tx = ch.createTransaction();
      to(tx);
      expect(thrown(() => fn(tx))).toBe(expected(op, state));
    },
  );

  it('a state error counts no attempt and changes nothing', () => {
    const ch = k.make({ capacity: '10', transactionCapacity: '5' });
    const tx = ch.createTransaction();
    expect(thrown(() => tx.put(ev))).toBe('put() called when transaction is NEW!');
    expect(thrown(() => tx.take())).toBe('take() called when transaction is NEW!');
    expect(ch.counters.values.EventPutAttemptCount).toBe(0);
    expect(ch.counters.values.EventTakeAttemptCount).toBe(0);
    expect(ch.size()).toBe(0);
  });

  it('put past transactionCapacity: exact message, counted as an attempt, the transaction stays usable', () => {
    const ch = k.make({ capacity: '10', transactionCapacity: '2' });
    const tx = ch.createTransaction();
    tx.begin();
    tx.put(createEvent('a'));
    tx.put(createEvent('b'));
    expect(thrown(() => tx.put(createEvent('c')))).toBe(
      `Put queue for ${k.txClass} of capacity 2 full, consider committing more frequently, increasing capacity or increasing thread count${k.suffix}`,
    );
    expect(ch.counters.values.EventPutAttemptCount).toBe(3);
    tx.commit();
    tx.close();
    expect(ch.size()).toBe(2);
    expect(ch.counters.values.EventPutSuccessCount).toBe(2);
  });

  it('take past transactionCapacity: exact message, counted as an attempt; a rollback returns the takes', () => {
    const ch = k.make({ capacity: '10', transactionCapacity: '2' });
    putCommit(ch, ['a', 'b']);
    putCommit(ch, ['c']);
    const tx = ch.createTransaction();
    tx.begin();
    expect(tx.take()?.body.toString()).toBe('a');
    expect(tx.take()?.body.toString()).toBe('b');
    expect(thrown(() => tx.take())).toBe(
      `Take list for ${k.txClass}, capacity 2 full, consider committing more frequently, increasing capacity, or increasing thread count${k.suffix}`,
    );
    expect(ch.counters.values.EventTakeAttemptCount).toBe(3);
    tx.rollback();
    tx.close();
    expect(ch.size()).toBe(3);
    expect(ch.counters.values.EventTakeSuccessCount).toBe(0);
  });

  it('a transaction object is reusable: begin after commit or close starts with empty put and take lists', () => {
    const ch = k.make({ capacity: '10', transactionCapacity: '2' });
    const tx = ch.createTransaction();
    tx.begin();
    tx.put(createEvent('a'));
    tx.put(createEvent('b'));
    tx.commit();
    tx.begin(); // after COMPLETED: the put list is empty again
    expect(tx.take()?.body.toString()).toBe('a');
    tx.commit();
    tx.close();
    tx.begin(); // after CLOSED
    tx.put(createEvent('c'));
    tx.put(createEvent('d'));
    expect(tx.take()?.body.toString()).toBe('b');
    expect(tx.take()).toBeNull(); // c and d are not committed yet
    tx.rollback(); // b returns, c and d are discarded
    tx.close();
    expect(ch.size()).toBe(1);
    expect(ch.counters.values).toMatchObject({
      EventPutAttemptCount: 4, EventPutSuccessCount: 2, EventTakeAttemptCount: 3, EventTakeSuccessCount: 1,
    });
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../src/core/logger.js';
import { buildComponent } from '../../src/engine/build.js';
import seq, { SequenceGeneratorSource } from '../../src/sources/seq.js';
import { CollectingProcessor } from '../helpers/collect.js';

function make(props: Record<string, string>): { src: SequenceGeneratorSource; cp: CollectingProcessor } {
  const src = buildComponent(seq, 'r1', props, { logger: new MemoryLogger() }).instance as SequenceGeneratorSource;
  const cp = new CollectingProcessor('full');
  src.start(cp);
  return { src, cp };
}

describe('seq source', () => {
  it('bodies are 0,1,2,... with no headers; BACKOFF after totalEvents', async () => {
    const { src, cp } = make({ totalEvents: '5' });
    const st: string[] = [];
    for (let i = 0; i < 7; i++) st.push(await src.process());
    expect(cp.events.map((e) => e.body.toString())).toEqual(['0', '1', '2', '3', '4']);
    expect(cp.events.every((e) => Object.keys(e.headers).length === 0)).toBe(true);
    expect(st).toEqual(['READY', 'READY', 'READY', 'READY', 'READY', 'BACKOFF', 'BACKOFF']);
    expect(cp.batches).toEqual([1, 1, 1, 1, 1]);
  });

  it('batchSize events per transaction; the last batch may be short', async () => {
    const { src, cp } = make({ totalEvents: '10', batchSize: '4' });
    while ((await src.process()) === 'READY');
    expect(cp.batches).toEqual([4, 4, 2]);
    expect(cp.events.map((e) => Number(e.body.toString()))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('numbers refused by the channel are sent again (no gap, no duplicate)', async () => {
    const { src, cp } = make({ totalEvents: '6', batchSize: '3' });
    cp.failNext = 1;
    expect(await src.process()).toBe('BACKOFF');
    while ((await src.process()) === 'READY');
    expect(cp.events.map((e) => e.body.toString())).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(src.counters.get('ChannelWriteFail')).toBe(1);
    expect(src.counters.get('EventAcceptedCount')).toBe(6);
  });

  it('totalEvents defaults to unbounded', async () => {
    const { src, cp } = make({ batchSize: '100' });
    for (let i = 0; i < 30; i++) expect(await src.process()).toBe('READY');
    expect(cp.events).toHaveLength(3000);
    expect(cp.events[2999]!.body.toString()).toBe('2999');
  });

  it('validation: batchSize must be > 0', () => {
    expect(() => buildComponent(seq, 'r1', { batchSize: '0' })).toThrow(/batchSize/);
  });
});

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseProperties, readPropertiesFile } from '../../src/config/properties.js';
import { substituteProperties } from '../../src/config/substitute.js';
import { AGENT_INVALID_CODES, buildTree, selectAgent } from '../../src/config/tree.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'flume');
const load = async (name: string) => buildTree(await readPropertiesFile(join(dir, name)));

type P = [code: string, severity: 'error' | 'warning', line: number | undefined, component: string | undefined];

const CASES: [fixture: string, expected: P[]][] = [
  ['seed-agent1.conf', []],
  ['messy-flume.conf', []],
  [
    'missing-type.conf',
    [
      ['MISSING_TYPE', 'error', 7, 'a1.channels.c2'],
      ['MISSING_TYPE', 'error', 8, 'a1.sinks.k1'],
    ],
  ],
  [
    'unlisted.conf',
    [
      ['UNKNOWN_AGENT_PROPERTY', 'warning', 11, 'a1'],
      ['UNKNOWN_AGENT_PROPERTY', 'warning', 12, 'a1'],
      ['UNKNOWN_AGENT_PROPERTY', 'warning', 13, 'a1'],
      ['UNLISTED_COMPONENT', 'warning', 6, 'a1.sources.r2'],
    ],
  ],
  [
    'bindings.conf',
    [
      ['LIST_DUPLICATE', 'warning', 1, 'a1'],
      ['UNKNOWN_CHANNEL', 'error', 5, 'a1.sources.r1'],
      ['SOURCE_NO_CHANNELS', 'error', 6, 'a1.sources.r2'],
      ['SINK_NO_CHANNEL', 'error', 12, 'a1.sinks.k2'],
      ['SINK_NO_CHANNEL', 'error', 14, 'a1.sinks.k3'],
      ['UNUSED_CHANNEL', 'warning', 2, 'a1.channels.c2'],
      ['UNUSED_CHANNEL', 'warning', 2, 'a1.channels.c3'],
    ],
  ],
  [
    'sinkgroups.conf',
    [
      ['SINK_IN_TWO_GROUPS', 'error', 16, 'a1.sinkgroups.g2'],
      ['UNKNOWN_SINK', 'error', 16, 'a1.sinkgroups.g2'],
      ['SINKGROUP_EMPTY', 'error', 16, 'a1.sinkgroups.g2'],
      ['SINKGROUP_NO_SINKS', 'error', 18, 'a1.sinkgroups.g3'],
      ['COMPONENT_NOT_CONFIGURED', 'error', 4, 'a1.sinkgroups.g4'],
      ['SINKGROUP_NO_PROCESSOR_TYPE', 'error', 19, 'a1.sinkgroups.g5'],
    ],
  ],
  ['no-channels.conf', [['NO_CHANNELS', 'error', 1, 'a1']]],
  [
    'empty-agent.conf',
    [
      ['NO_SOURCES', 'warning', 1, 'a1'],
      ['NO_SINKS', 'warning', 1, 'a1'],
      ['EMPTY_AGENT', 'error', 1, 'a1'],
      ['UNUSED_CHANNEL', 'warning', 1, 'a1.channels.c1'],
    ],
  ],
  [
    'channel-cascade.conf',
    [
      ['MISSING_TYPE', 'error', 6, 'a1.channels.c1'],
      ['REFERENCES_DROPPED', 'error', 5, 'a1.sources.r1'],
    ],
  ],
  [
    'no-valid-channels.conf',
    [
      ['COMPONENT_NOT_CONFIGURED', 'error', 2, 'a1.channels.c1'],
      ['NO_VALID_CHANNELS', 'error', 2, 'a1'],
    ],
  ],
  [
    'multi-agent.conf',
    [
      ['UNKNOWN_CHANNEL', 'error', 16, 'agent2.sources.r1'],
      ['NO_SINKS', 'warning', 13, 'agent2'],
      ['EMPTY_AGENT', 'error', 13, 'agent2'],
      ['UNUSED_CHANNEL', 'warning', 14, 'agent2.channels.c1'],
    ],
  ],
  [
    'not-agent-keys.conf',
    [
      ['NO_AGENT_PREFIX', 'warning', 1, undefined],
      ['EMPTY_VALUE', 'warning', 2, 'a1.sources.r1'],
      ['NO_AGENT_PREFIX', 'warning', 3, undefined],
      ['NO_AGENT_PREFIX', 'warning', 4, undefined],
    ],
  ],
  ['tsagent-typed.conf', []],
  ['agent-typo.conf', [['AGENT_NAME_TYPO', 'warning', 6, 'agent']]],
];

describe('buildTree structural problems (fixtures in test/fixtures/flume)', () => {
  it.each(CASES)('%s', async (fixture, expected) => {
    const tree = await load(fixture);
    expect(tree.problems.map((p) => [p.code, p.severity, p.line, p.component])).toEqual(expected);
    for (const p of tree.problems) {
      expect(p.message.length).toBeGreaterThan(10);
      expect(p.fix, `${p.code} needs a fix`).toBeTruthy();
      if (p.line !== undefined) expect(p.file).toBe(join(dir, fixture));
    }
  });
});

describe('buildTree model', () => {
  it('seed agent-1 file: lists, components, relative props, bindings', async () => {
    const tree = await load('seed-agent1.conf');
    expect([...tree.agents.keys()]).toEqual(['agent']);
    const a = tree.agents.get('agent')!;
    expect([...a.sources.keys()]).toEqual(['netcat_source']);
    expect([...a.channels.keys()]).toEqual(['memory_channel']);
    expect([...a.sinks.keys()]).toEqual(['kafka_sink']);
    expect(a.sinkgroups.size).toBe(0);
    expect(a.invalid).toBe(false);
    expect(a.dropped.size).toBe(0);
    const file = join(dir, 'seed-agent1.conf');
    expect(a.lists.sources).toEqual({ value: 'netcat_source', key: 'agent.sources', file, line: 1 });
    const src = a.sources.get('netcat_source')!;
    expect(src.kind).toBe('source');
    expect(src.type).toEqual({ value: 'netcat', key: 'agent.sources.netcat_source.type', file, line: 4 });
    expect(src.listedAt?.line).toBe(1);
    expect([...src.props.keys()]).toEqual(['type', 'bind', 'port', 'channels']);
    expect(src.refs).toEqual({ names: ['memory_channel'], at: { value: 'memory_channel', key: 'agent.sources.netcat_source.channels', file, line: 15 } });
    const sink = a.sinks.get('kafka_sink')!;
    expect(sink.type!.value).toBe('org.apache.flume.sink.kafka.KafkaSink');
    expect(sink.props.get('kafka.flumeBatchSize')).toEqual({ value: '20', key: 'agent.sinks.kafka_sink.kafka.flumeBatchSize', file, line: 13 });
    expect(sink.props.get('kafka.bootstrap.servers')!.value).toBe('localhost:9092');
    expect(sink.refs!.names).toEqual(['memory_channel']);
    expect(a.channels.get('memory_channel')!.props.get('transactionCapacity')!.value).toBe('1000');
  });

  it('messy formatting: separators, continuations, trimmed values with the raw text kept', async () => {
    const tree = await load('messy-flume.conf');
    const a = tree.agents.get('a1')!;
    expect([...a.sources.keys()]).toEqual(['r1', 'r2']);
    const r1 = a.sources.get('r1')!;
    expect(r1.type).toMatchObject({ value: 'netcat', raw: 'netcat   ', line: 6 });
    expect(r1.props.get('interceptors.i1.type')!.value).toBe('timestamp');
    expect(r1.props.get('selector.type')!.value).toBe('replicating');
    expect(a.sources.get('r2')!.props.get('command')).toMatchObject({ value: 'tail -F /var/log/a.log | grep -v DEBUG', line: 14 });
  });

  it('substituted values keep the text as written in raw', () => {
    const p = parseProperties('a.sources = r\na.channels = c\na.sources.r.type = netcat\na.sources.r.port = ${env:P}\na.sources.r.channels = c\na.channels.c.type = memory\n', 'x.conf');
    const tree = buildTree(substituteProperties(p, { env: { P: '4444' } }).properties);
    expect(tree.agents.get('a')!.sources.get('r')!.props.get('port')).toEqual({ value: '4444', raw: '${env:P}', key: 'a.sources.r.port', file: 'x.conf', line: 4 });
  });

  it('duplicate keys: the last one wins', () => {
    const p = parseProperties('a.channels = c\na.channels.c.type = file\na.channels.c.type = memory\n', 'x.conf');
    expect(buildTree(p).agents.get('a')!.channels.get('c')!.type).toMatchObject({ value: 'memory', line: 3 });
  });

  it('unknown agent keys: did-you-mean for a misspelt list name', async () => {
    const tree = await load('unlisted.conf');
    const p = tree.problems.find((x) => x.line === 11)!;
    expect(p.fix).toBe('did you mean a1.sinks.k2.type?');
    expect(tree.problems.find((x) => x.code === 'UNLISTED_COMPONENT')!.fix).toBe('add it to the list: a1.sources = r1 r2');
    expect(tree.agents.get('a1')!.unlisted.map((c) => c.name)).toEqual(['r2']);
    expect(tree.agents.get('a1')!.other.map((l) => l.key)).toEqual(['a1.sink.k2.type', 'a1.foo', 'a1.sources.r1']);
  });

  it('unknown channel: names the channels that exist, with a suggestion', async () => {
    const p = (await load('bindings.conf')).problems.find((x) => x.code === 'UNKNOWN_CHANNEL')!;
    expect(p.message).toBe('channel c9 is not in a1.channels (c1 c2 c3)');
    expect(p.fix).toBe('did you mean c1?');
    expect(p.value).toBe('c1 c9');
  });

  it('drops and invalid agents are recorded', async () => {
    const cascade = (await load('channel-cascade.conf')).agents.get('a1')!;
    expect([...cascade.dropped]).toEqual(['channel:c1', 'source:r1']);
    expect(cascade.invalid).toBe(false);
    const none = (await load('no-channels.conf')).agents.get('a1')!;
    expect(none.invalid).toBe(true);
    expect(AGENT_INVALID_CODES.has('NO_CHANNELS')).toBe(true);
  });

  it('agents option limits the checks to the selected agent', async () => {
    const props = await readPropertiesFile(join(dir, 'multi-agent.conf'));
    const tree = buildTree(props, { agents: ['agent'] });
    expect(tree.problems).toEqual([]);
    expect([...tree.agents.keys()]).toEqual(['agent', 'agent2']);
    expect(tree.agents.get('agent2')!.sources.get('r1')!.props.get('channels')!.value).toBe('c2');
  });

  it('a typo in the agent prefix is reported against the real agent, not as a broken agent', async () => {
    const tree = await load('agent-typo.conf');
    expect(tree.problems[0]!.fix).toBe('did you mean agent.sources.r1.port?');
    expect([...tree.agents.keys()]).toEqual(['agent', 'agnet']);
    expect(buildTree(await readPropertiesFile(join(dir, 'agent-typo.conf')), { agents: ['agent'] }).problems).toHaveLength(1);
  });

  it('tsagent-typed agents are not checked as Flume agents', async () => {
    const a = (await load('tsagent-typed.conf')).agents.get('an')!;
    expect(a.type!.value).toBe('analyzer');
    expect(a.other.map((l) => l.key)).toEqual(['an.type', 'an.input', 'an.sources.x.y']);
  });

  it('component names stop at the next dot; empty names or keys are not component keys', () => {
    const p = parseProperties('a.channels = c\na.channels.c.type = memory\na.channels.c.kafka.x.y = 1\na.sources..x = 2\n', 'x.conf');
    const a = buildTree(p).agents.get('a')!;
    expect(a.channels.get('c')!.props.get('kafka.x.y')!.value).toBe('1');
    expect(a.other.map((l) => l.key)).toEqual(['a.sources..x']);
  });
});

describe('selectAgent', () => {
  it('returns the agent', async () => {
    const tree = await load('seed-agent1.conf');
    const r = selectAgent(tree, 'agent');
    expect('agent' in r && r.agent.name).toBe('agent');
  });

  it('-n agent1 on the seed file names the agents that exist', async () => {
    const tree = await load('seed-agent1.conf');
    const r = selectAgent(tree, 'agent1', 'conf/x.conf');
    expect(r).toEqual({
      problem: expect.objectContaining({
        severity: 'error',
        code: 'NO_SUCH_AGENT',
        message: "No agent named 'agent1' in conf/x.conf; agents defined: agent",
        fix: 'use -n agent',
        file: 'conf/x.conf',
      }),
    });
  });

  it('several agents / none', async () => {
    const multi = selectAgent(await load('multi-agent.conf'), 'collector');
    expect('problem' in multi && multi.problem.message).toContain('agents defined: agent, agent2');
    expect('problem' in multi && multi.problem.fix).toBe('use -n with one of: agent, agent2');
    const none = selectAgent(buildTree(parseProperties('# nothing\n', 'e.conf')), 'a1');
    expect('problem' in none && none.problem.message).toBe("No agent named 'a1' in e.conf; the file defines no agents");
  });
});

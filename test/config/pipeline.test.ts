import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readPropertiesFile } from '../../src/config/properties.js';
import { applyConfigFilters, substituteProperties } from '../../src/config/substitute.js';
import { buildTree, selectAgent } from '../../src/config/tree.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'flume', 'env-substitution.conf');

describe('read -> substitute -> config filters -> tree', () => {
  it('resolves env/sys/bare/default/escape and filter references with file:line kept', async () => {
    const parsed = await readPropertiesFile(file);
    const env = { KAFKA_USER: 'flume' };
    const sub = substituteProperties(parsed, { env, sys: new Map([['capacity', '5000']]) });
    const filtered = await applyConfigFilters(sub.properties, { env, agents: ['a1'] });
    const tree = buildTree(filtered.properties);
    const sel = selectAgent(tree, 'a1');
    if (!('agent' in sel)) throw new Error(sel.problem.message);
    const a = sel.agent;
    const r1 = a.sources.get('r1')!;
    expect(r1.props.get('bind')).toMatchObject({ value: 'localhost', raw: '${env:NC_BIND:-localhost}', line: 9 });
    expect(r1.props.get('port')).toMatchObject({ value: '44444', raw: '${NC_PORT}', line: 10 });
    expect(a.channels.get('c1')!.props.get('capacity')!.value).toBe('5000');
    const k1 = a.sinks.get('k1')!;
    expect(k1.props.get('kafka.topic')!.value).toBe('${literal}');
    expect(k1.props.get('kafka.producer.sasl.jaas.config')).toMatchObject({ value: 'user="flume"', raw: `user="\${f1['KAFKA_USER']}"`, line: 16 });
    expect(a.configfilters.get('f1')!.type!.value).toBe('env');
    // NC_PORT has no agent prefix: Flume ignores it as a property (one warning), nothing else
    expect([...sub.problems, ...filtered.problems, ...tree.problems].map((p) => [p.code, p.line])).toEqual([['NO_AGENT_PREFIX', 2]]);
  });
});

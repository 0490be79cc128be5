import { describe, expect, it } from 'vitest';
import { mapConsumerProperties, mapProducerProperties, parseJaasConfig, type MappingNote } from '../../src/kafka/properties.js';

const m = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));
const levels = (notes: MappingNote[]): string[] => notes.map((n) => `${n.level}:${n.key}`);

describe('parseJaasConfig', () => {
  it.each([
    {
      jaas: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr;et";',
      module: 'org.apache.kafka.common.security.plain.PlainLoginModule', opts: { username: 'alice', password: 's3cr;et' },
    },
    {
      jaas: '  org.apache.kafka.common.security.scram.ScramLoginModule   required\n  username = "bob"\n  password="a \\"quoted\\" \\\\ pw"  ;  ',
      module: 'org.apache.kafka.common.security.scram.ScramLoginModule', opts: { username: 'bob', password: 'a "quoted" \\ pw' },
    },
    { jaas: 'x.Y optional username=bare password=tok;', module: 'x.Y', opts: { username: 'bare', password: 'tok' } },
  ])('parses $jaas', ({ jaas, module, opts }) => {
    const r = parseJaasConfig(jaas);
    expect('error' in r).toBe(false);
    if ('error' in r) return;
    expect(r.loginModule).toBe(module);
    expect(Object.fromEntries(r.options)).toEqual(opts);
  });

  it.each([
    'PlainLoginModule username="a" password="b";',
    'x.Plain required username="a" password="b"',
    'x.Plain required username="a password="b";',
    'x.Plain required username;',
  ])('rejects %s', (jaas) => {
    expect('error' in parseJaasConfig(jaas)).toBe(true);
  });
});

describe('producer property mapping', () => {
  it('defaults to Flume producer defaults (acks=1, no compression, 30 s ack timeout)', () => {
    const { spec, notes } = mapProducerProperties('h1:9092, h2:9093,', m({}));
    expect(spec.brokers).toEqual(['h1:9092', 'h2:9093']);
    expect(spec.acks).toBe(1);
    expect(spec.compression).toBe('none');
    expect(spec.ackTimeout).toBe(30000);
    expect(spec.securityProtocol).toBe('PLAINTEXT');
    expect(notes).toEqual([]);
  });

  it.each([
    { acks: 'all', expected: -1 }, { acks: '-1', expected: -1 }, { acks: '0', expected: 0 }, { acks: '1', expected: 1 },
  ])('maps acks=$acks', ({ acks, expected }) => {
    expect(mapProducerProperties('h:1', m({ acks })).spec.acks).toBe(expected);
  });

  it.each([
    { key: 'acks', value: '2', level: 'error' },
    { key: 'compression.type', value: 'gzip', level: undefined },
    { key: 'compression.type', value: 'snappy', level: 'warn' },
    { key: 'compression.type', value: 'lz4', level: 'warn' },
    { key: 'compression.type', value: 'brotli', level: 'error' },
    { key: 'linger.ms', value: '5', level: 'info' },
    { key: 'batch.size', value: '65536', level: 'warn' },
    { key: 'client.id', value: 'flume-1', level: undefined },
    { key: 'request.timeout.ms', value: '15000', level: undefined },
    { key: 'request.timeout.ms', value: 'soon', level: 'error' },
    { key: 'max.in.flight.requests.per.connection', value: '1', level: undefined },
    { key: 'key.serializer', value: 'org.apache.kafka.common.serialization.StringSerializer', level: undefined },
    { key: 'value.serializer', value: 'com.example.AvroSerializer', level: 'warn' },
    { key: 'transactional.id', value: 't1', level: 'warn' },
    { key: 'bootstrap.servers', value: 'x:1', level: 'info' },
    { key: 'enable.idempotence', value: 'true', level: 'error' },
  ])('$key=$value → $level', ({ key, value, level }) => {
    const { notes } = mapProducerProperties('h:1', m({ [key]: value }));
    expect(notes.map((n) => n.level)).toEqual(level ? [level] : []);
  });

  it('maps client.id, request.timeout.ms, compression and retries', () => {
    const { spec } = mapProducerProperties('h:1', m({ 'client.id': 'c', 'request.timeout.ms': '15000', 'compression.type': 'gzip', retries: '3', 'retry.backoff.ms': '100' }));
    expect(spec).toMatchObject({ clientId: 'c', requestTimeout: 15000, ackTimeout: 15000, compression: 'gzip', retry: { retries: 3, initialRetryTime: 100 } });
  });

  it.each([
    { mech: 'PLAIN', expected: 'plain', module: 'org.apache.kafka.common.security.plain.PlainLoginModule' },
    { mech: 'SCRAM-SHA-256', expected: 'scram-sha-256', module: 'org.apache.kafka.common.security.scram.ScramLoginModule' },
    { mech: 'SCRAM-SHA-512', expected: 'scram-sha-512', module: 'org.apache.kafka.common.security.scram.ScramLoginModule' },
  ])('maps SASL_PLAINTEXT + $mech + sasl.jaas.config', ({ mech, expected, module }) => {
    const { spec, notes } = mapProducerProperties('h:1', m({
      'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': mech, 'sasl.jaas.config': `${module} required username="u" password="p";`,
    }));
    expect(notes).toEqual([]);
    expect(spec.sasl).toEqual({ mechanism: expected, username: 'u', password: 'p' });
    expect(spec.tls).toBeUndefined();
  });

  it.each<{ props: Record<string, string>; keys: string[] }>([
    { props: { 'security.protocol': 'SASL_SSL' }, keys: ['error:sasl.mechanism', 'error:sasl.jaas.config'] },
    { props: { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'GSSAPI', 'sasl.jaas.config': 'x.K required;' }, keys: ['error:sasl.mechanism'] },
    { props: { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'x.PlainLoginModule required user="u";' }, keys: ['error:sasl.jaas.config'] },
    { props: { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'garbage' }, keys: ['error:sasl.jaas.config'] },
    { props: { 'security.protocol': 'KERBEROS' }, keys: ['error:security.protocol'] },
    { props: { 'sasl.mechanism': 'PLAIN' }, keys: ['info:sasl.mechanism'] },
    { props: { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'a.PlainLoginModule required username="u" password="p";', 'sasl.kerberos.service.name': 'kafka' }, keys: ['warn:sasl.kerberos.service.name'] },
  ])('reports security problems for $props', ({ props, keys }) => {
    expect(levels(mapProducerProperties('h:1', m(props)).notes).sort()).toEqual(keys.sort());
  });

  it('maps ssl.* to Node TLS settings', () => {
    const { spec, notes } = mapProducerProperties('h:1', m({
      'security.protocol': 'SSL', 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': '/etc/ca.pem',
      'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': '/etc/client.p12', 'ssl.keystore.password': 'ksp',
      'ssl.endpoint.identification.algorithm': '', 'ssl.enabled.protocols': 'TLSv1.2,TLSv1.3', 'ssl.cipher.suites': 'TLS_AES_128_GCM_SHA256',
    }));
    expect(spec.tls).toEqual({ caFile: '/etc/ca.pem', pfxFile: '/etc/client.p12', passphrase: 'ksp', rejectUnauthorized: true, checkHostname: false, minVersion: 'TLSv1.2' });
    expect(levels(notes)).toEqual(['warn:ssl.cipher.suites']);
  });

  it('warns that a JKS truststore cannot be read and falls back to system CAs; PEM strings are used as given', () => {
    const { spec, notes } = mapProducerProperties('h:1', m({
      'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'a.PlainLoginModule required username="u" password="p";',
      'ssl.truststore.location': '/etc/trust.jks', 'ssl.truststore.password': 'x', 'ssl.keystore.type': 'PEM',
      'ssl.keystore.certificate.chain': '-----BEGIN CERTIFICATE-----', 'ssl.keystore.key': '-----BEGIN PRIVATE KEY-----', 'ssl.key.password': 'kp',
      'ssl.disableTLSHostnameVerification': 'true',
    }));
    expect(levels(notes)).toEqual(['warn:ssl.truststore.location']);
    expect(spec.tls).toEqual({ certPem: '-----BEGIN CERTIFICATE-----', keyPem: '-----BEGIN PRIVATE KEY-----', passphrase: 'kp', rejectUnauthorized: true, checkHostname: false });
    expect(spec.sasl?.mechanism).toBe('plain');
  });

  it('ignores ssl.* (with a note) when the protocol has no TLS', () => {
    const { spec, notes } = mapProducerProperties('h:1', m({ 'ssl.truststore.location': '/x' }));
    expect(spec.tls).toBeUndefined();
    expect(levels(notes)).toEqual(['info:ssl.truststore.location']);
  });
});

describe('consumer property mapping', () => {
  it('uses the Java 2.7 defaults Flume 1.11 runs with (latest, 10 s session, 500 ms fetch wait)', () => {
    const { spec, notes } = mapConsumerProperties('h:1', 'flume', m({}));
    expect(spec).toMatchObject({ groupId: 'flume', fromBeginning: false, sessionTimeout: 10000, heartbeatInterval: 3000, maxWaitTimeInMs: 500, readUncommitted: true });
    expect(notes).toEqual([]);
  });

  it.each([
    { key: 'auto.offset.reset', value: 'earliest', check: { fromBeginning: true }, level: undefined },
    { key: 'auto.offset.reset', value: 'latest', check: { fromBeginning: false }, level: undefined },
    { key: 'auto.offset.reset', value: 'none', check: { fromBeginning: false }, level: 'warn' },
    { key: 'auto.offset.reset', value: 'first', check: {}, level: 'error' },
    { key: 'session.timeout.ms', value: '30000', check: { sessionTimeout: 30000 }, level: undefined },
    { key: 'heartbeat.interval.ms', value: '1000', check: { heartbeatInterval: 1000 }, level: undefined },
    { key: 'max.poll.interval.ms', value: '60000', check: { rebalanceTimeout: 60000 }, level: undefined },
    { key: 'fetch.max.wait.ms', value: '100', check: { maxWaitTimeInMs: 100 }, level: undefined },
    { key: 'max.partition.fetch.bytes', value: '2097152', check: { maxBytesPerPartition: 2097152 }, level: undefined },
    { key: 'isolation.level', value: 'read_committed', check: { readUncommitted: false }, level: undefined },
    { key: 'enable.auto.commit', value: 'true', check: {}, level: 'info' },
    { key: 'max.poll.records', value: '10', check: {}, level: 'info' },
    { key: 'partition.assignment.strategy', value: 'org.apache.kafka.clients.consumer.RangeAssignor', check: {}, level: 'warn' },
    { key: 'value.deserializer', value: 'org.apache.kafka.common.serialization.ByteArrayDeserializer', check: {}, level: undefined },
    { key: 'some.unknown', value: 'x', check: {}, level: 'warn' },
  ])('$key=$value', ({ key, value, check, level }) => {
    const { spec, notes } = mapConsumerProperties('h:1', 'g', m({ [key]: value }));
    expect(spec).toMatchObject(check);
    expect(notes.map((n) => n.level)).toEqual(level ? [level] : []);
  });
});

describe('notesToProblems (validation messages)', () => {
  const check = async (o: Record<string, string>) => {
    const { notesToProblems } = await import('../../src/kafka/flume-props.js');
    const raw = m(o);
    const sub = new Map([...raw].map(([k, v]) => [k.slice('kafka.producer.'.length), v]));
    return notesToProblems(mapProducerProperties('h:1', sub).notes, 'kafka.producer.', raw);
  };

  it('names the full key and hides secrets', async () => {
    const problems = await check({
      'kafka.producer.security.protocol': 'SASL_PLAINTEXT', 'kafka.producer.sasl.mechanism': 'PLAIN',
      'kafka.producer.sasl.jaas.config': 'a.PlainLoginModule required username="u";',
      'kafka.producer.compression.type': 'zstd', 'kafka.producer.linger.ms': '5',
    });
    expect(problems.map((p) => [p.severity, p.key, p.value])).toEqual([
      ['warning', 'kafka.producer.compression.type', 'zstd'],
      ['error', 'kafka.producer.sasl.jaas.config', '<hidden>'],
    ]);
    expect(problems[0]!.message).toMatch(/^kafka\.producer\.compression\.type zstd is not available/);
  });

  it('reports a missing sasl.* key on the security.protocol line', async () => {
    const problems = await check({ 'kafka.producer.security.protocol': 'SASL_PLAINTEXT', 'kafka.producer.sasl.mechanism': 'PLAIN' });
    expect(problems.map((p) => [p.severity, p.key])).toEqual([['error', 'kafka.producer.security.protocol']]);
    expect(problems[0]!.message).toMatch(/sasl.jaas.config is missing/);
  });
});

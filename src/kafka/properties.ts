/**
 * Mapping of the Java Kafka client properties that Flume passes through (`kafka.producer.*`,
 * `kafka.consumer.*`) onto what tsagent's Kafka client (kafkajs, see client.ts) supports.
 *
 * Pure functions, no I/O: the same mapping runs at validation time (every problem reported with
 * its key, before anything starts) and when the client is created. Each key lands in one of:
 *   mapped      - honoured (possibly under another name), no message;
 *   moot        - has no observable effect with Flume's per-batch flush (INFO once);
 *   unsupported - cannot be honoured by the client; WARN saying what happens instead;
 *   error       - the client cannot work as configured (bad value, Kerberos, ...); the component
 *                 is not started.
 * The table in docs/kafka.md lists every key; keep them in sync.
 */

export type NoteLevel = 'error' | 'warn' | 'info';

export interface MappingNote {
  level: NoteLevel;
  /** Key relative to the pass-through prefix, e.g. `compression.type`. */
  key: string;
  message: string;
  fix?: string;
}

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface SaslSpec {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/** TLS settings with file paths still unread (client.ts reads them when connecting). */
export interface TlsSpec {
  caFile?: string;
  caPem?: string;
  certFile?: string;
  certPem?: string;
  keyFile?: string;
  keyPem?: string;
  pfxFile?: string;
  passphrase?: string;
  rejectUnauthorized: boolean;
  checkHostname: boolean;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface RetrySpec {
  retries?: number;
  initialRetryTime?: number;
}

export interface CommonSpec {
  brokers: string[];
  clientId: string;
  securityProtocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  tls?: TlsSpec;
  sasl?: SaslSpec;
  requestTimeout?: number;
  connectionTimeout?: number;
  metadataMaxAge?: number;
  retry: RetrySpec;
}

export interface ProducerSpec extends CommonSpec {
  /** kafkajs acks: -1 = all, 0, 1. */
  acks: -1 | 0 | 1;
  compression: 'none' | 'gzip';
  /** Broker-side wait for acks (ms), from request.timeout.ms (Java default 30000). */
  ackTimeout: number;
  maxInFlightRequests?: number;
  idempotent: boolean;
}

export interface ConsumerSpec extends CommonSpec {
  groupId: string;
  /** auto.offset.reset=earliest → true; latest (Kafka's default) → false. */
  fromBeginning: boolean;
  sessionTimeout: number;
  heartbeatInterval: number;
  rebalanceTimeout?: number;
  minBytes?: number;
  maxBytes?: number;
  maxBytesPerPartition?: number;
  maxWaitTimeInMs: number;
  readUncommitted: boolean;
}

export interface Mapped<T> {
  spec: T;
  notes: MappingNote[];
}

const STRING_SER = 'org.apache.kafka.common.serialization.StringSerializer';
const BYTES_SER = 'org.apache.kafka.common.serialization.ByteArraySerializer';
const STRING_DESER = 'org.apache.kafka.common.serialization.StringDeserializer';
const BYTES_DESER = 'org.apache.kafka.common.serialization.ByteArrayDeserializer';

/** Splits `host:port,host:port` (Java's bootstrap.servers list; blanks ignored). */
export function parseBootstrap(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}

/**
 * Reads username/password from a JAAS line such as
 * `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`.
 * Values may be double-quoted (with `\"` and `\\` escapes) or bare tokens.
 */
export function parseJaasConfig(jaas: string): { loginModule: string; options: Map<string, string> } | { error: string } {
  const s = jaas.trim();
  const m = /^([A-Za-z0-9_.$]+)\s+(required|requisite|sufficient|optional)\b/.exec(s);
  if (!m) return { error: 'expected "<LoginModule class> required key=\\"value\\" ...;"' };
  const options = new Map<string, string>();
  let i = m[0].length;
  const n = s.length;
  for (;;) {
    while (i < n && /\s/.test(s[i]!)) i++;
    if (i >= n) return { error: 'missing the terminating ";"' };
    if (s[i] === ';') break;
    const km = /^[A-Za-z0-9_.-]+/.exec(s.slice(i));
    if (!km) return { error: `unexpected character '${s[i]!}' at position ${i}` };
    const key = km[0];
    i += key.length;
    while (i < n && /\s/.test(s[i]!)) i++;
    if (s[i] !== '=') return { error: `expected '=' after option ${key}` };
    i++;
    while (i < n && /\s/.test(s[i]!)) i++;
    let value = '';
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = s[i]!;
        if (c === '\\' && i + 1 < n) { value += s[i + 1]!; i += 2; continue; }
        if (c === '"') { closed = true; i++; break; }
        value += c;
        i++;
      }
      if (!closed) return { error: `unterminated quoted value of option ${key}` };
    } else {
      const vm = /^[^\s;]+/.exec(s.slice(i));
      if (!vm) return { error: `missing value of option ${key}` };
      value = vm[0];
      i += value.length;
    }
    options.set(key, value);
  }
  return { loginModule: m[1]!, options };
}

function intOf(notes: MappingNote[], key: string, v: string, min = 0): number | undefined {
  const t = v.trim();
  if (!/^[+-]?\d+$/.test(t) || Number(t) < min || !Number.isSafeInteger(Number(t))) {
    notes.push({ level: 'error', key, message: `value '${v}' of ${key} is not an integer >= ${min}`, fix: `set ${key} to a whole number` });
    return undefined;
  }
  return Number(t);
}

function boolOf(v: string): boolean { return v.trim().toLowerCase() === 'true'; }

/** Keys shared by producer and consumer (security, timeouts, ids). Returns true when handled. */
function mapCommon(spec: CommonSpec, notes: MappingNote[], key: string, v: string, props: ReadonlyMap<string, string>): boolean {
  switch (key) {
    case 'bootstrap.servers':
      notes.push({ level: 'info', key, message: `${key} is replaced by kafka.bootstrap.servers (as in Flume)` });
      return true;
    case 'client.id':
      spec.clientId = v.trim();
      return true;
    case 'request.timeout.ms': {
      const n = intOf(notes, key, v, 1);
      if (n !== undefined) spec.requestTimeout = n;
      return true;
    }
    case 'socket.connection.setup.timeout.ms': {
      const n = intOf(notes, key, v, 1);
      if (n !== undefined) spec.connectionTimeout = n;
      return true;
    }
    case 'metadata.max.age.ms': {
      const n = intOf(notes, key, v, 0);
      if (n !== undefined) spec.metadataMaxAge = n;
      return true;
    }
    case 'retry.backoff.ms': {
      const n = intOf(notes, key, v, 0);
      if (n !== undefined) spec.retry.initialRetryTime = Math.max(1, n);
      return true;
    }
    case 'security.protocol': {
      const p = v.trim().toUpperCase();
      if (p === 'PLAINTEXT' || p === 'SSL' || p === 'SASL_PLAINTEXT' || p === 'SASL_SSL') {
        spec.securityProtocol = p;
      } else {
        notes.push({ level: 'error', key, message: `unknown security.protocol '${v}'`, fix: 'use PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL' });
      }
      return true;
    }
    case 'sasl.mechanism':
    case 'sasl.jaas.config':
      return true; // handled after the loop (they depend on each other and on security.protocol)
    default:
      break;
  }
  if (key.startsWith('ssl.')) return true; // handled after the loop
  if (key.startsWith('sasl.')) {
    notes.push({ level: 'warn', key, message: `${key} is not supported by tsagent's Kafka client (kafkajs) and is ignored`,
      fix: 'SASL works with sasl.mechanism PLAIN or SCRAM-SHA-256/512 and sasl.jaas.config' });
    return true;
  }
  void props;
  return false;
}

/** Security: SASL and TLS, after all keys were seen. */
function finishSecurity(spec: CommonSpec, notes: MappingNote[], props: ReadonlyMap<string, string>): void {
  const proto = spec.securityProtocol;
  const useSasl = proto === 'SASL_PLAINTEXT' || proto === 'SASL_SSL';
  const useTls = proto === 'SSL' || proto === 'SASL_SSL';
  if (useSasl) {
    const mechRaw = props.get('sasl.mechanism')?.trim() ?? 'GSSAPI';
    const mech = mechRaw.toUpperCase();
    let mechanism: SaslMechanism | undefined;
    if (mech === 'PLAIN') mechanism = 'plain';
    else if (mech === 'SCRAM-SHA-256') mechanism = 'scram-sha-256';
    else if (mech === 'SCRAM-SHA-512') mechanism = 'scram-sha-512';
    else {
      notes.push({
        level: 'error', key: 'sasl.mechanism',
        message: props.has('sasl.mechanism')
          ? `sasl.mechanism ${mechRaw} is not supported by tsagent's Kafka client (kafkajs)`
          : `security.protocol is ${proto} but sasl.mechanism is not set, so the Java default GSSAPI (Kerberos) applies, which tsagent's Kafka client does not support`,
        fix: 'set sasl.mechanism to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512',
      });
    }
    const jaas = props.get('sasl.jaas.config');
    if (jaas === undefined) {
      notes.push({ level: 'error', key: 'sasl.jaas.config', message: `security.protocol is ${proto} but sasl.jaas.config is missing`,
        fix: 'set sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username="<user>" password="<password>";' });
    } else if (mechanism) {
      const j = parseJaasConfig(jaas);
      if ('error' in j) {
        notes.push({ level: 'error', key: 'sasl.jaas.config', message: `cannot parse sasl.jaas.config: ${j.error}`,
          fix: 'write it as <LoginModule> required username="<user>" password="<password>";' });
      } else {
        const username = j.options.get('username');
        const password = j.options.get('password');
        if (username === undefined || password === undefined) {
          notes.push({ level: 'error', key: 'sasl.jaas.config', message: 'sasl.jaas.config has no username and/or password option',
            fix: 'add username="<user>" password="<password>"' });
        } else {
          spec.sasl = { mechanism, username, password };
        }
        const expect = mechanism === 'plain' ? 'PlainLoginModule' : 'ScramLoginModule';
        if (!j.loginModule.endsWith(expect)) {
          notes.push({ level: 'warn', key: 'sasl.jaas.config', message: `login module ${j.loginModule} does not match sasl.mechanism ${mechRaw}; using its username/password for ${mechRaw}` });
        }
      }
    }
  } else {
    for (const k of ['sasl.mechanism', 'sasl.jaas.config']) {
      if (props.has(k)) notes.push({ level: 'info', key: k, message: `${k} is ignored because security.protocol is ${proto}` });
    }
  }

  const sslKeys = [...props.keys()].filter((k) => k.startsWith('ssl.'));
  if (!useTls) {
    if (sslKeys.length > 0) notes.push({ level: 'info', key: sslKeys[0]!, message: `ssl.* settings are ignored because security.protocol is ${proto}` });
    return;
  }
  const tls: TlsSpec = { rejectUnauthorized: true, checkHostname: true };
  const get = (k: string): string | undefined => props.get(k)?.trim();
  const tsType = (get('ssl.truststore.type') ?? 'JKS').toUpperCase();
  const tsLoc = get('ssl.truststore.location');
  const tsCerts = props.get('ssl.truststore.certificates');
  if (tsCerts !== undefined) tls.caPem = tsCerts;
  if (tsLoc) {
    if (tsType === 'PEM') tls.caFile = tsLoc;
    else notes.push({ level: 'warn', key: 'ssl.truststore.location', message: `${tsType} truststores cannot be read by Node; the system CA store is used instead`,
      fix: 'export the CA as PEM (keytool -exportcert -rfc -keystore <jks> -alias <ca> -file ca.pem) and set ssl.truststore.type=PEM, ssl.truststore.location=ca.pem' });
  }
  const ksType = (get('ssl.keystore.type') ?? 'JKS').toUpperCase();
  const ksLoc = get('ssl.keystore.location');
  const keyPass = props.get('ssl.key.password') ?? props.get('ssl.keystore.password');
  if (ksLoc) {
    if (ksType === 'PEM') { tls.certFile = ksLoc; tls.keyFile = ksLoc; }
    else if (ksType === 'PKCS12') tls.pfxFile = ksLoc;
    else notes.push({ level: 'error', key: 'ssl.keystore.location', message: `${ksType} keystores cannot be read by Node, so no client certificate would be sent`,
      fix: 'convert it to PKCS12 (keytool -importkeystore -deststoretype PKCS12) and set ssl.keystore.type=PKCS12, or use PEM' });
  }
  const chain = props.get('ssl.keystore.certificate.chain');
  const key = props.get('ssl.keystore.key');
  if (chain !== undefined) tls.certPem = chain;
  if (key !== undefined) tls.keyPem = key;
  if (keyPass !== undefined && (tls.pfxFile || tls.keyFile || tls.keyPem)) tls.passphrase = keyPass;
  const eia = props.get('ssl.endpoint.identification.algorithm');
  if ((eia !== undefined && eia.trim() === '') || boolOf(props.get('ssl.disableTLSHostnameVerification') ?? 'false')) tls.checkHostname = false;
  const protos = `${get('ssl.enabled.protocols') ?? ''},${get('ssl.protocol') ?? ''}`;
  if (/TLSv1\.2/i.test(protos)) tls.minVersion = 'TLSv1.2';
  else if (/TLSv1\.3/i.test(protos)) tls.minVersion = 'TLSv1.3';
  const handled = new Set([
    'ssl.truststore.type', 'ssl.truststore.location', 'ssl.truststore.certificates', 'ssl.truststore.password',
    'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.password', 'ssl.key.password',
    'ssl.keystore.certificate.chain', 'ssl.keystore.key', 'ssl.endpoint.identification.algorithm',
    'ssl.disableTLSHostnameVerification', 'ssl.enabled.protocols', 'ssl.protocol',
  ]);
  for (const k of sslKeys) {
    if (handled.has(k)) continue;
    notes.push({ level: 'warn', key: k, message: `${k} is not supported by tsagent's Kafka client (Node TLS) and is ignored` });
  }
  spec.tls = tls;
}

function newCommon(bootstrap: string): CommonSpec {
  return { brokers: parseBootstrap(bootstrap), clientId: 'tsagent', securityProtocol: 'PLAINTEXT', retry: {} };
}

const PRODUCER_MOOT: Record<string, string> = {
  'linger.ms': 'Flume flushes after every batch, which makes linger.ms moot; each batch is sent at once',
  'buffer.memory': 'records are not buffered across batches: each Flume batch is one request',
  'max.block.ms': 'sends never block on a full buffer (there is none)',
  'delivery.timeout.ms': 'a failed send is retried by the client (retries, retry.backoff.ms) and then by the sink\'s rollback-and-retry loop, so nothing is lost',
};

/** Producer properties (`kafka.producer.*`, prefix removed). */
export function mapProducerProperties(bootstrap: string, props: ReadonlyMap<string, string>): Mapped<ProducerSpec> {
  const notes: MappingNote[] = [];
  const spec: ProducerSpec = { ...newCommon(bootstrap), acks: 1, compression: 'none', ackTimeout: 30000, idempotent: false };
  for (const [key, v] of props) {
    if (mapCommon(spec, notes, key, v, props)) {
      if (key === 'request.timeout.ms' && spec.requestTimeout !== undefined) spec.ackTimeout = spec.requestTimeout;
      continue;
    }
    const t = v.trim();
    switch (key) {
      case 'acks':
        if (t === 'all' || t === '-1') spec.acks = -1;
        else if (t === '0') spec.acks = 0;
        else if (t === '1') spec.acks = 1;
        else notes.push({ level: 'error', key, message: `invalid acks '${v}'`, fix: 'use all, -1, 0 or 1' });
        break;
      case 'compression.type': {
        const c = t.toLowerCase();
        if (c === 'none' || c === 'gzip') spec.compression = c;
        else if (c === 'snappy' || c === 'lz4' || c === 'zstd') {
          notes.push({ level: 'warn', key, message: `compression.type ${c} is not available in tsagent's pure-JavaScript Kafka client; records are sent uncompressed`,
            fix: 'use compression.type=gzip or none' });
        } else notes.push({ level: 'error', key, message: `invalid compression.type '${v}'`, fix: 'use none, gzip, snappy, lz4 or zstd' });
        break;
      }
      case 'retries': {
        const n = intOf(notes, key, v, 0);
        // Java's default is Integer.MAX_VALUE bounded by delivery.timeout.ms; kafkajs needs a count.
        if (n !== undefined) spec.retry.retries = Math.min(n, 30);
        break;
      }
      case 'max.in.flight.requests.per.connection': {
        const n = intOf(notes, key, v, 1);
        if (n !== undefined) spec.maxInFlightRequests = n;
        break;
      }
      case 'enable.idempotence':
        spec.idempotent = boolOf(v);
        break;
      case 'batch.size':
        notes.push({ level: 'warn', key, message: 'batch.size is not applied: tsagent sends each Flume batch (flumeBatchSize events) as one produce request', fix: 'tune flumeBatchSize instead' });
        break;
      case 'key.serializer':
        if (t !== STRING_SER) notes.push({ level: 'warn', key, message: `${key} ${t} is not supported; the key header is sent as UTF-8 text (StringSerializer)` });
        break;
      case 'value.serializer':
        if (t !== BYTES_SER) notes.push({ level: 'warn', key, message: `${key} ${t} is not supported; the body bytes are sent as they are (ByteArraySerializer)` });
        break;
      default:
        if (key in PRODUCER_MOOT) notes.push({ level: 'info', key, message: `${key}: ${PRODUCER_MOOT[key]!}` });
        else notes.push({ level: 'warn', key, message: `${key} is not supported by tsagent's Kafka client (kafkajs) and is ignored` });
    }
  }
  if (spec.idempotent && spec.acks !== -1) {
    notes.push({ level: 'error', key: 'enable.idempotence', message: 'enable.idempotence=true needs acks=all (the Java client refuses this combination too)', fix: 'set acks=all or enable.idempotence=false' });
  }
  finishSecurity(spec, notes, props);
  return { spec, notes };
}

/** Consumer properties (`kafka.consumer.*`, prefix removed); group.id comes from the source. */
export function mapConsumerProperties(bootstrap: string, groupId: string, props: ReadonlyMap<string, string>): Mapped<ConsumerSpec> {
  const notes: MappingNote[] = [];
  // Java 2.7 client defaults (Flume 1.11): session 10 s, heartbeat 3 s, fetch wait 500 ms.
  const spec: ConsumerSpec = {
    ...newCommon(bootstrap), groupId, fromBeginning: false, sessionTimeout: 10000, heartbeatInterval: 3000,
    maxWaitTimeInMs: 500, readUncommitted: true,
  };
  for (const [key, v] of props) {
    if (mapCommon(spec, notes, key, v, props)) continue;
    const t = v.trim();
    const num = (min: number): number | undefined => intOf(notes, key, v, min);
    switch (key) {
      case 'group.id':
        break; // the source declares kafka.consumer.group.id itself
      case 'auto.offset.reset': {
        const r = t.toLowerCase();
        if (r === 'earliest') spec.fromBeginning = true;
        else if (r === 'latest') spec.fromBeginning = false;
        else if (r === 'none') {
          notes.push({ level: 'warn', key, message: "auto.offset.reset=none is not supported by tsagent's Kafka client; a group without committed offsets starts at the end (latest)" });
        } else notes.push({ level: 'error', key, message: `invalid auto.offset.reset '${v}'`, fix: 'use earliest or latest' });
        break;
      }
      case 'enable.auto.commit':
        if (boolOf(v)) notes.push({ level: 'info', key, message: 'enable.auto.commit is forced to false: offsets are committed after each channel commit (as Flume does)' });
        break;
      case 'auto.commit.interval.ms':
        notes.push({ level: 'info', key, message: `${key} has no effect: offsets are committed after each channel commit` });
        break;
      case 'session.timeout.ms': { const n = num(1); if (n !== undefined) spec.sessionTimeout = n; break; }
      case 'heartbeat.interval.ms': { const n = num(1); if (n !== undefined) spec.heartbeatInterval = n; break; }
      case 'max.poll.interval.ms': { const n = num(1); if (n !== undefined) spec.rebalanceTimeout = n; break; }
      case 'fetch.min.bytes': { const n = num(0); if (n !== undefined) spec.minBytes = n; break; }
      case 'fetch.max.bytes': { const n = num(1); if (n !== undefined) spec.maxBytes = n; break; }
      case 'max.partition.fetch.bytes': { const n = num(1); if (n !== undefined) spec.maxBytesPerPartition = n; break; }
      case 'fetch.max.wait.ms': { const n = num(0); if (n !== undefined) spec.maxWaitTimeInMs = n; break; }
      case 'isolation.level': {
        const l = t.toLowerCase();
        if (l === 'read_committed') spec.readUncommitted = false;
        else if (l === 'read_uncommitted') spec.readUncommitted = true;
        else notes.push({ level: 'error', key, message: `invalid isolation.level '${v}'`, fix: 'use read_committed or read_uncommitted' });
        break;
      }
      case 'max.poll.records':
        notes.push({ level: 'info', key, message: `${key} has no effect: batchSize bounds each batch` });
        break;
      case 'partition.assignment.strategy':
        notes.push({ level: 'warn', key, message: `${key} is not supported; partitions are assigned round-robin (kafkajs' assignor)` });
        break;
      case 'key.deserializer':
        if (t !== STRING_DESER) notes.push({ level: 'warn', key, message: `${key} ${t} is not supported; keys are read as UTF-8 text (StringDeserializer)` });
        break;
      case 'value.deserializer':
        if (t !== BYTES_DESER) notes.push({ level: 'warn', key, message: `${key} ${t} is not supported; values are read as bytes (ByteArrayDeserializer)` });
        break;
      default:
        notes.push({ level: 'warn', key, message: `${key} is not supported by tsagent's Kafka client (kafkajs) and is ignored` });
    }
  }
  finishSecurity(spec, notes, props);
  return { spec, notes };
}

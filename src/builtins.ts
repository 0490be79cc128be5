/**
 * Built-in components. One import per component file; add new built-ins here.
 */
import type { ComponentSpec } from './core/spec.js';
import { Registry } from './engine/registry.js';
import memoryChannel from './channels/memory.js';
import fileChannel from './channels/file.js';
import spoolDirSource from './sources/spooldir.js';
import taildirSource from './sources/taildir.js';
import netcatSource from './sources/netcat.js';
import loggerSink from './sinks/logger.js';
import nullSink from './sinks/null.js';
import fileRollSink from './sinks/file-roll.js';
import kafkaSink from './sinks/kafka.js';
import hdfsSink from './sinks/hdfs.js';
import kafkaSource from './sources/kafka.js';
import hostInterceptor from './interceptors/host.js';
import regexExtractorInterceptor from './interceptors/regex-extractor.js';
import regexFilterInterceptor from './interceptors/regex-filter.js';
import removeHeaderInterceptor from './interceptors/remove-header.js';
import searchReplaceInterceptor from './interceptors/search-replace.js';
import staticInterceptor from './interceptors/static.js';
import timestampInterceptor from './interceptors/timestamp.js';
import uuidInterceptor from './interceptors/uuid.js';
import execSource from './sources/exec.js';
import httpSource from './sources/http.js';
import netcatUdpSource from './sources/netcat-udp.js';
import seqSource from './sources/seq.js';
import syslogTcpSource from './sources/syslog-tcp.js';
import syslogUdpSource from './sources/syslog-udp.js';

export const BUILTINS: readonly ComponentSpec[] = [
  memoryChannel as unknown as ComponentSpec,
  fileChannel as unknown as ComponentSpec,
  spoolDirSource as unknown as ComponentSpec,
  taildirSource as unknown as ComponentSpec,
  netcatSource as unknown as ComponentSpec,
  loggerSink as unknown as ComponentSpec,
  nullSink as unknown as ComponentSpec,
  fileRollSink as unknown as ComponentSpec,
  kafkaSink as unknown as ComponentSpec,
  hdfsSink as unknown as ComponentSpec,
  kafkaSource as unknown as ComponentSpec,
  hostInterceptor as unknown as ComponentSpec,
  regexExtractorInterceptor as unknown as ComponentSpec,
  regexFilterInterceptor as unknown as ComponentSpec,
  removeHeaderInterceptor as unknown as ComponentSpec,
  searchReplaceInterceptor as unknown as ComponentSpec,
  staticInterceptor as unknown as ComponentSpec,
  timestampInterceptor as unknown as ComponentSpec,
  uuidInterceptor as unknown as ComponentSpec,
  execSource as unknown as ComponentSpec,
  httpSource as unknown as ComponentSpec,
  netcatUdpSource as unknown as ComponentSpec,
  seqSource as unknown as ComponentSpec,
  syslogTcpSource as unknown as ComponentSpec,
  syslogUdpSource as unknown as ComponentSpec,
];

export function builtinRegistry(): Registry {
  const r = new Registry();
  for (const s of BUILTINS) r.register(s);
  return r;
}

/**
 * Built-in components. One import per component file; add new built-ins here.
 */
import type { ComponentSpec } from './core/spec.js';
import { Registry } from './engine/registry.js';
import memoryChannel from './channels/memory.js';
import netcatSource from './sources/netcat.js';
import loggerSink from './sinks/logger.js';
import nullSink from './sinks/null.js';
import fileRollSink from './sinks/file-roll.js';
import kafkaSink from './sinks/kafka.js';
import hdfsSink from './sinks/hdfs.js';
import kafkaSource from './sources/kafka.js';

export const BUILTINS: readonly ComponentSpec[] = [
  memoryChannel as unknown as ComponentSpec,
  netcatSource as unknown as ComponentSpec,
  loggerSink as unknown as ComponentSpec,
  nullSink as unknown as ComponentSpec,
  fileRollSink as unknown as ComponentSpec,
  kafkaSink as unknown as ComponentSpec,
  hdfsSink as unknown as ComponentSpec,
  kafkaSource as unknown as ComponentSpec,
];

export function builtinRegistry(): Registry {
  const r = new Registry();
  for (const s of BUILTINS) r.register(s);
  return r;
}

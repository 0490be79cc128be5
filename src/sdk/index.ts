/**
 * tsagent's public plugin API. Plugins (sources, channels, sinks, interceptors) import only
 * from here: `import { defineSink, READY, BACKOFF } from 'tsagent/sdk'`.
 * See README "Writing a plugin".
 */
export type { Event } from '../core/event.js';
export { createEvent, headersToJavaString } from '../core/event.js';
// Flume keeps headers in a java.util.HashMap; these keep tsagent's printed header order equal to
// Flume's when a plugin copies a header map (EventBuilder.withBody(body, map)) or removes a header.
export { javaHeaderOrder, markHeadersCopied, removeHeader } from '../core/java-hashmap-order.js';
export type { Channel, ChannelProcessor, Interceptor, Lifecycle, Sink, SinkProcessor, Source, Transaction } from '../core/contracts.js';
export type { ComponentContext } from '../core/context.js';
export type { Status, Clock } from '../core/lifecycle.js';
export { READY, BACKOFF, sleep, systemClock } from '../core/lifecycle.js';
export type { Logger } from '../core/logger.js';
export { CounterGroup, SOURCE_COUNTERS, SINK_COUNTERS, CHANNEL_COUNTERS, KAFKA_SINK_COUNTERS, KAFKA_SOURCE_COUNTERS } from '../core/counters.js';
export type { CounterType } from '../core/counters.js';
export {
  ChannelException, ChannelFullException, ConfigurationError, EventDeliveryException, TsagentError, isTsagentError,
} from '../core/errors.js';
export type {
  ChannelSpec, ComponentSpec, InterceptorSpec, PassThrough, PropDecl, PropDecls, PropsOf, PropType, SinkSpec, SourceSpec,
} from '../core/spec.js';
export { defineChannel, defineInterceptor, defineSink, defineSource } from '../core/spec.js';
export { buildComponent } from '../engine/build.js';

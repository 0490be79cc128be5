/**
 * Errors with stable codes. Errors are branded with a symbol so `isTsagentError` works even
 * when a plugin bundles its own copy of the SDK (instanceof would not).
 */
const BRAND = Symbol.for('tsagent.error');

export class TsagentError extends Error {
  readonly code: string;
  readonly [BRAND] = true;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'TsagentError';
  }
}

export function isTsagentError(e: unknown): e is TsagentError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** Flume's ChannelException: the general channel failure (put-list overflow, byte capacity, ...). */
export class ChannelException extends TsagentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CHANNEL', message, options);
    this.name = 'ChannelException';
  }
}

/** Flume's ChannelFullException: no room in the channel (memory channel: at commit). */
export class ChannelFullException extends ChannelException {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelFullException';
    (this as { code: string }).code = 'CHANNEL_FULL';
  }
}

/** Flume's EventDeliveryException: a sink or pollable source could not deliver a batch. */
export class EventDeliveryException extends TsagentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EVENT_DELIVERY', message, options);
    this.name = 'EventDeliveryException';
  }
}

/** A configuration error detected at start (after validation), e.g. a bind failure. */
export class ConfigurationError extends TsagentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIGURATION', message, options);
    this.name = 'ConfigurationError';
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Stable error codes of the core (see the README section "Exit status and errors"). */
export const ERROR_CODES = {
  CHANNEL: 'A channel operation failed (transaction capacity, byte capacity, misuse).',
  CHANNEL_FULL: 'The channel had no room for the committed events.',
  EVENT_DELIVERY: 'A sink or pollable source could not deliver a batch; it is rolled back and retried.',
  CONFIGURATION: 'A component could not be started with its configuration.',
} as const;

import { javaHeaderOrder } from './java-hashmap-order.js';

/**
 * A Flume event: string headers plus an opaque body. Bodies are Buffers (never null; an
 * empty body is a zero-length Buffer). Headers are a plain object; components that copy
 * events copy the header object (Flume's EventBuilder copies the map).
 */
export interface Event {
  headers: Record<string, string>;
  body: Buffer;
}

const EMPTY = Buffer.alloc(0);

export function createEvent(body: Buffer | string | null | undefined, headers?: Record<string, string>): Event {
  const b = body == null ? EMPTY : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return { headers: headers ?? {}, body: b };
}

/**
 * Java HashMap.toString() rendering, as Flume prints headers (logger sink, header_and_text):
 * `{k1=v1, k2=v2}` in the iteration order Flume's HashMap would have (see java-hashmap-order.ts).
 */
export function headersToJavaString(headers: Record<string, string>): string {
  const keys = javaHeaderOrder(headers);
  if (keys.length === 0) return '{}';
  let s = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (i > 0) s += ', ';
    s += `${k}=${headers[k]}`;
  }
  return s + '}';
}

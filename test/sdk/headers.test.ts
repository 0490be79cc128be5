/**
 * The SDK's header helpers: what a plugin source or interceptor uses so that tsagent prints
 * headers in the order Flume's java.util.HashMap iterates them (the model itself is checked
 * against a JVM in test/core/java-hashmap-order.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createEvent, headersToJavaString, javaHeaderOrder, markHeadersCopied, removeHeader } from '../../src/sdk/index.js';

describe('SDK header helpers', () => {
  it('a plain header object prints in HashMap order, not insertion order', () => {
    const e = createEvent('x', { timestamp: '1', host: 'h', topic: 't' });
    expect(javaHeaderOrder(e.headers)).not.toEqual(Object.keys(e.headers));
    expect(headersToJavaString(e.headers)).toBe(`{${javaHeaderOrder(e.headers).map((k) => `${k}=${e.headers[k]}`).join(', ')}}`);
  });

  it('a copied map (EventBuilder.withBody(body, map)) is sized from its entries, which can change the order', () => {
    const keys = ['a', 'h']; // buckets 1 and 8 of a 16-slot table; 1 and 0 of the 4-slot table a 2-entry copy gets
    const plain: Record<string, string> = {};
    const copied: Record<string, string> = {};
    for (const k of keys) plain[k] = copied[k] = 'v';
    markHeadersCopied(copied);
    expect(javaHeaderOrder(copied)).not.toEqual(javaHeaderOrder(plain));
    expect([...javaHeaderOrder(copied)].sort()).toEqual([...keys].sort());
  });

  it('removeHeader drops the key from the printed headers', () => {
    const h = { a: '1', b: '2' };
    removeHeader(h, 'a');
    expect(headersToJavaString(h)).toBe('{b=2}');
  });
});

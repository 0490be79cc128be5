import { describe, expect, it } from 'vitest';
import { buildComponent, createEvent } from '../../../src/sdk/index.js';
import ipMask from '../src/index.js';

describe('ip_mask example plugin', () => {
  it.each([
    ['3', '192.168.1.23 - - [01/Jul/1995]', '192.168.1.0 - - [01/Jul/1995]'],
    ['2', '10.1.2.3 GET', '10.1.0.0 GET'],
    ['0', 'from 8.8.8.8', 'from 0.0.0.0'],
    ['3', 'no address here', 'no address here'],
  ])('keepOctets=%s masks %j', (keep, body, expected) => {
    const { instance } = buildComponent(ipMask, 'm', { keepOctets: keep, header: 'masked' });
    const [e] = instance.intercept([createEvent(body)]);
    expect(e!.body.toString()).toBe(expected);
    expect(e!.headers.masked).toBe(body === expected ? undefined : 'true');
  });

  it('is validated from its declaration like a built-in', () => {
    expect(() => buildComponent(ipMask, 'm', { keepOctets: '7' })).toThrow(/must be <= 3/);
  });
});

import { describe, expect, it } from 'vitest';
import { canonicalJson, requestHash } from './request-hash.ts';

describe('requestHash', () => {
  it('ignores key order at every level', () => {
    const a = { store_id: 's', drop: { lat: 1, lon: 2 }, items: [{ name: 'x', qty: 1 }] };
    const b = { items: [{ qty: 1, name: 'x' }], drop: { lon: 2, lat: 1 }, store_id: 's' };
    expect(requestHash(a)).toBe(requestHash(b));
    expect(canonicalJson(b)).toBe('{"drop":{"lat":1,"lon":2},"items":[{"name":"x","qty":1}],"store_id":"s"}');
  });

  it('tells different bodies apart, including array order and undefined vs absent', () => {
    expect(requestHash({ items: [1, 2] })).not.toBe(requestHash({ items: [2, 1] }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
    expect(requestHash({ a: 1, b: undefined })).toBe(requestHash({ a: 1 }));
    expect(requestHash({ a: '1' })).not.toBe(requestHash({ a: 1 }));
  });
});

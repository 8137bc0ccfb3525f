import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLimitSettings } from './rate-limit.ts';
import { createApiHarness, type ApiHarness, HARNESS_BACKENDS, type JsonResponse } from './testing/api-harness.ts';

/**
 * Request rate limits (rate-limit.ts) and the per-rider GPS rate (the geo store's ping step) through the HTTP app, on
 * both harness backends: the limiter on Redis (real) or in memory (embedded), driven by the harness's manual clock.
 */

/** Small buckets, so a test reaches them in a few requests. */
const LIMITS: RequestLimitSettings = {
  enabled: true,
  operator: { perSecond: 2, burst: 5 },
  key: { perSecond: 1, burst: 3 },
  ip: { perSecond: 0.5, burst: 2 },
  exemptLoopback: true,
  trustProxy: true,
};
const GPS = { perSecond: 1, burst: 2 };

const token = (kind: 'op' | 'st' | 'rd') => `dgo_${kind}_${randomBytes(32).toString('base64url')}`;
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
/** A request without a token from `ip` (the harness may send an operator key by default: blank it). */
const fromIp = (ip: string) => ({ authorization: '', 'x-forwarded-for': `${ip}, 10.0.0.1` });

const limitHeaders = (res: JsonResponse) => ({
  limit: res.headers.get('ratelimit-limit'),
  remaining: res.headers.get('ratelimit-remaining'),
  reset: res.headers.get('ratelimit-reset'),
});

function expectRateLimited(res: JsonResponse, limit: string, retryAfter: number): void {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({
    error: {
      code: 'request.rate_limited',
      message: expect.stringContaining('rate limit exceeded'),
      details: { limit, retry_after_s: retryAfter },
    },
  });
  expect(res.headers.get('retry-after')).toBe(String(retryAfter));
  expect(res.headers.get('ratelimit-remaining')).toBe('0');
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
}

describe.each(HARNESS_BACKENDS)('request limits on the %s stores', (backend) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await createApiHarness('api_limits', backend, { limits: { requests: LIMITS } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers the N+1th request of a key with 429, Retry-After and RateLimit-* headers; another key is unaffected', async () => {
    const store = token('st');
    for (let i = 0; i < 3; i++) {
      const res = await h.call('GET', '/stores', undefined, bearer(store));
      expect(res.status).not.toBe(429);
      expect(limitHeaders(res)).toEqual({ limit: '3', remaining: String(2 - i), reset: String(i + 1) });
    }
    const refused = await h.call('GET', '/stores', undefined, bearer(store));
    expectRateLimited(refused, 'key', 1);
    expect(limitHeaders(refused)).toEqual({ limit: '3', remaining: '0', reset: '3' });
    // Any method and route count against the same key.
    expectRateLimited(await h.call('POST', '/orders', {}, bearer(store)), 'key', 1);

    const other = await h.call('GET', '/stores', undefined, bearer(token('st')));
    expect(other.status).not.toBe(429);
    expect(limitHeaders(other)).toMatchObject({ limit: '3', remaining: '2' });
    // The same token under another scheme spelling is the same key (the token is what is hashed).
    expect((await h.call('GET', '/stores', undefined, { authorization: `bearer  ${store}` })).status).toBe(429);
  });

  it('refills at the sustained rate on the injected clock', async () => {
    const rider = token('rd');
    for (let i = 0; i < 3; i++) await h.call('GET', '/stores', undefined, bearer(rider));
    expect((await h.call('GET', '/stores', undefined, bearer(rider))).status).toBe(429);
    h.clock.advance(999);
    expect((await h.call('GET', '/stores', undefined, bearer(rider))).status).toBe(429);
    h.clock.advance(1);
    const refilled = await h.call('GET', '/stores', undefined, bearer(rider));
    expect(refilled.status).not.toBe(429);
    expect(limitHeaders(refilled).remaining).toBe('0');
    h.clock.advance(10_000);
    expect(limitHeaders(await h.call('GET', '/stores', undefined, bearer(rider))).remaining).toBe('2');
  });

  it('gives operator keys their own, larger bucket', async () => {
    const operator = token('op');
    for (let i = 0; i < 5; i++)
      expect((await h.call('GET', '/stores', undefined, bearer(operator))).status).not.toBe(429);
    const refused = await h.call('GET', '/stores', undefined, bearer(operator));
    expectRateLimited(refused, 'operator', 1);
    expect(refused.headers.get('ratelimit-limit')).toBe('5');
  });

  it('limits requests without a token per client IP, and never /health or /metrics', async () => {
    for (let i = 0; i < 2; i++)
      expect((await h.call('GET', '/stores', undefined, fromIp('203.0.113.7'))).status).not.toBe(429);
    const refused = await h.call('GET', '/stores', undefined, fromIp('203.0.113.7'));
    expectRateLimited(refused, 'ip', 2); // 0.5/s: the next token is 2 s away
    expect((await h.call('GET', '/stores', undefined, fromIp('203.0.113.8'))).status).not.toBe(429);
    // A token is its own caller, whatever the IP.
    expect(
      (await h.call('GET', '/stores', undefined, { ...fromIp('203.0.113.7'), ...bearer(token('st')) })).status,
    ).not.toBe(429);
    for (let i = 0; i < 5; i++) {
      const health = await h.call('GET', '/health', undefined, fromIp('203.0.113.7'));
      expect(health.status).toBe(200);
      expect(health.headers.get('ratelimit-limit')).toBeNull();
    }
    for (let i = 0; i < 3; i++) {
      expect((await h.app.request('/metrics', { headers: fromIp('203.0.113.7') })).status).toBe(200);
    }
    // Loopback clients are exempt by default: no bucket, no headers.
    for (let i = 0; i < 5; i++) {
      const local = await h.call('GET', '/stores', undefined, fromIp('127.0.0.1'));
      expect(local.status).not.toBe(429);
      expect(local.headers.get('ratelimit-limit')).toBeNull();
    }
  });

  it(
    backend === 'real'
      ? 'shares one bucket between two API instances on the same Redis'
      : 'keeps a bucket per process in memory (the embedded mode runs one API process)',
    async () => {
      const other = await h.anotherInstance();
      const key = token('st');
      for (let i = 0; i < 2; i++) expect((await h.call('GET', '/stores', undefined, bearer(key))).status).not.toBe(429);
      const third = await other.call('GET', '/stores', undefined, bearer(key));
      if (backend === 'real') {
        expect(third.status).not.toBe(429);
        expect(limitHeaders(third).remaining).toBe('0');
        expectRateLimited(await other.call('GET', '/stores', undefined, bearer(key)), 'key', 1);
        expectRateLimited(await h.call('GET', '/stores', undefined, bearer(key)), 'key', 1);
      } else {
        expect(limitHeaders(third).remaining).toBe('2');
      }
    },
  );
});

describe.each(HARNESS_BACKENDS)('GPS ingest per rider on the %s stores', (backend) => {
  let h: ApiHarness;
  const HERE = { lat: 43.7384, lon: 7.4246 };
  beforeAll(async () => {
    h = await createApiHarness('api_limits_gps', backend, { limits: { gps: GPS } });
  });
  afterAll(async () => {
    await h?.close();
  });

  let seq = 0;
  const ping = (riderId: string) =>
    h.call('POST', `/riders/${riderId}/location`, {
      ...HERE,
      recorded_at: new Date(h.clock.now() + ++seq).toISOString(),
    });

  it('takes a burst of pings, then answers 429 with Retry-After until the rider’s next token; others are unaffected', async () => {
    const a = (await h.call('POST', '/riders', { name: 'Fast', ...HERE })).body.id as string;
    const b = (await h.call('POST', '/riders', { name: 'Calm', ...HERE })).body.id as string;
    // Registering at a position is not a ping (it does not spend the rider's bucket).
    for (let i = 0; i < 2; i++) expect(await ping(a)).toMatchObject({ status: 202, body: { status: 'accepted' } });
    const refused = await ping(a);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: {
        code: 'request.rate_limited',
        message: expect.stringContaining(a),
        details: { limit: 'gps', rider_id: a, retry_after_s: 1 },
      },
    });
    expect(refused.headers.get('retry-after')).toBe('1');
    const before = await h.geo.getRiderPosition(a);
    expect(await ping(b)).toMatchObject({ status: 202 });
    h.clock.advance(999);
    expect((await ping(a)).status).toBe(429);
    expect(await h.geo.getRiderPosition(a)).toEqual(before); // a refused ping changes nothing
    h.clock.advance(1);
    expect(await ping(a)).toMatchObject({ status: 202, body: { status: 'accepted' } });
  });

  it('does not limit the operator’s bulk feed per rider', async () => {
    const id = (await h.call('POST', '/riders', { name: 'Fleet', ...HERE })).body.id as string;
    const pings = Array.from({ length: 10 }, () => ({
      rider_id: id,
      ...HERE,
      recorded_at: new Date(h.clock.now() + ++seq).toISOString(),
    }));
    const res = await h.call('POST', '/riders/locations', { pings });
    expect(res).toMatchObject({ status: 202, body: { accepted: 10 } });
  });
});

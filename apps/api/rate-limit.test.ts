import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../internal/platform/logger.ts';
import { MemoryRateLimiter } from '../../internal/ratelimit/memory-rate-limiter.ts';
import type { RateLimiter } from '../../internal/ratelimit/rate-limiter.ts';
import {
  clientIp,
  createRequestLimits,
  isLoopback,
  LIMITER_TIMEOUT_MS,
  type RequestLimitSettings,
} from './rate-limit.ts';

const SETTINGS: RequestLimitSettings = {
  enabled: true,
  operator: { perSecond: 100, burst: 200 },
  key: { perSecond: 5, burst: 10 },
  ip: { perSecond: 1, burst: 2 },
  exemptLoopback: true,
  trustProxy: false,
};

describe('request limit subjects', () => {
  const limits = createRequestLimits(new MemoryRateLimiter(), SETTINGS, silentLogger);
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');

  it('counts a token by its SHA-256 (never the token itself), operator tokens in their own bucket', () => {
    const store = 'dgo_st_abc';
    expect(limits.subjectOf({ authorization: `Bearer ${store}`, remoteAddress: '198.51.100.1' })).toEqual({
      policy: { name: 'key', perSecond: 5, burst: 10 },
      key: sha(store),
    });
    expect(limits.subjectOf({ authorization: 'BEARER   dgo_op_xyz ' })).toMatchObject({
      policy: { name: 'operator' },
      key: sha('dgo_op_xyz'),
    });
    // Another scheme: the whole credential is the key.
    expect(limits.subjectOf({ authorization: 'Basic dXNlcjpwYXNz' })).toMatchObject({
      policy: { name: 'key' },
      key: sha('Basic dXNlcjpwYXNz'),
    });
  });

  it('counts a request without a token by its client IP; loopback is exempt unless configured otherwise', () => {
    expect(limits.subjectOf({ authorization: '  ', remoteAddress: '::ffff:198.51.100.7' })).toMatchObject({
      policy: { name: 'ip' },
      key: '198.51.100.7',
    });
    expect(limits.subjectOf({ remoteAddress: '127.0.0.1' })).toBeUndefined();
    expect(limits.subjectOf({ remoteAddress: '::1' })).toBeUndefined();
    expect(limits.subjectOf({ remoteAddress: '::ffff:127.0.0.1' })).toBeUndefined();
    // X-Forwarded-For is ignored unless the proxy is trusted (a client could write anything there).
    expect(limits.subjectOf({ remoteAddress: '198.51.100.7', forwardedFor: '127.0.0.1' })).toMatchObject({
      key: '198.51.100.7',
    });
    const strict = createRequestLimits(new MemoryRateLimiter(), { ...SETTINGS, exemptLoopback: false }, silentLogger);
    expect(strict.subjectOf({ remoteAddress: '127.0.0.1' })).toMatchObject({ key: '127.0.0.1' });
    const off = createRequestLimits(new MemoryRateLimiter(), { ...SETTINGS, enabled: false }, silentLogger);
    expect(off.subjectOf({ authorization: 'Bearer dgo_st_abc' })).toBeUndefined();
  });

  it('takes the client IP from the first X-Forwarded-For entry behind a trusted proxy', () => {
    expect(clientIp({ remoteAddress: '127.0.0.1', forwardedFor: ' 203.0.113.9 , 10.0.0.2' }, true)).toBe('203.0.113.9');
    expect(clientIp({ remoteAddress: '127.0.0.1' }, true)).toBe('127.0.0.1');
    expect(clientIp({}, false)).toBe('unknown');
    expect(['127.0.0.1', '127.8.9.10', '::1'].every(isLoopback)).toBe(true);
    expect(['128.0.0.1', '::2', '1270.0.0.1', 'unknown'].some(isLoopback)).toBe(false);
  });
});

describe('request limits when the limiter fails', () => {
  const warnings: unknown[] = [];
  const logger = { ...silentLogger, warn: (...args: unknown[]) => void warnings.push(args) } as unknown as Logger;

  it('lets the request through (fail open) when the limiter errs or hangs, warning at most every 10 s', async () => {
    const failing: RateLimiter = {
      adapter: 'redis',
      consume: () => Promise.reject(new Error('down')),
      close: async () => {},
    };
    const limits = createRequestLimits(failing, SETTINGS, logger);
    expect(await limits.check({ remoteAddress: '198.51.100.1' })).toBeUndefined();
    expect(await limits.check({ remoteAddress: '198.51.100.1' })).toBeUndefined();
    expect(warnings).toHaveLength(1);

    const hanging: RateLimiter = { adapter: 'redis', consume: () => new Promise(() => {}), close: async () => {} };
    const slow = createRequestLimits(hanging, SETTINGS, silentLogger);
    const started = performance.now();
    expect(await slow.check({ remoteAddress: '198.51.100.1' })).toBeUndefined();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(LIMITER_TIMEOUT_MS - 5);
    expect(waited).toBeLessThan(LIMITER_TIMEOUT_MS + 1_000);
  });
});

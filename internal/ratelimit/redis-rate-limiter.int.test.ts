import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createTestRedis, testRedisUrl } from '../../tests/support/redis.ts';
import { ManualClock } from '../platform/clock.ts';
import { rateLimiterContract } from './rate-limiter.contract.ts';
import { RedisRateLimiter } from './redis-rate-limiter.ts';

rateLimiterContract('redis', async (clock) => {
  const r = await createTestRedis();
  // The peer is another API instance: its own connection, the same server and prefix.
  const other = new Redis(testRedisUrl(), { lazyConnect: true });
  await other.connect();
  return {
    limiter: new RedisRateLimiter(r.redis, { prefix: r.prefix, clock }),
    peer: new RedisRateLimiter(other, { prefix: r.prefix, clock }),
    dispose: async () => {
      await other.quit();
      await r.cleanup();
    },
  };
});

describe('RedisRateLimiter', () => {
  it('keeps one key per caller under the prefix, expiring when the bucket is full again', async () => {
    const r = await createTestRedis();
    try {
      const clock = new ManualClock(1_750_000_000_000);
      const limiter = new RedisRateLimiter(r.redis, { prefix: r.prefix, clock });
      const policy = { name: 'ip', perSecond: 2, burst: 20 };
      for (let i = 0; i < 3; i++) await limiter.consume(policy, '203.0.113.9');
      const key = `${r.prefix}rl:ip:203.0.113.9`;
      expect(limiter.keyOf(policy, '203.0.113.9')).toBe(key);
      expect(Number(await r.redis.get(key))).toBe(1_750_000_000_000 + 1_500);
      const pttl = await r.redis.pttl(key);
      expect(pttl).toBeGreaterThan(1_000);
      expect(pttl).toBeLessThanOrEqual(1_500);
      expect(await r.redis.keys(`${r.prefix}*`)).toEqual([key]);
    } finally {
      await r.cleanup();
    }
  });

  it('refuses a client with an ioredis keyPrefix', () => {
    const prefixed = new Redis(testRedisUrl(), { lazyConnect: true, keyPrefix: 'x:' });
    expect(() => new RedisRateLimiter(prefixed)).toThrow(/keyPrefix/);
    prefixed.disconnect();
  });
});

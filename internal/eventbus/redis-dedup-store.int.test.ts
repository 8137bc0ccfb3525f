import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '../../tests/support/redis.ts';
import { dedupStoreContract } from './dedup-store.contract.ts';
import { RedisDedupStore } from './redis-dedup-store.ts';

dedupStoreContract('redis', async () => {
  const redis = await createTestRedis();
  return { store: new RedisDedupStore(redis.redis, { prefix: `${redis.prefix}dedup` }), dispose: redis.cleanup };
});

describe('RedisDedupStore', () => {
  let r: TestRedis;
  beforeAll(async () => {
    r = await createTestRedis();
  });
  afterAll(() => r.cleanup());

  it('writes one key per (group, id) under its prefix, with the TTL of the first write', async () => {
    const store = new RedisDedupStore(r.redis, { prefix: r.key('dedup'), ttlSeconds: 60 });
    const id = randomUUID();
    await store.remember('dispatcher', id);
    const key = r.key(`dedup:dispatcher:${id}`);
    expect(await r.redis.exists(key)).toBe(1);
    const ttl = await r.redis.ttl(key);
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);

    // SET NX: a second remember does not extend the entry's life.
    await r.redis.expire(key, 5);
    await store.remember('dispatcher', id);
    expect(await r.redis.ttl(key)).toBeLessThanOrEqual(5);
  });

  it('forgets an id once its TTL has passed', async () => {
    const store = new RedisDedupStore(r.redis, { prefix: r.key('dedup'), ttlSeconds: 1 });
    const id = randomUUID();
    await store.remember('g', id);
    expect(await store.seen('g', id)).toBe(true);
    await r.redis.pexpire(r.key(`dedup:g:${id}`), 1); // skip the wait
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await store.seen('g', id)).toBe(false);
  });
});

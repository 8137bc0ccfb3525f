import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRedis, testRedisUrl, type TestRedis } from '../../tests/support/redis.ts';
import { ManualClock, systemClock } from '../platform/clock.ts';
import { geoStoreContract } from './geo-store.contract.ts';
import { geoStoreHealthCheck, type RiderPingOf } from './geo-store.ts';
import { RedisGeoStore } from './redis-geo-store.ts';

geoStoreContract('redis', async (options) => {
  const r = await createTestRedis();
  return { store: new RedisGeoStore(r.redis, { prefix: r.key('geo:'), ...options }), dispose: r.cleanup };
});

const CENTRE = { lat: 12.9716, lon: 77.5946 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisGeoStore', () => {
  let r: TestRedis;
  beforeAll(async () => {
    r = await createTestRedis();
  });
  afterAll(() => r.cleanup());

  it('keeps the documented key layout under its prefix, with a TTL on the position hash', async () => {
    const prefix = r.key('layout:');
    const store = new RedisGeoStore(r.redis, { prefix, riderTtlMs: 30_000 });
    await store.setRiderAvailability('r1', 'available');
    await store.updateRiderPosition('r1', { ...CENTRE, recordedAt: 42, speed: 3 });
    await store.indexPath('p1', ['8960145b4b3ffff']);

    expect(await r.redis.hgetall(`${prefix}rider:pos:r1`)).toMatchObject({
      lat: String(CENTRE.lat),
      lon: String(CENTRE.lon),
      rec: '42',
      speed: '3',
    });
    const pttl = await r.redis.pttl(`${prefix}rider:pos:r1`);
    expect(pttl).toBeGreaterThan(25_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
    expect(await r.redis.hgetall(`${prefix}rider:state:r1`)).toEqual({ status: 'available' });
    expect(await r.redis.pttl(`${prefix}rider:state:r1`)).toBe(-1); // the status does not expire with the position
    expect(await r.redis.geopos(`${prefix}riders:available`, 'r1')).toHaveLength(1);
    expect((await r.redis.geopos(`${prefix}riders:available`, 'r1'))[0]).not.toBeNull();
    expect((await r.redis.geopos(`${prefix}riders:live`, 'r1'))[0]).not.toBeNull();
    expect(await r.redis.zscore(`${prefix}riders:seen`, 'r1')).not.toBeNull();
    expect(await r.redis.smembers(`${prefix}h3:8960145b4b3ffff`)).toEqual(['p1']);
    expect(await r.redis.smembers(`${prefix}path:p1`)).toEqual(['8960145b4b3ffff']);

    await store.claimRider('r1', 'b1');
    expect(await r.redis.hgetall(`${prefix}rider:state:r1`)).toEqual({ status: 'busy', batch: 'b1' });
    expect((await r.redis.geopos(`${prefix}riders:available`, 'r1'))[0]).toBeNull();
  });

  it('expires positions in real time: the hash is gone, searches skip and prune the rider', async () => {
    const prefix = r.key('realtime:');
    const store = new RedisGeoStore(r.redis, { prefix, clock: systemClock, riderTtlMs: 1_000 });
    await store.setRiderAvailability('r1', 'available');
    await store.updateRiderPosition('r1', { ...CENTRE, recordedAt: Date.now() });
    expect(await store.searchAvailable(CENTRE, 100, 10)).toHaveLength(1);

    await sleep(1_150);
    expect(await r.redis.exists(`${prefix}rider:pos:r1`)).toBe(0);
    expect(await store.getRiderPosition('r1')).toBeNull();
    expect(await store.searchAvailable(CENTRE, 100, 10)).toEqual([]);
    expect(await store.searchNearby(CENTRE, 100, 10)).toEqual([]);
    // The search pruned the ghost from every set, not merely hid it.
    expect(await r.redis.zscore(`${prefix}riders:seen`, 'r1')).toBeNull();
    expect((await r.redis.geopos(`${prefix}riders:live`, 'r1'))[0]).toBeNull();
    expect((await r.redis.geopos(`${prefix}riders:available`, 'r1'))[0]).toBeNull();
    expect(await store.getRiderStatus('r1')).toEqual({ status: 'available', batchId: null });
  });

  it('lets exactly one of 20 claims from 20 separate connections win', async () => {
    const prefix = r.key('race:');
    const clients = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const client = new Redis(testRedisUrl(), { lazyConnect: true });
        await client.connect();
        return client;
      }),
    );
    try {
      const seed = new RedisGeoStore(r.redis, { prefix });
      await seed.setRiderAvailability('r1', 'available');
      await seed.updateRiderPosition('r1', { ...CENTRE, recordedAt: 1 });
      const stores = clients.map((c) => new RedisGeoStore(c, { prefix }));
      // Load the script on every connection first, so the claims really race rather than queue behind EVALs.
      await Promise.all(stores.map((s) => s.claimRider('nobody', 'warm-up')));
      const wins = await Promise.all(stores.map((s, i) => s.claimRider('r1', `batch-${i}`)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await seed.getRiderStatus('r1')).toEqual({ status: 'busy', batchId: `batch-${wins.indexOf(true)}` });
    } finally {
      await Promise.all(clients.map((c) => c.quit()));
    }
  });

  it('keeps stores with different prefixes apart', async () => {
    const a = new RedisGeoStore(r.redis, { prefix: r.key('a:') });
    const b = new RedisGeoStore(r.redis, { prefix: r.key('b:') });
    await a.setRiderAvailability('r1', 'available');
    await a.updateRiderPosition('r1', { ...CENTRE, recordedAt: 1 });
    await a.indexPath('p1', ['8960145b4b3ffff']);
    expect(await b.searchNearby(CENTRE, 1_000, 10)).toEqual([]);
    expect(await b.getRiderPosition('r1')).toBeNull();
    expect(await b.pathsForCell('8960145b4b3ffff')).toEqual([]);
    expect(await a.pathsForCell('8960145b4b3ffff')).toEqual(['p1']);
  });

  it('applies a large batch of pings in one pipeline', async () => {
    const store = new RedisGeoStore(r.redis, { prefix: r.key('batch:'), clock: new ManualClock(1_000) });
    const pings: RiderPingOf[] = Array.from({ length: 5_000 }, (_, i) => ({
      riderId: `r${i % 1_000}`,
      lat: CENTRE.lat + (i % 1_000) * 1e-5,
      lon: CENTRE.lon,
      recordedAt: 1_000 + Math.floor(i / 1_000),
    }));
    const sent: string[] = [];
    const pipeline = r.redis.pipeline.bind(r.redis);
    const spy = r.redis as unknown as { pipeline: typeof pipeline };
    spy.pipeline = (...args: Parameters<typeof pipeline>) => {
      sent.push('pipeline');
      return pipeline(...args);
    };
    try {
      const results = await store.updateRiderPositions(pings);
      expect(results).toHaveLength(5_000);
      expect(results.every((x) => x.applied)).toBe(true);
    } finally {
      delete (spy as Partial<typeof spy>).pipeline; // back to the prototype's method
    }
    expect(sent).toEqual(['pipeline']);
    expect(await store.searchNearby(CENTRE, 1_200, 10_000)).toHaveLength(1_000); // spread over ~1.1 km
    expect(await store.getRiderPosition('r999')).toMatchObject({ recordedAt: 1_004 });
  });

  it('owns the client it connects itself, and reports to /health as the redis geostore', async () => {
    const store = await RedisGeoStore.connect(testRedisUrl(), { prefix: r.key('owned:') });
    const check = geoStoreHealthCheck(store);
    expect(check).toMatchObject({ name: 'geostore', adapter: 'redis' });
    await expect(check.check()).resolves.toBeUndefined();
    await store.close();
    await expect(check.check()).rejects.toThrow(/closed/);
    // A borrowed client stays open when the store closes.
    const borrowed = new RedisGeoStore(r.redis, { prefix: r.key('borrowed:') });
    await borrowed.close();
    expect(await r.redis.ping()).toBe('PONG');
  });

  it('refuses a client with an ioredis keyPrefix (scripts build keys themselves)', () => {
    const prefixed = new Redis(testRedisUrl(), { lazyConnect: true, keyPrefix: 'x:' });
    expect(() => new RedisGeoStore(prefixed, {})).toThrow(/keyPrefix/);
    prefixed.disconnect();
  });
});

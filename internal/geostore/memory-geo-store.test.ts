import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.ts';
import { geoStoreContract } from './geo-store.contract.ts';
import { geoStoreHealthCheck } from './geo-store.ts';
import { MemoryGeoStore } from './memory-geo-store.ts';

geoStoreContract('memory', async (options) => ({ store: new MemoryGeoStore(options) }));

describe('MemoryGeoStore', () => {
  it('refuses a TTL that is not a positive integer', () => {
    expect(() => new MemoryGeoStore({ riderTtlMs: 0 })).toThrow(RangeError);
    expect(() => new MemoryGeoStore({ riderTtlMs: 1.5 })).toThrow(RangeError);
  });

  it('defaults to a 60 s TTL', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryGeoStore({ clock });
    await store.updateRiderPosition('r1', { lat: 1, lon: 1, recordedAt: 1 });
    clock.advance(59_999);
    expect(await store.getRiderPosition('r1')).not.toBeNull();
    clock.advance(1);
    expect(await store.getRiderPosition('r1')).toBeNull();
  });

  it('reports itself to /health as the memory geostore, up while open', async () => {
    const store = new MemoryGeoStore();
    const check = geoStoreHealthCheck(store);
    expect(check).toMatchObject({ name: 'geostore', adapter: 'memory' });
    await expect(check.check()).resolves.toBeUndefined();
    await store.close();
    await expect(check.check()).rejects.toThrow(/closed/);
  });
});

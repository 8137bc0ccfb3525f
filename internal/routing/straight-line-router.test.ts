import { describe, expect, it } from 'vitest';
import { routerContract } from './router.contract.ts';
import { haversineM, StraightLineRouter } from './straight-line-router.ts';

routerContract('straight line', async () => {
  const router = new StraightLineRouter();
  return { router, requestCount: () => 0, close: () => router.close() };
});

const PARIS = { lat: 48.8566, lon: 2.3522 };
const LONDON = { lat: 51.5074, lon: -0.1278 };

describe('haversineM', () => {
  it('matches known great-circle distances', () => {
    // Paris–London is 343.5 km along the great circle (mean Earth radius).
    expect(haversineM(PARIS, LONDON) / 1000).toBeCloseTo(343.5, 0);
    // A quarter meridian: equator to pole ≈ 10 007.5 km on the mean sphere.
    expect(haversineM({ lat: 0, lon: 0 }, { lat: 90, lon: 0 }) / 1000).toBeCloseTo(10_007.5, 0);
    // Antipodes must not produce NaN through rounding above 1 inside asin.
    expect(haversineM({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })).toBeCloseTo(Math.PI * 6_371_008.8, 0);
  });
});

describe('StraightLineRouter', () => {
  it('applies the detour factor and the configured speed', async () => {
    const router = new StraightLineRouter({ speedMps: 10, detourFactor: 1.5 });
    const r = await router.route(PARIS, LONDON);
    expect(r.distanceM).toBeCloseTo(haversineM(PARIS, LONDON) * 1.5, 6);
    expect(r.durationS).toBeCloseTo(r.distanceM / 10, 6);
    expect(r.geometry.coordinates).toEqual([
      [PARIS.lon, PARIS.lat],
      [LONDON.lon, LONDON.lat],
    ]);
  });

  it('is exactly symmetric and consistent between route and table', async () => {
    const router = new StraightLineRouter();
    const t = await router.table([PARIS, LONDON], [PARIS, LONDON]);
    expect(t.distancesM[0]![1]).toBe(t.distancesM[1]![0]);
    expect(t.durationsS[0]![1]).toBe((await router.route(PARIS, LONDON)).durationS);
  });

  it('refuses nonsensical configuration', () => {
    expect(() => new StraightLineRouter({ speedMps: 0 })).toThrow(RangeError);
    expect(() => new StraightLineRouter({ detourFactor: 0.9 })).toThrow(RangeError);
    expect(() => new StraightLineRouter({ speedMps: Number.NaN })).toThrow(RangeError);
  });
});

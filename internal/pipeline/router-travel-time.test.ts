import { describe, expect, it } from 'vitest';
import type { Router, TableResult } from '../routing/router.ts';
import { StraightLineRouter } from '../routing/straight-line-router.ts';
import { fetchTravelTimes, UnknownPointError } from './router-travel-time.ts';

const a = { lat: 48.85, lon: 2.35 };
const b = { lat: 48.86, lon: 2.36 };
const c = { lat: 48.87, lon: 2.33 };

describe('fetchTravelTimes', () => {
  it('answers road seconds and metres from one Router.table call per group over its distinct points', async () => {
    const router = new StraightLineRouter();
    let calls = 0;
    let size = 0;
    const counting: Router = {
      ...router,
      route: (x, y) => router.route(x, y),
      nearest: (p) => router.nearest(p),
      reachability: (x, y) => router.reachability(x, y),
      close: () => router.close(),
      table: (s, d) => {
        calls++;
        size = s.length;
        return router.table(s, d);
      },
    };
    const travel = await fetchTravelTimes(counting, [[a, b, a, c, b]], { from: [], to: [] });
    expect(calls).toBe(1);
    expect(size).toBe(3);
    const expected = await router.route(a, c);
    expect(travel.durationSeconds(a, c)).toBeCloseTo(expected.durationS, 6);
    expect(travel.distanceMeters(a, c)).toBeCloseTo(expected.distanceM, 6);
    expect(travel.durationSeconds(b, b)).toBe(0);
    // Seconds, not degrees: ~1.3 km apart at 30 km/h is minutes.
    expect(travel.durationSeconds(a, b)).toBeGreaterThan(60);
  });

  it('treats unroutable pairs as infinitely far and refuses points it did not fetch', async () => {
    const table: TableResult = {
      durationsS: [
        [0, null],
        [null, 0],
      ],
      distancesM: [
        [0, null],
        [null, 0],
      ],
    };
    const router = { table: async () => table } as unknown as Router;
    const travel = await fetchTravelTimes(router, [[a, b]], { from: [], to: [] });
    expect(travel.durationSeconds(a, b)).toBe(Infinity);
    expect(() => travel.durationSeconds(a, c)).toThrow(UnknownPointError);
  });

  it('answers pairs within a group and along the links, and refuses pairs across groups', async () => {
    const travel = await fetchTravelTimes(new StraightLineRouter(), [[a, b], [c]], { from: [c], to: [a] });
    expect(travel.durationSeconds(a, b)).toBeGreaterThan(0);
    expect(travel.durationSeconds(c, a)).toBeGreaterThan(0);
    expect(() => travel.durationSeconds(b, c)).toThrow(UnknownPointError);
  });
});

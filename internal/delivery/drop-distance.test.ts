import { describe, expect, it } from 'vitest';
import { haversineM } from '../geo/haversine.ts';
import { checkDropDistance, DELIVERY_RADIUS_M, roundToDecimetre } from './drop-distance.ts';

const DROP = { lat: 43.7402, lon: 7.4291 };
const EARTH_RADIUS_M = 6_371_008.8;
const north = (metres: number) => ({ lat: DROP.lat + (metres / EARTH_RADIUS_M) * (180 / Math.PI), lon: DROP.lon });

describe('checkDropDistance', () => {
  it('accepts 29.9 m and exactly 30.0 m, refuses 30.1 m (the limit is inclusive, at the precision shown)', () => {
    expect(DELIVERY_RADIUS_M).toBe(30);
    expect(checkDropDistance(north(29.9), DROP)).toMatchObject({ shownM: 29.9, accepted: true });
    expect(checkDropDistance(north(30), DROP)).toMatchObject({ shownM: 30, accepted: true });
    expect(checkDropDistance(north(30.1), DROP)).toMatchObject({ shownM: 30.1, accepted: false });
    // 30.0 m as measured by a client with a 6,371,000 m Earth is 30.00004 m here: still "30 m", so accepted.
    const clientThirty = { lat: DROP.lat + (30 / 6_371_000) * (180 / Math.PI), lon: DROP.lon };
    expect(haversineM(clientThirty, DROP)).toBeGreaterThan(30);
    expect(checkDropDistance(clientThirty, DROP)).toMatchObject({ shownM: 30, accepted: true });
  });

  it('keeps the exact distance beside the shown one, and takes another radius', () => {
    const c = checkDropDistance(north(12.34), DROP, 10);
    expect(c.distanceM).toBeCloseTo(haversineM(north(12.34), DROP), 9);
    expect(c).toMatchObject({ shownM: 12.3, accepted: false });
    expect(checkDropDistance(DROP, DROP)).toEqual({ distanceM: 0, shownM: 0, accepted: true });
  });

  it('decides on the shown value: 30.04 m shows as 30 and passes, 30.05 m shows as 30.1 and does not', () => {
    expect(roundToDecimetre(30.04)).toBe(30);
    expect(checkDropDistance(north(30.04), DROP).accepted).toBe(true);
    expect(checkDropDistance(north(30.06), DROP).accepted).toBe(false);
  });
});

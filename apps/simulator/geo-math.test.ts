import { describe, expect, it } from 'vitest';
import { haversineM } from '../../internal/geo/haversine.ts';
import { fixesAlong, offsetPoint, pathLengthM, pointAlong, pointAtBearing } from './geo-math.ts';

const A = { lat: 48.8566, lon: 2.3522 };

describe('movement along a route', () => {
  const B = offsetPoint(A, 1_000, 0); // 1 km east
  const C = offsetPoint(B, 0, 500); // then 500 m north

  it('offsets by metres and measures polylines in metres', () => {
    expect(haversineM(A, B)).toBeCloseTo(1_000, -1);
    expect(haversineM(A, pointAtBearing(A, 250, Math.PI / 3))).toBeCloseTo(250, 0);
    expect(pathLengthM([A, B, C])).toBeCloseTo(1_500, -1);
    expect(pathLengthM([A])).toBe(0);
  });

  it('interpolates inside a segment and stops at the end', () => {
    const mid = pointAlong([A, B, C], 500);
    expect(haversineM(A, mid)).toBeCloseTo(500, 0);
    expect(mid.arrived).toBe(false);
    const turn = pointAlong([A, B, C], pathLengthM([A, B]) + 250);
    expect(haversineM(B, turn)).toBeCloseTo(250, 0);
    expect(turn.lon).toBeCloseTo(B.lon, 9);
    expect(pointAlong([A, B, C], 99_999)).toEqual({ ...C, arrived: true });
    expect(pointAlong([A, B], -5)).toMatchObject({ lat: A.lat, lon: A.lon, arrived: false });
  });

  it('emits one fix per interval at the given speed, the last exactly on the destination', () => {
    // 25 km/h ≈ 6.94 m/s; 10× time factor with one fix per second → ~69.4 m between fixes.
    const speed = (25 / 3.6) * 10;
    const fixes = fixesAlong([A, B, C], speed, 1_000);
    expect(fixes).toHaveLength(Math.ceil(pathLengthM([A, B, C]) / speed));
    expect(fixes.at(-1)).toEqual(C);
    let prev = A;
    for (const f of fixes.slice(0, -1)) {
      expect(haversineM(prev, f)).toBeLessThanOrEqual(speed + 0.5);
      prev = f;
    }
    expect(haversineM(A, fixes[0]!)).toBeCloseTo(speed, 0);
  });

  it('answers just the destination when already there, and refuses a non-positive speed', () => {
    expect(fixesAlong([A, A], 5, 1_000)).toEqual([A]);
    expect(() => fixesAlong([A, B], 0, 1_000)).toThrow(RangeError);
  });
});

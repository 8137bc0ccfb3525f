/**
 * The TravelTime port: synchronous, because dispatch decisions are pure and run inside one round. The worker backs it with
 * a Router duration table fetched before the round; the replay backs it with the instance's straight-line rule.
 */
import type { GeoPoint } from './types.ts';

export interface TravelTime {
  /** Driving time from `from` to `to`, seconds. */
  durationSeconds(from: GeoPoint, to: GeoPoint): number;
  /** Driving distance from `from` to `to`, metres. */
  distanceMeters(from: GeoPoint, to: GeoPoint): number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in metres. */
export function haversineMeters(a: GeoPoint, b: GeoPoint): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * In-memory adapter: straight-line distance at a constant speed, rounded up to `roundToSeconds`. Used by tests and as
 * the fallback when no Router table is available.
 */
export function straightLineTravelTime(speedMetersPerSecond: number, roundToSeconds = 1): TravelTime {
  return {
    distanceMeters: haversineMeters,
    durationSeconds(from, to) {
      const seconds = haversineMeters(from, to) / speedMetersPerSecond;
      return Math.max(0, Math.ceil(seconds / roundToSeconds - 1e-9)) * roundToSeconds;
    },
  };
}

/**
 * The TravelTime port: synchronous, because dispatch decisions are pure and run inside one round. The worker backs it with
 * a Router duration table fetched before the round; the replay backs it with the instance's straight-line rule.
 */
import { haversineM } from '../geo/haversine.ts';
import type { GeoPoint } from './types.ts';

export interface TravelTime {
  /** Driving time from `from` to `to`, seconds. */
  durationSeconds(from: GeoPoint, to: GeoPoint): number;
  /** Driving distance from `from` to `to`, metres. */
  distanceMeters(from: GeoPoint, to: GeoPoint): number;
}

/** Great-circle distance in metres (the shared geo helper). */
export const haversineMeters: (a: GeoPoint, b: GeoPoint) => number = haversineM;

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

/**
 * The TravelTime port: synchronous, because dispatch decisions are pure and run inside one round. The worker backs it with
 * a Router duration table fetched before the round; the replay backs it with the instance's travel model (internal/replay/travel-model.ts).
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

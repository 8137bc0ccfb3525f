/**
 * Test fixtures: a flat grid of points ~1 km apart around a fixed anchor and a TravelTime that makes every leg easy to
 * compute by hand (metres on the grid at 5 m/s, rounded up to the second).
 */
import type { TravelTime } from './travel-time.ts';
import type { GeoPoint, Order } from './types.ts';

const LAT0 = 52.37;
const LNG0 = 4.89;
const M_PER_DEG_LAT = 111_320;
const M_PER_DEG_LNG = M_PER_DEG_LAT * Math.cos((LAT0 * Math.PI) / 180);

/** A point `x` metres east and `y` metres north of the anchor. */
export const at = (x: number, y: number): GeoPoint => ({
  lat: LAT0 + y / M_PER_DEG_LAT,
  lon: LNG0 + x / M_PER_DEG_LNG,
});

/** Planar metres between two fixture points, 5 m/s. */
export const gridTravel: TravelTime = {
  distanceMeters(a, b) {
    return Math.hypot((a.lon - b.lon) * M_PER_DEG_LNG, (a.lat - b.lat) * M_PER_DEG_LAT);
  },
  durationSeconds(a, b) {
    return Math.ceil(this.distanceMeters(a, b) / 5 - 1e-6);
  },
};

export const MIN = 60_000;

export function order(id: string, drop: GeoPoint, o: Partial<Order> = {}): Order {
  return { id, storeId: 's1', drop, placedAt: 0, readyAt: 15 * MIN, promisedAt: 40 * MIN, ...o };
}

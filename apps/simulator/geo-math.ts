import { haversineM } from '../../internal/geo/haversine.ts';

/**
 * Movement along a route for the simulated riders: pure functions, so speed and arrival are unit-tested without a
 * server. A route is a list of points; a rider's progress is the distance travelled along it.
 */

export interface Point {
  lat: number;
  lon: number;
}

const METRES_PER_DEGREE_LAT = 111_320;

/** The point `eastM` metres east and `northM` metres north of `p` (flat-earth approximation, fine for a city). */
export function offsetPoint(p: Point, eastM: number, northM: number): Point {
  return {
    lat: p.lat + northM / METRES_PER_DEGREE_LAT,
    lon: p.lon + eastM / (METRES_PER_DEGREE_LAT * Math.cos((p.lat * Math.PI) / 180)),
  };
}

/** The point `distanceM` metres from `p` in the direction `bearingRad` (0 = north, clockwise). */
export function pointAtBearing(p: Point, distanceM: number, bearingRad: number): Point {
  return offsetPoint(p, distanceM * Math.sin(bearingRad), distanceM * Math.cos(bearingRad));
}

/** Great-circle length of the polyline in metres. */
export function pathLengthM(points: readonly Point[]): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += haversineM(points[i - 1]!, points[i]!);
  return total;
}

/**
 * Where a rider is after travelling `distanceM` along `points` (linear interpolation inside a segment), and whether
 * it has reached the end. Distances beyond the end answer the last point.
 */
export function pointAlong(points: readonly Point[], distanceM: number): Point & { arrived: boolean } {
  if (points.length === 0) throw new RangeError('pointAlong needs at least one point');
  let left = Math.max(0, distanceM);
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const seg = haversineM(a, b);
    if (left < seg) {
      const t = seg === 0 ? 1 : left / seg;
      return { lat: a.lat + (b.lat - a.lat) * t, lon: a.lon + (b.lon - a.lon) * t, arrived: false };
    }
    left -= seg;
  }
  const last = points[points.length - 1]!;
  return { lat: last.lat, lon: last.lon, arrived: true };
}

/**
 * The positions a rider reports while riding `points` at `speedMps` (real-world speed) with one fix every
 * `intervalMs` of simulated time: one point per fix after the start, the last exactly on the end of the route.
 */
export function fixesAlong(points: readonly Point[], speedMps: number, intervalMs: number): Point[] {
  if (!(speedMps > 0) || !(intervalMs > 0)) throw new RangeError('speedMps and intervalMs must be positive');
  const step = (speedMps * intervalMs) / 1_000;
  const total = pathLengthM(points);
  const fixes: Point[] = [];
  for (let d = step; d < total; d += step) {
    const p = pointAlong(points, d);
    fixes.push({ lat: p.lat, lon: p.lon });
  }
  if (points.length > 0) {
    const last = points[points.length - 1]!;
    fixes.push({ lat: last.lat, lon: last.lon });
  }
  return fixes;
}

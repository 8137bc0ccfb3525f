import {
  assertLatLng,
  assertLatLngList,
  type LatLng,
  type NearestResult,
  type Reachability,
  type RouteResult,
  type Router,
  type TableResult,
} from './router.ts';
import { haversineM } from '../geo/haversine.ts';

export { haversineM };

export interface StraightLineOptions {
  /** Assumed travel speed in m/s. Default 8.33 (30 km/h, a city average for a car or scooter). */
  speedMps?: number;
  /** Road distance ÷ great-circle distance. Default 1.3, the usual urban detour ratio. */
  detourFactor?: number;
}

/**
 * Routing without a road network: the great-circle distance times a detour factor, driven at a constant speed,
 * along a straight line. It is the embedded router when no OSRM is configured and the fallback while OSRM is down;
 * it never fails on valid input and needs no I/O.
 */
export class StraightLineRouter implements Router {
  readonly speedMps: number;
  readonly detourFactor: number;

  constructor(options: StraightLineOptions = {}) {
    this.speedMps = options.speedMps ?? 8.33;
    this.detourFactor = options.detourFactor ?? 1.3;
    if (!(this.speedMps > 0) || !Number.isFinite(this.speedMps)) throw new RangeError('speedMps must be > 0');
    if (!(this.detourFactor >= 1) || !Number.isFinite(this.detourFactor)) {
      throw new RangeError('detourFactor must be >= 1');
    }
  }

  async route(from: LatLng, to: LatLng): Promise<RouteResult> {
    assertLatLng(from, 'from');
    assertLatLng(to, 'to');
    const distanceM = this.roadDistanceM(from, to);
    return {
      distanceM,
      durationS: distanceM / this.speedMps,
      geometry: {
        type: 'LineString',
        coordinates: [
          [from.lon, from.lat],
          [to.lon, to.lat],
        ],
      },
    };
  }

  async table(sources: readonly LatLng[], destinations: readonly LatLng[]): Promise<TableResult> {
    assertLatLngList(sources, 'sources');
    assertLatLngList(destinations, 'destinations');
    const distancesM = sources.map((s) => destinations.map((d) => this.roadDistanceM(s, d)));
    const durationsS = distancesM.map((row) => row.map((m) => m / this.speedMps));
    return { durationsS, distancesM };
  }

  async nearest(point: LatLng): Promise<NearestResult> {
    assertLatLng(point, 'point');
    // Without a road network every point is "on the road".
    return { point: { lat: point.lat, lon: point.lon }, distanceM: 0 };
  }

  async reachability(from: LatLng, to: LatLng): Promise<Reachability> {
    assertLatLng(from, 'from');
    assertLatLng(to, 'to');
    // No road network: nothing can be off it, so nothing is refused.
    return { reachable: true };
  }

  async close(): Promise<void> {}

  private roadDistanceM(a: LatLng, b: LatLng): number {
    return haversineM(a, b) * this.detourFactor;
  }
}

/**
 * A TravelTime (the dispatch domain's synchronous port) backed by one Router.table call for the points a decision
 * involves: road seconds and metres, never degrees.
 */
import type { TravelTime } from '../dispatch/travel-time.ts';
import type { GeoPoint } from '../dispatch/types.ts';
import type { Router } from '../routing/router.ts';

const keyOf = (p: GeoPoint): string => `${p.lat},${p.lon}`;

/** Asked for a pair outside the fetched table: a bug in the caller, not a routing answer. */
export class UnknownPointError extends Error {
  override name = 'UnknownPointError';
}

/**
 * Fetches the all-pairs duration/distance table of `points` (duplicates collapse) and answers from it. A pair the
 * road network cannot connect (`null` in the table) costs `Infinity`, which every domain rule treats as infeasible.
 */
export async function fetchTravelTime(router: Router, points: readonly GeoPoint[]): Promise<TravelTime> {
  const index = new Map<string, number>();
  const unique: GeoPoint[] = [];
  for (const p of points) {
    const key = keyOf(p);
    if (index.has(key)) continue;
    index.set(key, unique.length);
    unique.push(p);
  }
  if (unique.length === 0) throw new RangeError('fetchTravelTime needs at least one point');
  const latLngs = unique;
  const table = await router.table(latLngs, latLngs);
  const lookup = (matrix: ReadonlyArray<ReadonlyArray<number | null>>, from: GeoPoint, to: GeoPoint): number => {
    const i = index.get(keyOf(from));
    const j = index.get(keyOf(to));
    if (i === undefined || j === undefined) {
      throw new UnknownPointError(`no travel time fetched for ${keyOf(from)} → ${keyOf(to)}`);
    }
    return matrix[i]?.[j] ?? Infinity;
  };
  return {
    durationSeconds: (from, to) => lookup(table.durationsS, from, to),
    distanceMeters: (from, to) => lookup(table.distancesM, from, to),
  };
}

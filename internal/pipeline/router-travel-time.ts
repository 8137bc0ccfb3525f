/**
 * A TravelTime (the dispatch domain's synchronous port) backed by Router.table calls for the points a dispatch round
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
 * A TravelTime over several Router tables: all pairs within each of `groups` (a store and its drops: the only pairs
 * batching, sealing and stop ordering ask for) and every `from` → `to` of `links` (riders → stores, for the matching).
 * Σ n² instead of (Σ n)² lookups: a scope with many stores does not pay for pairs no decision needs. A pair outside
 * every table throws UnknownPointError (a caller's bug, never a routing answer).
 */
export async function fetchTravelTimes(
  router: Router,
  groups: ReadonlyArray<readonly GeoPoint[]>,
  links: { from: readonly GeoPoint[]; to: readonly GeoPoint[] },
): Promise<TravelTime> {
  interface Table {
    rows: Map<string, number>;
    cols: Map<string, number>;
    durations: ReadonlyArray<ReadonlyArray<number | null>>;
    distances: ReadonlyArray<ReadonlyArray<number | null>>;
  }
  const dedupe = (points: readonly GeoPoint[]) => {
    const index = new Map<string, number>();
    const unique: GeoPoint[] = [];
    for (const p of points) {
      const key = keyOf(p);
      if (index.has(key)) continue;
      index.set(key, unique.length);
      unique.push(p);
    }
    return { index, unique };
  };
  const requests: Array<Promise<Table>> = [];
  for (const group of groups) {
    const { index, unique } = dedupe(group);
    if (unique.length === 0) continue;
    requests.push(
      router
        .table(unique, unique)
        .then((t) => ({ rows: index, cols: index, durations: t.durationsS, distances: t.distancesM })),
    );
  }
  const from = dedupe(links.from);
  const to = dedupe(links.to);
  if (from.unique.length > 0 && to.unique.length > 0) {
    requests.push(
      router
        .table(from.unique, to.unique)
        .then((t) => ({ rows: from.index, cols: to.index, durations: t.durationsS, distances: t.distancesM })),
    );
  }
  const tables = await Promise.all(requests);
  // The dispatch core asks for the same few points millions of times a round (every insertion it tries): a point's
  // key is built once (number → string is the dear part), and each key maps straight to the tables that have it as a
  // row, in table order, so a lookup tries one or two tables rather than all of them (one per store).
  const keys = new WeakMap<GeoPoint, string>();
  const keyOfPoint = (p: GeoPoint): string => {
    let key = keys.get(p);
    if (key === undefined) {
      key = keyOf(p);
      keys.set(p, key);
    }
    return key;
  };
  const rowsOf = new Map<string, Array<{ table: Table; row: number }>>();
  for (const table of tables) {
    for (const [key, row] of table.rows) {
      const found = rowsOf.get(key);
      if (found) found.push({ table, row });
      else rowsOf.set(key, [{ table, row }]);
    }
  }
  const lookup = (kind: 'durations' | 'distances', a: GeoPoint, b: GeoPoint): number => {
    const ka = keyOfPoint(a);
    const kb = keyOfPoint(b);
    for (const { table, row } of rowsOf.get(ka) ?? []) {
      const j = table.cols.get(kb);
      if (j !== undefined) return table[kind][row]?.[j] ?? Infinity;
    }
    throw new UnknownPointError(`no travel time fetched for ${ka} → ${kb}`);
  };
  return {
    durationSeconds: (a, b) => lookup('durations', a, b),
    distanceMeters: (a, b) => lookup('distances', a, b),
  };
}

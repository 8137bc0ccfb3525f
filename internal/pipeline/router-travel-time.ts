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
  // The dispatch core asks for the same few points millions of times a round (every insertion it tries), so each
  // point object resolves once — by its key, built once (number → string is the dear part) — to where it sits: the
  // tables that have it as a row and its column in those that have it as a column (one or two of each: its store's
  // table, and the riders → stores one for a store). A lookup is then two WeakMap hits and a scan of one or two.
  interface Place {
    rows: Array<{ table: Table; row: number }>;
    colTables: Table[];
    cols: number[];
  }
  const placesByKey = new Map<string, Place>();
  const placeOfKey = (key: string): Place => {
    let place = placesByKey.get(key);
    if (place === undefined) {
      place = { rows: [], colTables: [], cols: [] };
      placesByKey.set(key, place);
    }
    return place;
  };
  for (const table of tables) {
    for (const [key, row] of table.rows) placeOfKey(key).rows.push({ table, row });
    for (const [key, col] of table.cols) {
      const place = placeOfKey(key);
      place.colTables.push(table);
      place.cols.push(col);
    }
  }
  const places = new WeakMap<GeoPoint, Place | null>();
  const placeOf = (p: GeoPoint): Place | null => {
    let place = places.get(p);
    if (place === undefined) {
      place = placesByKey.get(keyOf(p)) ?? null;
      places.set(p, place);
    }
    return place;
  };
  const lookup = (kind: 'durations' | 'distances', a: GeoPoint, b: GeoPoint): number => {
    const from = placeOf(a);
    const to = placeOf(b);
    if (from !== null && to !== null) {
      for (const { table, row } of from.rows) {
        for (let i = 0; i < to.colTables.length; i++) {
          if (to.colTables[i] === table) return table[kind][row]?.[to.cols[i]!] ?? Infinity;
        }
      }
    }
    throw new UnknownPointError(`no travel time fetched for ${keyOf(a)} → ${keyOf(b)}`);
  };
  return {
    durationSeconds: (a, b) => lookup('durations', a, b),
    distanceMeters: (a, b) => lookup('distances', a, b),
  };
}

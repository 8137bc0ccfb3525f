/**
 * Hot-path templates: the road route from a store toward an H3 cell (its centre snapped to the road), stored in
 * Postgres and indexed in the geo store under every cell of its corridor. The corridor rule and the matching
 * (`candidatePaths`) are the dispatch core's (internal/dispatch/hot-paths.ts), shared with the replay.
 */
import { cellToLatLng } from 'h3-js';
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database, PathTemplatesTable, StoredLineString } from '../db/schema.ts';
import { corridorOfRoute } from '../dispatch/hot-paths.ts';
import { hotPathId } from '../geostore/hot-path-id.ts';
import { NoSegmentError, type Router } from '../routing/router.ts';
import type { StoreRow } from './batch-rows.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * A path's id: the geo store's hash of its store and cell (hotPathId), so every worker computes the same id and
 * redelivery cannot fork it.
 */
export const pathIdOf = (storeId: string, cell: string): string => hotPathId(storeId, cell);

export interface PathTemplate {
  id: string;
  storeId: string;
  cell: string;
  corridor: string[];
  row: Insertable<PathTemplatesTable>;
}

/**
 * Builds the template from `store` toward `cell` through the Router: snap the cell centre to the road, route to it,
 * and take the route's corridor at the cell's resolution widened by `corridorRings` (the target cell always included).
 */
export async function buildPathTemplate(
  router: Router,
  store: StoreRow,
  cell: string,
  resolution: number,
  corridorRings: number,
  routerName: string,
): Promise<PathTemplate> {
  const [lat, lon] = cellToLatLng(cell);
  // A cell centre far from any road (a park, the water) still gets a path: to the centre itself.
  const target = await router.nearest({ lat, lon }).then(
    (snapped) => snapped.point,
    (error: unknown) => {
      if (error instanceof NoSegmentError) return { lat, lon };
      throw error;
    },
  );
  const route = await router.route({ lat: store.lat, lon: store.lon }, target);
  const corridor = corridorOfRoute(route.geometry, cell, resolution, corridorRings);
  const id = pathIdOf(store.id, cell);
  const geometry: StoredLineString = {
    type: 'LineString',
    coordinates: route.geometry.coordinates.map(([x, y]) => [x, y] as [number, number]),
  };
  return {
    id,
    storeId: store.id,
    cell,
    corridor,
    row: {
      id,
      store_id: store.id,
      h3_cell: cell,
      h3_resolution: resolution,
      target_lat: target.lat,
      target_lon: target.lon,
      geometry: JSON.stringify(geometry),
      distance_m: route.distanceM,
      duration_s: route.durationS,
      corridor_cells: corridor,
      router: routerName,
    },
  };
}

/** Stores the template; a second writer (redelivery, another worker) changes nothing. */
export async function savePathTemplate(db: Db, template: PathTemplate): Promise<void> {
  await db
    .insertInto('path_templates')
    .values(template.row)
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/**
 * Hot-path templates: the road route from a store toward an H3 cell (its centre snapped to the road), stored in
 * Postgres and indexed in the geo store under every cell of its corridor, so orders near the way match it too.
 */
import { cellToLatLng } from 'h3-js';
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database, PathTemplatesTable, StoredLineString } from '../db/schema.ts';
import { corridorCells } from '../geo/corridor.ts';
import type { GeoStore } from '../geostore/geo-store.ts';
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
  const corridor = corridorCells(route.geometry, { resolution, corridorK: corridorRings });
  if (!corridor.includes(cell)) corridor.push(cell);
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
  await db.insertInto('path_templates').values(template.row).onConflict((oc) => oc.doNothing()).execute();
}

export interface CandidatePath {
  id: string;
  h3_cell: string;
  duration_s: number;
}

/**
 * The hot paths of `storeId` whose corridor covers `cell`, read from the current index (never a start-up cache),
 * confirmed against Postgres. Ordered by id, so every worker sees the same order.
 */
export async function candidatePaths(
  db: Db,
  geoStore: GeoStore,
  storeId: string,
  cell: string,
  /** The index's answer for `cell` when the caller already asked it. */
  indexed?: readonly string[],
): Promise<CandidatePath[]> {
  const ids = indexed ?? (await geoStore.pathsForCell(cell));
  if (ids.length === 0) return [];
  return db
    .selectFrom('path_templates')
    .select(['id', 'h3_cell', 'duration_s'])
    .where('id', 'in', [...ids])
    .where('store_id', '=', storeId)
    .orderBy('id')
    .execute();
}

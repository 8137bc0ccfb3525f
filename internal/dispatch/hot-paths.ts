/**
 * Hot paths: corridors of H3 cells along the route from a store toward a drop cell. An order is indexed into its drop
 * cell and may only join batches travelling along a path of its store that covers that cell, so batch-mates head the
 * same way. The corridor is always taken from a route's geometry (`hotPathFromRoute`): the worker's comes from the Router
 * (OSRM roads, or the straight-line router's segment), the replay's from the instance's straight line — one rule.
 */
import { cellToLatLng, latLngToCell } from 'h3-js';
import { corridorCells, type LineStringLike } from '../geo/corridor.ts';
import { hotPathId } from '../geostore/hot-path-id.ts';
import type { GeoPoint } from './types.ts';

export interface HotPath {
  readonly id: string;
  readonly storeId: string;
  readonly targetCell: string;
  readonly cells: ReadonlySet<string>;
}

/** H3 cell of a point. */
export function cellOf(point: GeoPoint, resolution: number): string {
  return latLngToCell(point.lat, point.lon, resolution);
}

/** Centre of an H3 cell: where a hot path toward that cell aims (before snapping to a road). */
export function cellCentre(cell: string): GeoPoint {
  const [lat, lon] = cellToLatLng(cell);
  return { lat, lon };
}

/**
 * The corridor of the route `line` from a store toward `targetCell`: its cells at the cell's resolution, widened by
 * `corridorRings` rings, the target cell always included.
 */
export function corridorOfRoute(
  line: LineStringLike,
  targetCell: string,
  resolution: number,
  corridorRings: number,
): string[] {
  const corridor = corridorCells(line, { resolution, corridorK: corridorRings });
  if (!corridor.includes(targetCell)) corridor.push(targetCell);
  return corridor;
}

/** The hot path of `storeId` toward `targetCell` along `line`; its id is `hotPathId(store, cell)` for every driver. */
export function hotPathFromRoute(
  storeId: string,
  targetCell: string,
  line: LineStringLike,
  resolution: number,
  corridorRings: number,
): HotPath {
  return {
    id: hotPathId(storeId, targetCell),
    storeId,
    targetCell,
    cells: new Set(corridorOfRoute(line, targetCell, resolution, corridorRings)),
  };
}

/** A straight segment as a route geometry (`[lon, lat]` positions). */
export function straightLine(from: GeoPoint, to: GeoPoint): LineStringLike {
  return {
    type: 'LineString',
    coordinates: [
      [from.lon, from.lat],
      [to.lon, to.lat],
    ],
  };
}

/** Paths whose corridor covers `cell`, in the order given. */
export function candidatePaths(paths: readonly HotPath[], cell: string): HotPath[] {
  return paths.filter((p) => p.cells.has(cell));
}

/**
 * Hot paths: corridors of H3 cells from a store toward a drop area. An order is indexed into its drop cell and may only
 * join batches travelling along a path of its store that covers that cell, so batch-mates head the same way.
 */
import { gridDisk, gridPathCells, latLngToCell } from 'h3-js';
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

/**
 * The corridor from `storeCell` to `targetCell`, widened by `corridorRings` rings. Falls back to the two end discs when
 * H3 cannot draw a line (pentagon distortion, cells too far apart).
 */
export function buildHotPath(id: string, storeId: string, storeCell: string, targetCell: string, corridorRings: number): HotPath {
  let line: string[];
  try {
    line = gridPathCells(storeCell, targetCell);
  } catch {
    line = [storeCell, targetCell];
  }
  const cells = new Set<string>();
  for (const cell of line) for (const c of gridDisk(cell, corridorRings)) cells.add(c);
  return { id, storeId, targetCell, cells };
}

/** Paths of a store whose corridor covers `cell`, oldest first. */
export function candidatePaths(paths: readonly HotPath[], cell: string): HotPath[] {
  return paths.filter((p) => p.cells.has(cell));
}

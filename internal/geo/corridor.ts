/**
 * Corridors: the H3 cells a route passes through, optionally widened by k rings. A hot path is indexed by every cell of
 * its corridor, so an order whose drop lies near the road (not only at the path's target cell) still matches it.
 *
 * Pure: no I/O, deterministic output (cells in the order the line reaches them).
 */
import { areNeighborCells, getHexagonEdgeLengthAvg, gridDisk, gridPathCells, latLngToCell, UNITS } from 'h3-js';
import { AppError } from '../platform/errors.ts';

/**
 * A GeoJSON LineString: positions are `[lon, lat]`. Structurally the same as the routing port's `LineString`
 * (internal/routing/router.ts), declared here so the geo helpers do not depend on the routing module.
 */
export interface LineStringLike {
  type: 'LineString';
  coordinates: ReadonlyArray<readonly [number, number]>;
}

export interface CorridorOptions {
  /** H3 resolution of the cells, 0–15 (the order index uses `H3_RESOLUTION`, default 8). */
  resolution: number;
  /** Rings of neighbours added around every cell on the line (0 = the centre line only). Default 0. */
  corridorK?: number;
  /**
   * Refuse lines that would need more samples than this (a 500 km route at resolution 15 would need millions).
   * Default 200 000.
   */
  maxSamples?: number;
}

/** Bad input to a geo helper; `field` names it (`coordinates[3][1]`, `resolution`, `corridorK`). */
export class GeoInputError extends AppError {
  override readonly name = 'GeoInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('invalid_input', 'geo.invalid_input', `${field}: ${message}`, { field });
  }
}

/**
 * The set of H3 cells along `line` at `options.resolution`, widened by `corridorK` rings.
 *
 * Every segment is sampled along its great circle at most half an average cell edge apart (a hexagon is ~1.7 edges
 * wide between flat sides, so no cell the line runs through is stepped over), and wherever two samples fall in
 * different cells the piece between them is bisected down to 1 % of an edge, which also catches cells the line only
 * grazes near a vertex. Should two neighbouring pieces still end in non-adjacent cells (distorted cells near
 * pentagons), the gap is bridged with H3's grid path. The centre line is therefore a connected chain of cells from
 * the first position to the last.
 *
 * @returns distinct cells, in the order the line (then its widening) first reaches them.
 * @throws GeoInputError naming the field for an empty line, a position out of range, a bad resolution or k.
 */
export function corridorCells(line: LineStringLike, options: CorridorOptions): string[] {
  const { resolution } = options;
  const corridorK = options.corridorK ?? 0;
  const maxSamples = options.maxSamples ?? 200_000;
  if (!Number.isInteger(resolution) || resolution < 0 || resolution > 15) {
    throw new GeoInputError('resolution', `must be an integer in [0, 15], got ${resolution}`);
  }
  if (!Number.isInteger(corridorK) || corridorK < 0) {
    throw new GeoInputError('corridorK', `must be a non-negative integer, got ${corridorK}`);
  }
  const positions = validatePositions(line);

  const stepM = getHexagonEdgeLengthAvg(resolution, UNITS.m) / 2;
  let samples = 1;
  for (let i = 1; i < positions.length; i++)
    samples += Math.ceil(greatCircleM(positions[i - 1]!, positions[i]!) / stepM);
  if (samples > maxSamples) {
    throw new GeoInputError(
      'coordinates',
      `the line needs ${samples} samples at resolution ${resolution} (limit ${maxSamples})`,
    );
  }

  const centre: string[] = [];
  const seen = new Set<string>();
  const add = (cell: string): void => {
    if (seen.has(cell)) return;
    seen.add(cell);
    centre.push(cell);
  };
  const cellOf = (p: readonly [number, number]): string => latLngToCell(p[1], p[0], resolution);
  // Between two samples in different cells the line may still graze a third cell near their shared vertex: bisect
  // until the piece is shorter than 1 % of an edge, so only slivers thinner than that can be missed.
  const epsilonM = stepM / 50;
  const refine = (p: readonly [number, number], cp: string, q: readonly [number, number], cq: string): void => {
    if (cp === cq || greatCircleM(p, q) <= epsilonM) {
      if (cp !== cq && !areNeighborCells(cp, cq)) for (const bridge of bridgeCells(cp, cq)) add(bridge);
      return;
    }
    const mid = interpolate(p, q, 0.5);
    const cm = cellOf(mid);
    refine(p, cp, mid, cm);
    add(cm);
    refine(mid, cm, q, cq);
  };

  let previous = positions[0]!;
  let previousCell = cellOf(previous);
  add(previousCell);
  for (let i = 1; i < positions.length; i++) {
    const a = positions[i - 1]!;
    const b = positions[i]!;
    const steps = Math.ceil(greatCircleM(a, b) / stepM);
    for (let s = 1; s <= steps; s++) {
      const point = s === steps ? b : interpolate(a, b, s / steps);
      const cell = cellOf(point);
      refine(previous, previousCell, point, cell);
      add(cell);
      previous = point;
      previousCell = cell;
    }
  }

  if (corridorK === 0) return centre;
  const widened: string[] = [];
  const inCorridor = new Set<string>();
  for (const cell of centre) {
    for (const c of gridDisk(cell, corridorK)) {
      if (inCorridor.has(c)) continue;
      inCorridor.add(c);
      widened.push(c);
    }
  }
  return widened;
}

/** Cells strictly between two non-adjacent cells; none when H3 cannot draw the line (across a pentagon, too far). */
function bridgeCells(from: string, to: string): string[] {
  try {
    return gridPathCells(from, to).slice(1, -1);
  } catch {
    return [];
  }
}

function validatePositions(line: LineStringLike): ReadonlyArray<readonly [number, number]> {
  const coordinates = line?.coordinates;
  if (!Array.isArray(coordinates) || coordinates.length === 0) {
    throw new GeoInputError('coordinates', 'a LineString needs at least one position');
  }
  coordinates.forEach((position: unknown, i) => {
    if (!Array.isArray(position) || position.length < 2) {
      throw new GeoInputError(`coordinates[${i}]`, 'a position is [lon, lat]');
    }
    const [lon, lat] = position as [unknown, unknown];
    if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) {
      throw new GeoInputError(`coordinates[${i}][0]`, `longitude must be a number in [-180, 180], got ${String(lon)}`);
    }
    if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
      throw new GeoInputError(`coordinates[${i}][1]`, `latitude must be a number in [-90, 90], got ${String(lat)}`);
    }
  });
  return coordinates;
}

const toRad = Math.PI / 180;
const EARTH_RADIUS_M = 6_371_008.8;

/** Unit vector of a `[lon, lat]` position. */
function toVector([lon, lat]: readonly [number, number]): [number, number, number] {
  const φ = lat * toRad;
  const λ = lon * toRad;
  return [Math.cos(φ) * Math.cos(λ), Math.cos(φ) * Math.sin(λ), Math.sin(φ)];
}

/** Central angle between two positions (radians), numerically stable for tiny and near-antipodal angles. */
function centralAngle(a: readonly [number, number], b: readonly [number, number]): number {
  const u = toVector(a);
  const v = toVector(b);
  const cross = Math.hypot(u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]);
  const dot = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  return Math.atan2(cross, dot);
}

function greatCircleM(a: readonly [number, number], b: readonly [number, number]): number {
  return centralAngle(a, b) * EARTH_RADIUS_M;
}

/**
 * The point at fraction `t` of the great circle from `a` to `b` (slerp). Interpolating lon/lat linearly would be
 * wrong across the antimeridian and drift off the route on long straight-line geometries.
 */
function interpolate(a: readonly [number, number], b: readonly [number, number], t: number): [number, number] {
  const angle = centralAngle(a, b);
  const u = toVector(a);
  const v = toVector(b);
  let p: [number, number, number];
  if (angle < 1e-12) {
    p = u;
  } else {
    const sin = Math.sin(angle);
    const wa = Math.sin((1 - t) * angle) / sin;
    const wb = Math.sin(t * angle) / sin;
    p = [wa * u[0] + wb * v[0], wa * u[1] + wb * v[1], wa * u[2] + wb * v[2]];
  }
  const lat = Math.atan2(p[2], Math.hypot(p[0], p[1])) / toRad;
  const lon = Math.atan2(p[1], p[0]) / toRad;
  return [lon, lat];
}

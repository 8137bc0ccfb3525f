/**
 * The routing port: road distances, travel times and geometries between points.
 *
 * Contract (every adapter — OSRM, straight-line — passes the same suite in `router.contract.ts`):
 *
 * - Coordinates are validated before any work is done: `lat` in [-90, 90], `lon` in [-180, 180], finite numbers.
 *   A bad one is rejected with `InvalidInputError` naming the field (`from.lat`, `sources[3].lon`, …).
 * - Distances are metres, durations seconds, geometries GeoJSON LineStrings (coordinates are `[lon, lat]`).
 * - A route between one point and itself has length 0 and duration 0; a table's cell for a point and itself is 0.
 * - `RoutingUnavailableError` means "the routing service could not answer" (network, timeout, 5xx, open circuit).
 *   It is the only error a fallback may hide; `NoRouteError`, `NoSegmentError` and `InvalidInputError` are answers.
 * - Results may be shared between callers (see `CachedRouter`): treat them as read-only.
 */
export interface Router {
  /** The fastest road route from `from` to `to`. */
  route(from: LatLng, to: LatLng): Promise<RouteResult>;
  /** Durations and distances from every source (rows) to every destination (columns). */
  table(sources: readonly LatLng[], destinations: readonly LatLng[]): Promise<TableResult>;
  /** `point` snapped to the road network. */
  nearest(point: LatLng): Promise<NearestResult>;
  /** Releases connections; the router must not be used afterwards. */
  close(): Promise<void>;
}

export type { LatLng } from '../geo/haversine.ts';
import type { LatLng } from '../geo/haversine.ts';
import { AppError, type ErrorKind } from '../platform/errors.ts';

/** A GeoJSON LineString: positions are `[lon, lat]`, as GeoJSON (and OSRM) order them. */
export interface LineString {
  type: 'LineString';
  coordinates: ReadonlyArray<readonly [number, number]>;
}

export interface RouteResult {
  /** Road distance in metres. */
  distanceM: number;
  /** Travel time in seconds. */
  durationS: number;
  /** The path, starting at (the snapped) `from` and ending at (the snapped) `to`. */
  geometry: LineString;
}

export interface TableResult {
  /**
   * `durationsS[i][j]`: seconds from `sources[i]` to `destinations[j]`; `null` when the road network has no route
   * between that pair (OSRM answers `null` rather than failing the whole table).
   */
  durationsS: ReadonlyArray<ReadonlyArray<number | null>>;
  /** `distancesM[i][j]`: metres from `sources[i]` to `destinations[j]`; `null` as for durations. */
  distancesM: ReadonlyArray<ReadonlyArray<number | null>>;
}

export interface NearestResult {
  /** The point on the road network closest to the input. */
  point: LatLng;
  /** Metres between the input and `point`. */
  distanceM: number;
}

/** Base of the routing errors: `AppError`s, so the API maps them to HTTP with everything else. */
export abstract class RoutingError extends AppError {
  constructor(kind: ErrorKind, slug: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(kind, slug, message, details, options);
  }
}

/** The road network has no route between the points (e.g. islands, one-way traps). */
export class NoRouteError extends RoutingError {
  override readonly name = 'NoRouteError';
  constructor(message: string) {
    super('invalid_input', 'routing.no_route', message);
  }
}

/** No road segment near a point; `field` names it (`from`, `to`, `sources[2]`, `point`). */
export class NoSegmentError extends RoutingError {
  override readonly name = 'NoSegmentError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('invalid_input', 'routing.no_segment', `${field}: ${message}`, { field });
  }
}

/** Input the router refuses; `field` names the offending value (`from.lat`, `sources`, …). */
export class InvalidInputError extends RoutingError {
  override readonly name = 'InvalidInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('invalid_input', 'routing.invalid_input', `${field}: ${message}`, { field });
  }
}

/**
 * The routing service could not answer (network error, timeout, 5xx, unusable response, open circuit).
 * `circuitOpen` tells a fast rejection by the circuit breaker from a failed attempt.
 */
export class RoutingUnavailableError extends RoutingError {
  override readonly name = 'RoutingUnavailableError';
  readonly circuitOpen: boolean;
  constructor(message: string, options: { cause?: unknown; circuitOpen?: boolean } = {}) {
    super('unavailable', 'routing.unavailable', message, {}, { cause: options.cause });
    this.circuitOpen = options.circuitOpen ?? false;
  }
}

/**
 * Throws `InvalidInputError` unless `point` is a `{lat, lon}` of finite numbers within range.
 * Adapters call this before any request so that bad input never costs a round trip (or trips a circuit).
 */
export function assertLatLng(point: unknown, field: string): asserts point is LatLng {
  if (typeof point !== 'object' || point === null) {
    throw new InvalidInputError(field, 'must be an object {lat, lon}');
  }
  const { lat, lon } = point as Record<string, unknown>;
  if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
    throw new InvalidInputError(`${field}.lat`, 'must be a finite number in [-90, 90]');
  }
  if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) {
    throw new InvalidInputError(`${field}.lon`, 'must be a finite number in [-180, 180]');
  }
}

/** Validates a non-empty list of points; errors name the element, e.g. `sources[3].lon`. */
export function assertLatLngList(points: unknown, field: string): asserts points is readonly LatLng[] {
  if (!Array.isArray(points) || points.length === 0) {
    throw new InvalidInputError(field, 'must be a non-empty array of {lat, lon}');
  }
  points.forEach((p, i) => assertLatLng(p, `${field}[${i}]`));
}

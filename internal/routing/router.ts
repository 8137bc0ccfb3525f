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
 * - Every `RoutingError` says whether asking again can help (`permanent`): the answers are permanent (the same question
 *   gets the same answer until the road data changes), "could not answer" is transient. Consumers retry only transient
 *   ones (`isPermanentRoutingError`).
 * - A point the router places farther than its maximum snap distance from any road is not on the network: `route` and
 *   `table` fail with `NoSegmentError` naming it (with `snapDistanceM`), and `reachability` answers `reachable: false`.
 * - Results may be shared between callers (see `CachedRouter`): treat them as read-only.
 */
export interface Router {
  /** The fastest road route from `from` to `to`. */
  route(from: LatLng, to: LatLng): Promise<RouteResult>;
  /** Durations and distances from every source (rows) to every destination (columns). */
  table(sources: readonly LatLng[], destinations: readonly LatLng[]): Promise<TableResult>;
  /** `point` snapped to the road network. */
  nearest(point: LatLng): Promise<NearestResult>;
  /**
   * Whether a rider can get from `from` to `to` by road: both ends snap onto the network within the router's maximum
   * snap distance and the network connects them. An unreachable point is an answer (`reachable: false`, naming the end
   * and its snap distance), not an error; `RoutingUnavailableError` when the router cannot tell. A router without a
   * road network (straight line) answers `reachable: true` without I/O.
   */
  reachability(from: LatLng, to: LatLng): Promise<Reachability>;
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

/** The answer of `Router.reachability`. */
export type Reachability =
  | { reachable: true }
  | {
      reachable: false;
      /** Which end is off the network (`from` or `to`); absent when both snap but no road connects them. */
      end?: 'from' | 'to';
      /** Why, in words (`nearest road is 1104 m away (more than 1000 m)`, `no road route`). */
      reason: string;
      /** Metres from that end to the nearest road, when the router knows it. */
      snapDistanceM?: number;
      /** The router's maximum snap distance. */
      maxSnapDistanceM?: number;
    };

/** Base of the routing errors: `AppError`s, so the API maps them to HTTP with everything else. */
export abstract class RoutingError extends AppError {
  /**
   * True when asking the same question again cannot help (an answer about the road network or the input); false when
   * the router could not answer this time. Consumers never retry a permanent error.
   */
  abstract readonly permanent: boolean;
  constructor(
    kind: ErrorKind,
    slug: string,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(kind, slug, message, details, options);
  }
}

/** True for a routing error that retrying cannot fix (no route, no segment, invalid input). */
export function isPermanentRoutingError(error: unknown): error is RoutingError {
  return error instanceof RoutingError && error.permanent;
}

/**
 * True when `error` says that `point` itself is off the road network (a `NoSegmentError` the router raised for that
 * very point) — e.g. an order's drop in a table of several points: that order cannot be delivered, the others can.
 */
export function isPointOffNetwork(error: unknown, point: LatLng): error is NoSegmentError {
  return (
    error instanceof NoSegmentError &&
    error.point !== undefined &&
    error.point.lat === point.lat &&
    error.point.lon === point.lon
  );
}

/** The road network has no route between the points (e.g. islands, one-way traps). */
export class NoRouteError extends RoutingError {
  override readonly name = 'NoRouteError';
  readonly permanent = true;
  constructor(message: string) {
    super('invalid_input', 'routing.no_route', message);
  }
}

/**
 * No road segment near a point; `field` names it (`from`, `to`, `sources[2]`, `point`). `point` and `snapDistanceM`
 * are set when the router knows where the point was and how far its nearest road is.
 */
export class NoSegmentError extends RoutingError {
  override readonly name = 'NoSegmentError';
  readonly permanent = true;
  readonly point: LatLng | undefined;
  readonly snapDistanceM: number | undefined;
  readonly maxSnapDistanceM: number | undefined;
  constructor(
    readonly field: string,
    message: string,
    facts: { point?: LatLng | undefined; snapDistanceM?: number; maxSnapDistanceM?: number } = {},
  ) {
    super('invalid_input', 'routing.no_segment', `${field}: ${message}`, {
      field,
      ...(facts.snapDistanceM !== undefined ? { snap_distance_m: Math.round(facts.snapDistanceM * 10) / 10 } : {}),
      ...(facts.maxSnapDistanceM !== undefined ? { max_snap_distance_m: facts.maxSnapDistanceM } : {}),
    });
    this.point = facts.point;
    this.snapDistanceM = facts.snapDistanceM;
    this.maxSnapDistanceM = facts.maxSnapDistanceM;
  }
}

/** Input the router refuses; `field` names the offending value (`from.lat`, `sources`, …). */
export class InvalidInputError extends RoutingError {
  override readonly name = 'InvalidInputError';
  readonly permanent = true;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('invalid_input', 'routing.invalid_input', `${field}: ${message}`, { field });
  }
}

/**
 * The routing service could not answer (network error, timeout, 5xx, unusable response, open circuit): transient.
 * `circuitOpen` tells a fast rejection by the circuit breaker from a failed attempt; `outage` tells a failure of the
 * service itself (network, timeout, 5xx, closed router — what the circuit breaker counts) from an answer that could
 * not be used (a body of the wrong shape, an unknown OSRM code), which proves the server up.
 */
export class RoutingUnavailableError extends RoutingError {
  override readonly name = 'RoutingUnavailableError';
  readonly permanent = false;
  readonly circuitOpen: boolean;
  readonly outage: boolean;
  constructor(message: string, options: { cause?: unknown; circuitOpen?: boolean; outage?: boolean } = {}) {
    super('unavailable', 'routing.unavailable', message, {}, { cause: options.cause });
    this.circuitOpen = options.circuitOpen ?? false;
    this.outage = options.outage ?? true;
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
  for (const [i, p] of points.entries()) assertLatLng(p, `${field}[${i}]`);
}

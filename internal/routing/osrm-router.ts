import { handleWhen, type RetryPolicy, retry } from 'cockatiel';
import { Pool } from 'undici';
import { z } from 'zod';
import { exponentialBackoff } from '../platform/backoff.ts';
import {
  CircuitBreaker,
  CircuitOpenError,
  type CircuitBreakerOptions,
  type CircuitState,
} from '../platform/circuit-breaker.ts';
import {
  assertLatLng,
  assertLatLngList,
  InvalidInputError,
  NoRouteError,
  NoSegmentError,
  RoutingError,
  RoutingUnavailableError,
  type LatLng,
  type NearestResult,
  type Reachability,
  type RouteResult,
  type Router,
  type TableResult,
} from './router.ts';

export interface OsrmRouterOptions {
  /** Where osrm-routed listens, e.g. `http://osrm:5000` (a path prefix is kept: `http://gw/osrm`). */
  baseUrl: string;
  /** The profile word in OSRM paths. osrm-routed serves one profile and ignores it; default `driving`. */
  profile?: string;
  /** Per-attempt timeout (connect + headers + body). Default 2000 ms. */
  timeoutMs?: number;
  /** Extra attempts after a network error, timeout or 5xx. Default 2. */
  retries?: number;
  /** First retry delay; doubles per attempt (with jitter), capped at 1 s. Default 50 ms. */
  retryBaseDelayMs?: number;
  /**
   * The server's `--max-table-size` (default 100): a table request may hold at most this many sources and this many
   * destinations. Larger tables are split into blocks and stitched back.
   */
  tableMaxSize?: number;
  /** Table blocks in flight at once. Default 4. */
  tableConcurrency?: number;
  /**
   * OSRM snaps a coordinate to the nearest road however far it is (a Paris point on a Monaco extract is "Ok",
   * 686 km away). A snap farther than this is reported as `NoSegmentError`. Default 1000 m.
   */
  maxSnapDistanceM?: number;
  /** Keep-alive connections in the pool. Default 8. */
  connections?: number;
  /**
   * Idle time after which the client drops a kept-alive connection. osrm-routed closes idle connections after 5 s,
   * so this stays below it (default 4000 ms) to avoid sending on a socket the server is closing.
   */
  keepAliveTimeoutMs?: number;
  /**
   * Requests after which the client retires a connection (undici sends `Connection: close` on the next one), so that
   * it is never the server — which closes after 512 — that drops it mid-use. Default 500.
   */
  maxRequestsPerConnection?: number;
  /** A breaker to share, or options for this router's own one. */
  breaker?: CircuitBreaker | CircuitBreakerOptions;
}

/**
 * How negative a distance or duration OSRM may answer for points that (nearly) coincide and still mean "0". OSRM
 * computes a cell as the path between the two snapped points minus/plus their offsets along the segment, so points
 * centimetres apart can come out a hair below zero (a rider 0.1 m from the store: `-0.1`, recorded in
 * `table-near-coincident`; osrm-backend issue #5855). That is a valid answer, never a malformed one.
 */
export const NEGATIVE_TOLERANCE = 1;

/**
 * A table cell or route figure as deliverygo uses it: a tiny negative (within {@link NEGATIVE_TOLERANCE}) is 0. A
 * larger negative is a known OSRM defect for some pairs (osrm-backend #5106, #7269): that one cell is unknown (`null`,
 * treated as no route), while the rest of the answer stays good.
 */
export function cleanOsrmFigure(value: number | null): number | null {
  if (value === null || value >= 0) return value;
  return value >= -NEGATIVE_TOLERANCE ? 0 : null;
}

const position = z.tuple([z.number(), z.number()]);
const waypointSchema = z.object({ location: position, distance: z.number().nonnegative() });
const cellSchema = z.number().nullable();
/** A route's distance or duration: a tiny negative is 0, anything more negative fails the schema. */
const figureSchema = z
  .number()
  .min(-NEGATIVE_TOLERANCE)
  .transform((v) => Math.max(0, v));

/** The parts of OSRM's answers deliverygo relies on; anything else in the body is ignored. */
export const osrmSchemas = {
  route: z.object({
    code: z.literal('Ok'),
    routes: z
      .array(
        z.object({
          distance: figureSchema,
          duration: figureSchema,
          geometry: z.object({ type: z.literal('LineString'), coordinates: z.array(position).min(2) }),
        }),
      )
      .min(1),
    waypoints: z.array(waypointSchema).length(2),
  }),
  /** A route asked with `overview=false` (reachability): only the waypoints matter. */
  routeSummary: z.object({
    code: z.literal('Ok'),
    routes: z.array(z.object({ distance: figureSchema, duration: figureSchema })).min(1),
    waypoints: z.array(waypointSchema).length(2),
  }),
  table: z.object({
    code: z.literal('Ok'),
    durations: z.array(z.array(cellSchema)),
    distances: z.array(z.array(cellSchema)),
    sources: z.array(waypointSchema),
    destinations: z.array(waypointSchema),
  }),
  nearest: z.object({ code: z.literal('Ok'), waypoints: z.array(waypointSchema).min(1) }),
};

const errorBodySchema = z.object({ code: z.string(), message: z.string().optional() });

/** OSRM error codes that mean the request itself was refused. */
const INVALID_INPUT_CODES = new Set(['InvalidQuery', 'InvalidValue', 'InvalidOptions', 'InvalidUrl', 'TooBig']);
/** OSRM error codes that mean "no path" rather than a failure. */
const NO_ROUTE_CODES = new Set(['NoRoute', 'NoTable']);

/**
 * Turns one OSRM HTTP answer into the validated body or a typed error:
 * Ok → `schema` output; NoRoute/NoTable → `NoRouteError`; NoSegment → `NoSegmentError` naming the input
 * (`fieldOf(coordinate index)`); InvalidQuery/InvalidValue/InvalidOptions/InvalidUrl/TooBig → `InvalidInputError`;
 * anything else (InvalidService, 5xx, a proxy's HTML, a body that fails validation) → `RoutingUnavailableError`.
 */
export function interpretOsrmResponse<T>(
  status: number,
  text: string,
  schema: z.ZodType<T>,
  fieldOf: (coordinateIndex: number) => string,
): T {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // The server (or a proxy in front of it) answered: unusable, but not an outage the circuit breaker should count.
    throw new RoutingUnavailableError(`OSRM answered HTTP ${status} with a body that is not JSON`, { outage: false });
  }
  if (status === 200) {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
  }
  const error = errorBodySchema.safeParse(body);
  if (!error.success || (status === 200 && error.data.code === 'Ok')) {
    throw new RoutingUnavailableError(`OSRM answered HTTP ${status} with an unexpected body`, { outage: false });
  }
  const { code, message = '' } = error.data;
  if (NO_ROUTE_CODES.has(code)) throw new NoRouteError(`OSRM ${code}: ${message}`);
  if (code === 'NoSegment') {
    const index = /coordinate (\d+)/.exec(message)?.[1];
    throw new NoSegmentError(index === undefined ? 'coordinates' : fieldOf(Number(index)), message);
  }
  if (INVALID_INPUT_CODES.has(code)) {
    throw new InvalidInputError(code === 'TooBig' ? 'table' : 'coordinates', `OSRM ${code}: ${message}`);
  }
  throw new RoutingUnavailableError(`OSRM ${code}: ${message}`, { outage: false });
}

/**
 * OSRM answers "Ok" however far it had to move a coordinate to reach a road; a move beyond `maxM` means the point is
 * not near the network (wrong region, bad GPS) and is reported as `NoSegmentError` naming that input.
 */
export function assertSnapped(
  waypoints: ReadonlyArray<{ distance: number }>,
  maxM: number,
  fieldOf: (index: number) => string,
  pointOf: (index: number) => LatLng | undefined = () => undefined,
): void {
  waypoints.forEach((w, i) => {
    if (w.distance > maxM) {
      throw new NoSegmentError(fieldOf(i), tooFarFromRoad(w.distance, maxM), {
        point: pointOf(i),
        snapDistanceM: w.distance,
        maxSnapDistanceM: maxM,
      });
    }
  });
}

const tooFarFromRoad = (distanceM: number, maxM: number) =>
  `nearest road is ${Math.round(distanceM)} m away (more than ${maxM} m)`;

/** OSRM takes `lon,lat`; 6 decimals is its internal precision (1e-6°), so nothing is lost. */
function formatCoordinate(p: LatLng): string {
  return `${Number(p.lon.toFixed(6))},${Number(p.lat.toFixed(6))}`;
}

function samePoints(a: readonly LatLng[], b: readonly LatLng[]): boolean {
  return a === b || (a.length === b.length && a.every((p, i) => p.lat === b[i]!.lat && p.lon === b[i]!.lon));
}

function range(from: number, count: number): string {
  return Array.from({ length: count }, (_, i) => from + i).join(';');
}

/** A failed attempt worth retrying (5xx, network error, timeout); `cause` is what happened. Never leaves the router. */
class TransientOsrmError extends Error {
  override readonly name = 'TransientOsrmError';
  constructor(cause: unknown) {
    super('transient OSRM failure', { cause });
  }
}

/**
 * Router backed by osrm-routed's HTTP API (route, table, nearest), over an undici keep-alive pool.
 *
 * Each request has a timeout and is retried with backoff on network errors, timeouts and 5xx; requests run through a
 * circuit breaker so that a dead OSRM is not hammered (calls then fail fast with `RoutingUnavailableError`, which
 * `FallbackRouter` turns into straight-line answers).
 */
export class OsrmRouter implements Router {
  readonly breaker: CircuitBreaker;
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly profile: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  /** cockatiel retry of transient failures: `retries` more attempts, equal-jitter exponential backoff capped at 1 s. */
  private readonly retryPolicy: RetryPolicy;
  private readonly tableMaxSize: number;
  private readonly tableConcurrency: number;
  private readonly maxSnapDistanceM: number;

  constructor(options: OsrmRouterOptions) {
    const url = new URL(options.baseUrl);
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.profile = options.profile ?? 'driving';
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.retries = options.retries ?? 2;
    this.tableMaxSize = options.tableMaxSize ?? 100;
    this.tableConcurrency = options.tableConcurrency ?? 4;
    this.maxSnapDistanceM = options.maxSnapDistanceM ?? 1000;
    if (!Number.isInteger(this.tableMaxSize) || this.tableMaxSize < 1)
      throw new RangeError('tableMaxSize must be >= 1');
    if (!Number.isInteger(this.retries) || this.retries < 0) throw new RangeError('retries must be >= 0');
    const initialMs = Math.min(1000, options.retryBaseDelayMs ?? 50);
    this.retryPolicy = retry(
      handleWhen((err) => err instanceof TransientOsrmError),
      { maxAttempts: this.retries, backoff: exponentialBackoff({ initialMs, maxMs: 1000 }) },
    );
    this.breaker = options.breaker instanceof CircuitBreaker ? options.breaker : new CircuitBreaker(options.breaker);
    const keepAlive = options.keepAliveTimeoutMs ?? 4000;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 8,
      keepAliveTimeout: keepAlive,
      // The server's `Keep-Alive: timeout=5` hint must not stretch our idle time past its own.
      keepAliveMaxTimeout: keepAlive,
      maxRequestsPerClient: options.maxRequestsPerConnection ?? 500,
      connectTimeout: this.timeoutMs,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /** The breaker's state, for health checks and tests. */
  get circuitState(): CircuitState {
    return this.breaker.state;
  }

  async route(from: LatLng, to: LatLng): Promise<RouteResult> {
    assertLatLng(from, 'from');
    assertLatLng(to, 'to');
    const fields = ['from', 'to'];
    const fieldOf = (i: number) => fields[i] ?? 'coordinates';
    const path = `/route/v1/${this.profile}/${formatCoordinate(from)};${formatCoordinate(to)}?overview=full&geometries=geojson`;
    const body = await this.get(path, osrmSchemas.route, fieldOf);
    assertSnapped(body.waypoints, this.maxSnapDistanceM, fieldOf, (i) => [from, to][i]);
    const best = body.routes[0]!;
    return { distanceM: best.distance, durationS: best.duration, geometry: best.geometry };
  }

  async table(sources: readonly LatLng[], destinations: readonly LatLng[]): Promise<TableResult> {
    assertLatLngList(sources, 'sources');
    assertLatLngList(destinations, 'destinations');
    const square = samePoints(sources, destinations);
    const n = this.tableMaxSize;
    const durationsS = sources.map(() => new Array<number | null>(destinations.length).fill(null));
    const distancesM = sources.map(() => new Array<number | null>(destinations.length).fill(null));
    const blocks: Array<{ s0: number; d0: number }> = [];
    for (let s0 = 0; s0 < sources.length; s0 += n) {
      for (let d0 = 0; d0 < destinations.length; d0 += n) blocks.push({ s0, d0 });
    }
    const runBlock = async ({ s0, d0 }: { s0: number; d0: number }) => {
      const src = sources.slice(s0, s0 + n);
      const dst = destinations.slice(d0, d0 + n);
      const body = await this.tableBlock(src, dst, square && s0 === d0, s0, d0);
      for (let i = 0; i < src.length; i++) {
        for (let j = 0; j < dst.length; j++) {
          durationsS[s0 + i]![d0 + j] = cleanOsrmFigure(body.durations[i]![j] ?? null);
          distancesM[s0 + i]![d0 + j] = cleanOsrmFigure(body.distances[i]![j] ?? null);
        }
      }
    };
    let next = 0;
    let failed = false;
    const worker = async () => {
      try {
        while (!failed && next < blocks.length) await runBlock(blocks[next++]!);
      } catch (err) {
        failed = true; // the table has failed: send no further blocks
        throw err;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.tableConcurrency, blocks.length) }, worker));
    return { durationsS, distancesM };
  }

  async nearest(point: LatLng): Promise<NearestResult> {
    assertLatLng(point, 'point');
    const path = `/nearest/v1/${this.profile}/${formatCoordinate(point)}?number=1`;
    const body = await this.get(path, osrmSchemas.nearest, () => 'point');
    const snapped = body.waypoints[0]!;
    assertSnapped(
      [snapped],
      this.maxSnapDistanceM,
      () => 'point',
      () => point,
    );
    return { point: { lon: snapped.location[0], lat: snapped.location[1] }, distanceM: snapped.distance };
  }

  /**
   * One `route` without geometry (`overview=false`, ~0.2 ms on osrm-routed): OSRM answers Ok however far it had to
   * snap an end, so the waypoints' snap distances decide; NoSegment and NoRoute answers are "unreachable" too.
   */
  async reachability(from: LatLng, to: LatLng): Promise<Reachability> {
    assertLatLng(from, 'from');
    assertLatLng(to, 'to');
    const ends = ['from', 'to'] as const;
    const fieldOf = (i: number) => ends[i] ?? 'coordinates';
    const path = `/route/v1/${this.profile}/${formatCoordinate(from)};${formatCoordinate(to)}?overview=false`;
    let body;
    try {
      body = await this.get(path, osrmSchemas.routeSummary, fieldOf);
    } catch (err) {
      if (err instanceof NoRouteError) return { reachable: false, reason: 'no road route between them' };
      if (err instanceof NoSegmentError) {
        const end = ends.find((e) => e === err.field);
        return {
          reachable: false,
          ...(end ? { end } : {}),
          reason: err.message,
          maxSnapDistanceM: this.maxSnapDistanceM,
        };
      }
      throw err;
    }
    const max = this.maxSnapDistanceM;
    // The farther end decides, so the answer names the worse one when both are off the network.
    const worst = body.waypoints[0]!.distance > body.waypoints[1]!.distance ? 0 : 1;
    const snap = body.waypoints[worst]!.distance;
    if (snap <= max) return { reachable: true };
    return {
      reachable: false,
      end: ends[worst],
      reason: tooFarFromRoad(snap, max),
      snapDistanceM: snap,
      maxSnapDistanceM: max,
    };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /**
   * One table request. A diagonal block of a square table sends its points once (OSRM then computes all pairs);
   * any other block sends sources then destinations with explicit `sources=`/`destinations=` indices.
   */
  private async tableBlock(src: readonly LatLng[], dst: readonly LatLng[], diagonal: boolean, s0: number, d0: number) {
    const coordinates = (diagonal ? src : [...src, ...dst]).map(formatCoordinate).join(';');
    const query = diagonal
      ? 'annotations=duration,distance'
      : `sources=${range(0, src.length)}&destinations=${range(src.length, dst.length)}&annotations=duration,distance`;
    const fieldOf = (i: number) => (i < src.length ? `sources[${s0 + i}]` : `destinations[${d0 + i - src.length}]`);
    const body = await this.get(`/table/v1/${this.profile}/${coordinates}?${query}`, osrmSchemas.table, fieldOf);
    const rowsOk = body.durations.length === src.length && body.distances.length === src.length;
    const colsOk = [...body.durations, ...body.distances].every((row) => row.length === dst.length);
    if (!rowsOk || !colsOk || body.sources.length !== src.length || body.destinations.length !== dst.length) {
      throw new RoutingUnavailableError(`OSRM table answered the wrong shape for ${src.length}×${dst.length}`, {
        outage: false,
      });
    }
    assertSnapped(
      body.sources,
      this.maxSnapDistanceM,
      (i) => `sources[${s0 + i}]`,
      (i) => src[i],
    );
    assertSnapped(
      body.destinations,
      this.maxSnapDistanceM,
      (j) => `destinations[${d0 + j}]`,
      (j) => dst[j],
    );
    return body;
  }

  /**
   * GET through the breaker. Only an outage (network error, timeout, 5xx after the retries) counts against OSRM's
   * health: an answer — Ok, NoSegment, NoRoute, even one we cannot use — proves the server up.
   */
  private async get<T>(path: string, schema: z.ZodType<T>, fieldOf: (i: number) => string): Promise<T> {
    try {
      return await this.breaker.run(
        () => this.getWithRetries(path, schema, fieldOf),
        (err) => err instanceof RoutingUnavailableError && err.outage,
      );
    } catch (err) {
      if (err instanceof CircuitOpenError) {
        throw new RoutingUnavailableError('OSRM circuit open', { cause: err, circuitOpen: true });
      }
      throw err;
    }
  }

  private async getWithRetries<T>(path: string, schema: z.ZodType<T>, fieldOf: (i: number) => string): Promise<T> {
    const service = path.slice(1, path.indexOf('/', 1));
    try {
      return await this.retryPolicy.execute(() => this.getOnce(path, schema, fieldOf));
    } catch (err) {
      if (!(err instanceof TransientOsrmError)) throw err;
      const lastError = err.cause;
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new RoutingUnavailableError(`OSRM ${service} failed after ${this.retries + 1} attempts: ${reason}`, {
        cause: lastError,
      });
    }
  }

  /** One attempt; a 5xx, network error, reset connection or timeout is a `TransientOsrmError` (worth another). */
  private async getOnce<T>(path: string, schema: z.ZodType<T>, fieldOf: (i: number) => string): Promise<T> {
    try {
      const response = await this.pool.request({
        method: 'GET',
        path: this.prefix + path,
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.body.text();
      if (response.statusCode >= 500) throw new TransientOsrmError(new Error(`HTTP ${response.statusCode}`));
      return interpretOsrmResponse(response.statusCode, text, schema, fieldOf);
    } catch (err) {
      if (err instanceof RoutingError || err instanceof TransientOsrmError) throw err;
      if (this.pool.closed || this.pool.destroyed) {
        throw new RoutingUnavailableError('OSRM router is closed', { cause: err });
      }
      throw new TransientOsrmError(err);
    }
  }
}

/**
 * The geo store port: the fast, geospatial hot state the API and the workers share — which hot paths cover an H3 cell,
 * where every rider is, and which riders are free to take a batch. Postgres stays the source of truth for orders and
 * batches; this state is rebuilt from pings and path provisioning and may be lost without losing business data.
 *
 * Adapters: `RedisGeoStore` (redis-geo-store.ts) and `MemoryGeoStore` (memory-geo-store.ts, the embedded `npm start`
 * mode). Both pass the one suite in geo-store.contract.ts. The contract, point by point:
 *
 * **Hot-path index**
 * - `indexPath(pathId, cells)` makes `cells` the path's corridor: afterwards `pathsForCell(c)` lists `pathId` for
 *   every `c` in `cells` and for no other cell. Re-indexing a path *replaces* its corridor (a refined OSRM geometry
 *   replaces the straight-line guess); cells only the old corridor had forget it. Atomic per path.
 * - `pathsForCell` / `pathsForCells` answer path ids sorted ascending (sets have no order; sorting makes answers
 *   comparable); an unknown cell has none. `pathsForCells` answers every requested cell, in one round trip.
 * - `removePath(pathId)` removes the path from every cell of its corridor (via the reverse index path → cells) and
 *   answers whether it was indexed.
 * - Cells must be valid H3 indexes; anything else is refused with `GeoStoreInputError` before any write.
 *
 * **Rider positions**
 * - `updateRiderPosition` applies a ping only when it is newer (`recordedAt`, the device's time) than the rider's
 *   current position; an older or equal ping answers `{ applied: false }` and changes nothing. Check and write are one
 *   atomic step, so two API instances racing with out-of-order pings of one rider cannot regress the position.
 * - The current position lives for `riderTtlMs` (default 60 s) after it was *received* (`lastSeenAt`, from the
 *   store's clock): a rider whose pings stop disappears from `getRiderPosition` and from every search. Once it has
 *   expired there is no current position, so the next ping — whatever its `recordedAt` — becomes current.
 * - Optional fields (`speed`, `heading`, `accuracy`) belong to one ping: a ping without `speed` clears the old speed.
 * - `updateRiderPositions(batch)` applies many pings in order, as if one by one, in one round trip; answers one result
 *   per ping. The batch is validated as a whole first: one bad ping rejects it and nothing is written.
 * - **Per-rider ping rate**: `updateRiderPosition(riderId, ping, limit)` with a `limit` (the rider's own GPS ping;
 *   internal callers — registration, status, the reconciler — pass none) first takes a token from the rider's bucket
 *   (GCRA: `burst` at once, refilled at `perSecond`, on the store's clock — the steps of internal/ratelimit). Without
 *   one it answers `{ applied: false, retryAfterMs }` (ms until the next token) and changes nothing; a refused ping
 *   costs no token. Every limited ping counts, applied or ignored. The check is part of the same atomic step as the
 *   write (no extra round trip). Calls without a limit and `updateRiderPositions` (the operator's bulk feed) are not
 *   limited and leave the bucket as it is. A bucket lives with the position: it is forgotten when that expires.
 *
 * **Availability and claims**
 * - Every rider has a status: `offline` (the default, and what an unknown rider has), `available` or `busy` (with
 *   the batch it carries, when claimed). The status is kept apart from the position and does NOT expire with it: a
 *   busy rider whose pings pause is still busy when they resume.
 * - A rider is *available for dispatch* exactly when its status is `available` and its position is live.
 *   `searchAvailable` answers only such riders; a busy or offline rider's pings never make it available.
 * - `searchAvailable(center, radiusM, limit)` / `searchNearby(...)`: riders within `radiusM` metres of `center`
 *   (great-circle distance, within 0.1 % of `haversineM`), nearest first, at most `limit`, each with its distance, its
 *   last position and status. `searchNearby` covers every rider with a live position, whatever its status (the ops
 *   map); riders whose position expired never appear in either (no ghosts).
 * - `setRiderAvailability(riderId, status, batchId?)` sets the status unconditionally and clears any batch (an operator
 *   or the rider app saying so); `busy` with `batchId` records that batch (the reconciler restoring a busy rider from
 *   Postgres). `available` takes effect at once when the position is live, or with the next ping.
 * - `claimRider(riderId, batchId)` succeeds only while the rider is available for dispatch: it then becomes `busy`
 *   with `batchId` and leaves the available set, atomically. Of any number of concurrent claims on one rider exactly
 *   one answers `true`. A claim is not idempotent: claiming a busy rider answers `false` even for the same batch
 *   (a redelivered handler checks `getRiderStatus`).
 * - `releaseRider(riderId, batchId?)` turns a `busy` rider back to `available` (at its last position, when that is
 *   still live) and answers `true`; when the rider is not busy, or is busy with another batch than the given one (a
 *   late release of an old batch), it changes nothing and answers `false`.
 *
 * **Epoch marker.** `getEpoch()` answers what `setEpoch(epoch)` last wrote, or null when nothing was written since
 * the store was created — or since it lost its data (Redis restarted empty, a new in-memory store). The marker has no
 * TTL: its absence is how the worker's reconciler (internal/pipeline/geo-reconciler.ts) tells that everything the
 * store held is gone and must be rebuilt from Postgres.
 *
 * **Time.** Every adapter takes a `Clock`. `lastSeenAt` and every liveness decision ("is this position older than
 * `riderTtlMs`?") use that clock, so a virtual clock drives expiry identically in both adapters (the contract suite
 * advances a `ManualClock`). The Redis adapter additionally PEXPIREs each position hash after `riderTtlMs` of server
 * time, which only collects memory: with a real clock both agree.
 *
 * **Lifecycle.** `ping()` resolves when the backing store answers (use `geoStoreHealthCheck`). After `close()` every
 * method rejects with `GeoStoreClosedError`; `close()` may be called more than once.
 *
 * **Input.** Ids are non-empty strings (at most 256 characters); latitudes within ±85.05112878 (the Web-Mercator
 * band Redis GEO can store) and longitudes within ±180; `radiusM` > 0; `limit` an integer in [1, 10 000].
 * Violations reject with `GeoStoreInputError` naming the field (`lat`, `pings[3].lon`, `center.lat`, `cells[2]`).
 */
import type { LatLng } from '../geo/haversine.ts';
import type { HealthCheck } from '../health/health-check.ts';
import type { Clock } from '../platform/clock.ts';
import { AppError } from '../platform/errors.ts';

export type { LatLng } from '../geo/haversine.ts';

/** `offline` is the default: a rider nobody set available is never dispatched. */
export type RiderStatus = 'available' | 'busy' | 'offline';

export const RIDER_STATUSES: readonly RiderStatus[] = ['available', 'busy', 'offline'];

/** One GPS fix as the rider's device reported it. */
export interface RiderPing {
  lat: number;
  lon: number;
  /** When the device took the fix, ms since the epoch. Orders pings of one rider; never compared with the clock. */
  recordedAt: number;
  /** Metres per second, ≥ 0. */
  speed?: number;
  /** Degrees clockwise from north, [0, 360]. */
  heading?: number;
  /** Horizontal accuracy radius in metres, ≥ 0. */
  accuracy?: number;
}

/** A ping together with whose it is, for `updateRiderPositions`. */
export interface RiderPingOf extends RiderPing {
  riderId: string;
}

export interface PingResult {
  /** False when the ping was not newer than the current position and was ignored, or was over the rider's rate. */
  applied: boolean;
  /** Present only when the ping was refused by the per-rider ping rate: ms until the rider's next token. */
  retryAfterMs?: number;
}

/** A per-rider ping rate: a bucket of `burst` pings refilled at `perSecond`. */
export interface PingRateLimit {
  perSecond: number;
  burst: number;
}

export interface RiderState {
  status: RiderStatus;
  /** The batch a `busy` rider carries when it was claimed; null otherwise. */
  batchId: string | null;
}

/** A rider's live position with the ping's details and its status. */
export interface RiderPosition extends RiderPing, RiderState {
  riderId: string;
  /** When the store received the ping (store clock, ms); the position expires at `lastSeenAt + riderTtlMs`. */
  lastSeenAt: number;
}

/** One answer of a radius search. */
export interface NearbyRider extends RiderState {
  riderId: string;
  /** Great-circle metres from the search centre. */
  distanceM: number;
  /** The rider's last position (Redis stores it with ~0.6 m precision). */
  position: LatLng;
}

/** See the module comment for the full contract. */
export interface GeoStore {
  /** Which adapter this is, for `/health`. */
  readonly adapter: 'redis' | 'memory';
  /** How long (store clock ms) a position lives after it was received. */
  readonly riderTtlMs: number;

  /** Makes `cells` the corridor of `pathId`, replacing any previous one. */
  indexPath(pathId: string, cells: readonly string[]): Promise<void>;
  /** Path ids whose corridor covers `cell`, sorted. */
  pathsForCell(cell: string): Promise<string[]>;
  /** `pathsForCell` for many cells in one round trip; one entry per distinct requested cell. */
  pathsForCells(cells: readonly string[]): Promise<Map<string, string[]>>;
  /** The corridor of `pathId`, sorted; empty when it is not indexed. */
  cellsOfPath(pathId: string): Promise<string[]>;
  /** Forgets the path in every cell; false when it was not indexed. */
  removePath(pathId: string): Promise<boolean>;

  /**
   * Applies the ping unless the rider already has a newer (or equal) live position; with `limit`, only when the
   * rider's ping rate allows it (see the contract).
   */
  updateRiderPosition(riderId: string, ping: RiderPing, limit?: PingRateLimit): Promise<PingResult>;
  /** Many pings, applied in order, in one round trip. */
  updateRiderPositions(pings: readonly RiderPingOf[]): Promise<PingResult[]>;
  /** The live position, or null when the rider never pinged or its position expired. */
  getRiderPosition(riderId: string): Promise<RiderPosition | null>;
  /** Status and batch; `offline` for an unknown rider. Independent of whether the position is live. */
  getRiderStatus(riderId: string): Promise<RiderState>;

  /** Sets the status unconditionally, clearing any batch; `busy` with `batchId` records that batch. */
  setRiderAvailability(riderId: string, status: RiderStatus, batchId?: string): Promise<void>;
  /** Available riders within `radiusM` of `center`, nearest first, at most `limit`. */
  searchAvailable(center: LatLng, radiusM: number, limit: number): Promise<NearbyRider[]>;
  /** Every live rider (any status) within `radiusM` of `center`, nearest first, at most `limit`. */
  searchNearby(center: LatLng, radiusM: number, limit: number): Promise<NearbyRider[]>;
  /** Atomically takes an available rider for `batchId`; true for exactly one of concurrent callers. */
  claimRider(riderId: string, batchId: string): Promise<boolean>;
  /** Busy → available (again in searches if its position is live); with `batchId`, only if busy with that batch. */
  releaseRider(riderId: string, batchId?: string): Promise<boolean>;

  /** The marker `setEpoch` wrote; null when the store is new or lost its data. */
  getEpoch(): Promise<string | null>;
  /** Writes the marker (no TTL). */
  setEpoch(epoch: string): Promise<void>;

  /** Resolves when the backing store answers. */
  ping(): Promise<void>;
  /** Releases the connection it owns; afterwards every method rejects. Idempotent. */
  close(): Promise<void>;
}

/** Options every adapter takes. */
export interface GeoStoreOptions {
  /** How long a position stays live after it was received. Default 60 000 ms. */
  riderTtlMs?: number;
  /** Source of `lastSeenAt` and of "now" for expiry. Default the system clock. */
  clock?: Clock;
}

export const DEFAULT_RIDER_TTL_MS = 60_000;

/** Bad input to the geo store; `field` names it. */
export class GeoStoreInputError extends AppError {
  override readonly name = 'GeoStoreInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('invalid_input', 'geostore.invalid_input', `${field}: ${message}`, { field });
  }
}

/** The store was used after `close()`. */
export class GeoStoreClosedError extends AppError {
  override readonly name = 'GeoStoreClosedError';
  constructor() {
    super('unavailable', 'geostore.closed', 'the geo store is closed');
  }
}

/** The store's `/health` entry: `geostore` served by `redis` or `memory`. */
export function geoStoreHealthCheck(store: Pick<GeoStore, 'adapter' | 'ping'>): HealthCheck {
  return { name: 'geostore', adapter: store.adapter, check: () => store.ping() };
}

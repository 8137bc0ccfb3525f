import { LRUCache } from 'lru-cache';
import {
  assertLatLng,
  assertLatLngList,
  type LatLng,
  type NearestResult,
  type Reachability,
  type RouteResult,
  type Router,
  type TableResult,
} from './router.ts';

export interface CachedRouterOptions {
  /**
   * Bound on the cache, in cells: a route weighs its geometry's positions, a table its sources × destinations × 2.
   * Default 2_000_000 (a few tens of MB of numbers).
   */
  maxCells?: number;
  /** Entry lifetime. Default 1 h: road data only changes when OSRM is redeployed. */
  ttlMs?: number;
  /** Told of every route/table lookup: answered without the inner router (`true`: cached or in flight) or not. */
  onLookup?: (hit: boolean) => void;
}

type Cached = RouteResult | TableResult;

/** 6 decimals ≈ 0.1 m, and OSRM's own coordinate precision: two keys that differ route differently. */
function key(p: LatLng): string {
  return `${p.lon.toFixed(6)},${p.lat.toFixed(6)}`;
}

function weight(value: Cached): number {
  if ('geometry' in value) return value.geometry.coordinates.length + 2;
  const rows = value.durationsS.length;
  return Math.max(1, rows * (value.durationsS[0]?.length ?? 0) * 2);
}

/**
 * In-process, bounded LRU in front of another router for `route` and `table`; `nearest` and `reachability` pass through.
 *
 * Concurrent identical requests share one call to the inner router. Failures are not cached. Wrap only a router
 * whose answers are worth keeping — OSRM, not the fallback — so that straight-line guesses made while OSRM was down
 * are not served after it recovers (`createRouter` composes it that way).
 */
export class CachedRouter implements Router {
  private readonly cache: LRUCache<string, Cached>;
  private readonly inFlight = new Map<string, Promise<Cached>>();
  private readonly onLookup: (hit: boolean) => void;

  constructor(
    private readonly inner: Router,
    options: CachedRouterOptions = {},
  ) {
    this.onLookup = options.onLookup ?? (() => {});
    this.cache = new LRUCache<string, Cached>({
      maxSize: options.maxCells ?? 2_000_000,
      sizeCalculation: weight,
      ttl: options.ttlMs ?? 3_600_000,
    });
  }

  /** Number of cached results (for tests and metrics). */
  get size(): number {
    return this.cache.size;
  }

  async route(from: LatLng, to: LatLng): Promise<RouteResult> {
    assertLatLng(from, 'from');
    assertLatLng(to, 'to');
    return (await this.through(`r|${key(from)};${key(to)}`, () => this.inner.route(from, to))) as RouteResult;
  }

  async table(sources: readonly LatLng[], destinations: readonly LatLng[]): Promise<TableResult> {
    assertLatLngList(sources, 'sources');
    assertLatLngList(destinations, 'destinations');
    const k = `t|${sources.map(key).join(';')}|${destinations.map(key).join(';')}`;
    return (await this.through(k, () => this.inner.table(sources, destinations))) as TableResult;
  }

  nearest(point: LatLng): Promise<NearestResult> {
    return this.inner.nearest(point);
  }

  /** Passes through: one cheap request, asked once per order placed. */
  reachability(from: LatLng, to: LatLng): Promise<Reachability> {
    return this.inner.reachability(from, to);
  }

  close(): Promise<void> {
    this.cache.clear();
    return this.inner.close();
  }

  private through(k: string, load: () => Promise<Cached>): Promise<Cached> {
    const hit = this.cache.get(k);
    const pending = hit === undefined ? this.inFlight.get(k) : undefined;
    this.onLookup(hit !== undefined || pending !== undefined);
    if (hit !== undefined) return Promise.resolve(hit);
    if (pending !== undefined) return pending;
    const promise = load()
      .then((value) => {
        this.cache.set(k, value);
        return value;
      })
      .finally(() => this.inFlight.delete(k));
    this.inFlight.set(k, promise);
    return promise;
  }
}

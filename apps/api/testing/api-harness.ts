/**
 * The HTTP app wired to a fresh, migrated Postgres database and the test Redis (geo store under a unique prefix),
 * for the API's integration suites. `call` sends what the API's lanes serve (GPS pings, `POST /orders`: any POST to
 * their paths) over a socket to the listener compose.ts serves — the lanes in front of Hono — so every suite holds the
 * lanes to the routes' contract; everything else goes through `app.request`, where everything but the socket is real.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { latLngToCell } from 'h3-js';
import { Registry } from 'prom-client';
import { principalLookupFrom, registerOperatorKey } from '../../../internal/auth/credential-repository.ts';
import { createPrincipalResolver, type PrincipalResolver } from '../../../internal/auth/principal-resolver.ts';
import { mintToken } from '../../../internal/auth/token.ts';
import { createDatabase, type DatabaseHandle } from '../../../internal/db/database.ts';
import { migrateUp } from '../../../internal/db/migrate.ts';
import type { GeoStore } from '../../../internal/geostore/geo-store.ts';
import { MemoryGeoStore } from '../../../internal/geostore/memory-geo-store.ts';
import { RedisGeoStore } from '../../../internal/geostore/redis-geo-store.ts';
import { startMigratedEmbeddedPostgres } from '../../../tests/support/embedded-database.ts';
import { ManualClock } from '../../../internal/platform/clock.ts';
import { silentLogger } from '../../../internal/platform/logger.ts';
import type { Router } from '../../../internal/routing/router.ts';
import { createTestDatabase, type TestDatabase } from '../../../tests/support/postgres.ts';
import { createTestRedis, type TestRedis } from '../../../tests/support/redis.ts';
import { MemoryEventBus } from '../../../internal/eventbus/memory-event-bus.ts';
import { MemoryLiveFeed } from '../../../internal/livefeed/memory-live-feed.ts';
import { createLiveStatsService } from '../../../internal/live-stats/live-stats-service.ts';
import { KnownRiders } from '../../../internal/telemetry/known-riders.ts';
import { createTelemetryService, ridersExistIn } from '../../../internal/telemetry/telemetry-service.ts';
import { Redis } from 'ioredis';
import type { PingRateLimit } from '../../../internal/geostore/geo-store.ts';
import { MemoryRateLimiter } from '../../../internal/ratelimit/memory-rate-limiter.ts';
import type { RateLimiter } from '../../../internal/ratelimit/rate-limiter.ts';
import { RedisRateLimiter } from '../../../internal/ratelimit/redis-rate-limiter.ts';
import { createApiApp } from '../app.ts';
import { withIngestLane } from '../ingest-lane.ts';
import { withOrderLane } from '../order-lane.ts';
import { createRequestLimits, type RequestLimits, type RequestLimitSettings } from '../rate-limit.ts';
import { createApiServices, type ApiServices } from '../services.ts';

export interface ApiHarness {
  app: OpenAPIHono;
  /** The request rate limiter behind `options.limits.requests` (built either way). */
  limiter: RateLimiter;
  database: DatabaseHandle;
  geo: GeoStore;
  clock: ManualClock;
  /** The operator key the harness registered (as the API registers `OPERATOR_KEY`); `call` sends it by default. */
  operatorKey: string;
  /** The app's token resolver (cache TTL: `HarnessOptions.authCacheTtlMs`). */
  auth: PrincipalResolver;
  /** The app's domain services (what a lane in front of it is given). */
  services: ApiServices;
  /** The app's request limits, when `options.limits.requests` turned them on (what a lane in front of it is given). */
  requestLimits: RequestLimits | undefined;
  /**
   * `app.request`, except that what the lanes serve (any POST to their paths) goes over the socket, through the lanes:
   * the requests of a suite that holds the whole API to its contract (fuzz.int.test.ts).
   */
  request(path: string, init?: RequestInit): Promise<Response>;
  /**
   * JSON request as the operator (through `request`); answers status, parsed body and headers. `headers.authorization` replaces the
   * operator's (`'Bearer dgo_st_…'` to call as a store), and `''` sends none.
   */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonResponse>;
  /** JSON request with `token` as the bearer token (null: none) — `call` as another principal. */
  callAs(
    token: string | null,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<JsonResponse>;
  /**
   * Another API instance on the same database and geo store, with a rate limiter of its own on a connection of its
   * own (the same Redis prefix on `real`; a separate in-memory limiter — another process — on `embedded`). Closed with
   * the harness.
   */
  anotherInstance(): Promise<Pick<ApiHarness, 'app' | 'call'>>;
  close(): Promise<void>;
}

export interface JsonResponse {
  status: number;
  // Tests index freely into answers; a wrong shape fails the assertion that reads it.
  body: any;
  headers: Headers;
}

const EARTH_RADIUS_M = 6_371_008.8;

/** The point `metres` due north of (lat, lon): its haversine distance from the start is exactly `metres`. */
export function north(point: { lat: number; lon: number }, metres: number): { lat: number; lon: number } {
  return { lat: point.lat + (metres / EARTH_RADIUS_M) * (180 / Math.PI), lon: point.lon };
}

/** The drop of the sample order (`sampleOrder`): Monaco, 500 m from the sample store. */
export const SAMPLE_DROP = { lat: 43.7402, lon: 7.4291 };

/** A valid `POST /orders` body for `storeId` (two margheritas, 12 min prep), with `extra` fields set or overridden. */
export function sampleOrder(storeId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { store_id: storeId, drop: SAMPLE_DROP, items: [{ name: 'margherita', qty: 2 }], prep_minutes: 12, ...extra };
}

/**
 * Where the suites run: `real` = a fresh database on the real PostgreSQL and the real Redis; `embedded` = PGlite and
 * the in-memory geo store, the adapters of `npm start`. The API suites run against both, so the embedded twins are
 * held to the same contract as the real ones.
 */
export type HarnessBackend = 'real' | 'embedded';
export const HARNESS_BACKENDS: readonly HarnessBackend[] = ['real', 'embedded'];

export interface HarnessOptions {
  /** A road router for placement's reachability check (e.g. OSRM over the recorded exchanges); none by default. */
  roadRouter?: Router;
  /** How old a rider's GPS fix may be for a drop confirmation (default: the service's 60 s). */
  fixMaxAgeMs?: number;
  /** How long the token resolver reuses an answer (default: the API's 30 s). */
  authCacheTtlMs?: number;
  /**
   * Rate limits, on the harness clock: `requests` turns on the per-key/per-IP middleware (Redis limiter under the
   * suite's prefix on `real`, in memory on `embedded`); `gps` the per-rider ping rate of the telemetry service. None
   * by default.
   */
  limits?: { requests?: RequestLimitSettings; gps?: PingRateLimit };
}

export async function createApiHarness(
  prefix: string,
  backend: HarnessBackend = 'real',
  options: HarnessOptions = {},
): Promise<ApiHarness> {
  const clock = new ManualClock(Date.parse('2026-11-22T12:00:00.000Z'));
  const store = backend === 'real' ? await realStores(prefix, clock) : await embeddedStores(clock);
  try {
    const database = createDatabase(store.url, { maxConnections: backend === 'real' ? 25 : 8 });
    const { geo } = store;
    const services = createApiServices({
      db: database.db,
      clock,
      logger: silentLogger,
      geo,
      h3Resolution: 8,
      roadRouter: options.roadRouter,
      fixMaxAgeMs: options.fixMaxAgeMs,
    });
    // GPS pings go through the real telemetry service into the geo store (drop confirmations are judged on them); the
    // history and live fan-out go to in-process stand-ins nobody reads here.
    const telemetry = createTelemetryService({
      db: database.db,
      geo,
      bus: new MemoryEventBus(),
      feed: new MemoryLiveFeed(),
      riders: new KnownRiders(ridersExistIn(database.db)),
      clock,
      logger: silentLogger,
      ...(options.limits?.gps ? { pingLimit: options.limits.gps } : {}),
    });
    // As compose.ts: the routes authenticate through the cached resolver; an operator key is registered up front.
    const auth = createPrincipalResolver({
      lookup: principalLookupFrom(database.db),
      ...(options.authCacheTtlMs !== undefined ? { ttlMs: options.authCacheTtlMs } : {}),
    });
    const operatorKey = mintToken('operator');
    await registerOperatorKey(database.db, operatorKey, 'api harness');
    // The live map's figures (/stats/live, /map/state) read the same database and geo store.
    const liveStats = createLiveStatsService({ db: database.db, geo, clock });
    const servers: Server[] = [];
    /** An API instance: its app, and the lanes in front of it on a socket of 127.0.0.1 (as compose.ts serves them). */
    const instance = async (limiter: RateLimiter) => {
      const metrics = new Registry();
      const requestLimits = options.limits?.requests
        ? createRequestLimits(limiter, options.limits.requests, silentLogger)
        : undefined;
      const app = createApiApp({
        logger: silentLogger,
        healthChecks: [],
        metrics,
        services,
        telemetry,
        auth,
        liveStats,
        ...(requestLimits ? { requestLimits } : {}),
      });
      const lanes = { logger: silentLogger, metrics, auth, requestLimits };
      const server = createServer(
        withIngestLane({ ...lanes, telemetry }, withOrderLane({ ...lanes, services }, getRequestListener(app.fetch))),
      );
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const request = async (path: string, init: RequestInit = {}): Promise<Response> =>
        (init.method ?? 'GET').toUpperCase() === 'POST' && LANE_PATHS.test(path)
          ? fetch(`${base}${path}`, init)
          : app.request(path, init);
      return { app, requestLimits, request };
    };
    const limiter = store.limiter();
    const { app, request, requestLimits } = await instance(limiter);
    const others: Array<() => Promise<void>> = [];
    /** `call` on `target`, as the harness's operator unless `headers.authorization` says otherwise ('' = none). */
    const callOn =
      (target: ApiHarness['request']): ApiHarness['call'] =>
      (method, path, body, headers = {}) => {
        const { authorization = `Bearer ${operatorKey}`, ...rest } = headers;
        return callJson(target, method, path, body, { ...(authorization !== '' ? { authorization } : {}), ...rest });
      };
    const call = callOn(request);
    return {
      app,
      limiter,
      database,
      geo,
      clock,
      operatorKey,
      auth,
      services,
      requestLimits,
      request,
      call,
      callAs: (token, method, path, body, headers = {}) =>
        call(method, path, body, { ...headers, authorization: token === null ? '' : `Bearer ${token}` }),
      async anotherInstance() {
        const own = store.limiter(true);
        others.push(() => own.close());
        const other = await instance(own);
        return { app: other.app, call: callOn(other.request) };
      },
      async close() {
        await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
        await Promise.all(others.splice(0).map((close) => close()));
        await limiter.close();
        await geo.close();
        await database.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The paths of the lanes (ingest-lane.ts, order-lane.ts), a query string or not: POSTs to them go over the socket. */
const LANE_PATHS = /^\/(orders|riders\/locations|riders\/[^/?]+\/location)(\?|$)/;

async function callJson(
  request: ApiHarness['request'],
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const res = await request(path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

interface HarnessStores {
  url: string;
  geo: GeoStore;
  /** A rate limiter on the harness clock; `ownConnection`: on a Redis connection of its own (closed with it). */
  limiter(ownConnection?: boolean): RateLimiter;
  close(): Promise<void>;
}

async function realStores(prefix: string, clock: ManualClock): Promise<HarnessStores> {
  const testDb: TestDatabase = await createTestDatabase(prefix, {
    migrate: async (url) => void (await migrateUp(url, silentLogger)),
  });
  let redis: TestRedis | undefined;
  try {
    redis = await createTestRedis();
    const testRedis = redis;
    return {
      url: testDb.url,
      geo: new RedisGeoStore(redis.redis, { prefix: redis.prefix, clock }),
      limiter(ownConnection = false) {
        if (!ownConnection) return new RedisRateLimiter(testRedis.redis, { prefix: testRedis.prefix, clock });
        const connection = new Redis(testRedis.url);
        const limiter = new RedisRateLimiter(connection, { prefix: testRedis.prefix, clock });
        return {
          adapter: limiter.adapter,
          consume: (policy, key) => limiter.consume(policy, key),
          async close() {
            await limiter.close();
            await connection.quit();
          },
        };
      },
      async close() {
        await testRedis.cleanup();
        await testDb.drop();
      },
    };
  } catch (error) {
    await redis?.cleanup();
    await testDb.drop();
    throw error;
  }
}

async function embeddedStores(clock: ManualClock): Promise<HarnessStores> {
  const embedded = await startMigratedEmbeddedPostgres();
  return {
    url: embedded.url,
    geo: new MemoryGeoStore({ clock }),
    limiter: () => new MemoryRateLimiter({ clock }),
    close: () => embedded.close(),
  };
}

/** A path template row (the worker provisions them; the delivery suites only need one to hang batches on). */
export async function insertPathTemplate(
  h: ApiHarness,
  storeId: string,
  target: { lat: number; lon: number },
): Promise<string> {
  const id = `path-${randomUUID()}`;
  const cell = latLngToCell(target.lat, target.lon, 8);
  const existing = await h.database.db
    .selectFrom('path_templates')
    .select('id')
    .where('store_id', '=', storeId)
    .where('h3_cell', '=', cell)
    .executeTakeFirst();
  if (existing) return existing.id;
  await h.database.db
    .insertInto('path_templates')
    .values({
      id,
      store_id: storeId,
      h3_cell: latLngToCell(target.lat, target.lon, 8),
      h3_resolution: 8,
      target_lat: target.lat,
      target_lon: target.lon,
      geometry: JSON.stringify({ type: 'LineString', coordinates: [[target.lon, target.lat]] }),
      distance_m: 1000,
      duration_s: 120,
      corridor_cells: [latLngToCell(target.lat, target.lon, 8)],
      router: 'straight-line',
    })
    .execute();
  return id;
}

/**
 * A batch of `orderIds` as the dispatcher leaves it: `status`, with `riderId` when assigned (the rider then
 * `assigned` too, the orders `batched`/`assigned` accordingly) and refined stops with ETAs.
 */
export async function insertBatch(
  h: ApiHarness,
  opts: {
    storeId: string;
    pathId: string;
    orderIds: string[];
    status: 'open' | 'sealed' | 'assigned';
    riderId?: string;
  },
): Promise<string> {
  const id = randomUUID();
  const now = new Date(h.clock.now());
  const orders = await h.database.db.selectFrom('orders').selectAll().where('id', 'in', opts.orderIds).execute();
  const byId = new Map(orders.map((o) => [o.id, o]));
  const stops = opts.orderIds.map((orderId, i) => {
    const o = byId.get(orderId)!;
    return {
      kind: 'drop' as const,
      order_id: orderId,
      lat: o.drop_lat,
      lon: o.drop_lon,
      eta: new Date(now.getTime() + (i + 1) * 600_000).toISOString(),
    };
  });
  await h.database.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('batches')
      .values({
        id,
        store_id: opts.storeId,
        path_id: opts.pathId,
        status: opts.status,
        capacity: 4,
        order_count: opts.orderIds.length,
        opened_at: now,
        window_closes_at: new Date(now.getTime() + 120_000),
        latest_departure_at: new Date(now.getTime() + 600_000),
        ready_at: now,
        sealed_at: opts.status === 'open' ? null : now,
        stops: opts.status === 'open' ? null : JSON.stringify(stops),
        rider_id: opts.riderId ?? null,
        assigned_at: opts.riderId ? now : null,
      })
      .execute();
    await trx
      .insertInto('batch_orders')
      .values(opts.orderIds.map((orderId, i) => ({ batch_id: id, order_id: orderId, sequence: i })))
      .execute();
    await trx
      .updateTable('orders')
      .set({
        status: opts.status === 'assigned' ? 'assigned' : 'batched',
        batched_at: now,
        assigned_at: opts.riderId ? now : null,
      })
      .where('id', 'in', opts.orderIds)
      .execute();
    if (opts.riderId)
      await trx.updateTable('riders').set({ status: 'assigned' }).where('id', '=', opts.riderId).execute();
  });
  return id;
}

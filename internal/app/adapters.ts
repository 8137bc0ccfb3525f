import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.ts';
import { createDatabase } from '../db/database.ts';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { migrateUp } from '../db/migrate.ts';
import { openDatabase } from '../db/open-database.ts';
import type { Database } from '../db/schema.ts';
import { createEventBus } from '../eventbus/create-event-bus.ts';
import type { EventBus, KeyPartitioner } from '../eventbus/event-bus.ts';
import type { GeoStore } from '../geostore/geo-store.ts';
import { MemoryGeoStore } from '../geostore/memory-geo-store.ts';
import { RedisGeoStore } from '../geostore/redis-geo-store.ts';
import { healthChecksFromConfig } from '../health/health-checks-from-config.ts';
import type { HealthCheck } from '../health/health-check.ts';
import { systemClock, type Clock } from '../platform/clock.ts';
import { shutdownSteps, type ShutdownStep } from '../platform/lifecycle.ts';
import type { Logger } from '../platform/logger.ts';
import { MemoryRateLimiter } from '../ratelimit/memory-rate-limiter.ts';
import type { RateLimiter } from '../ratelimit/rate-limiter.ts';
import { RedisRateLimiter } from '../ratelimit/redis-rate-limiter.ts';
import { selectRouter, type RouterKind } from '../routing/create-router.ts';
import type { LatLng, Router } from '../routing/router.ts';

/**
 * Every adapter a deliverygo process talks to, chosen by the configuration: a real server where its URL is set,
 * the embedded twin where it is not (PGlite, in-process bus, in-memory geo store, and the road router for `npm start`'s
 * city or the straight-line router).
 *
 * Built once per process. The API and the worker each build their own when they run alone; `npm start` builds one
 * set and hands it to both, so they share the embedded database, bus and geo store.
 */
export interface Adapters {
  db: Kysely<Database>;
  pool: pg.Pool;
  bus: EventBus & KeyPartitioner;
  geo: GeoStore;
  router: Router;
  /**
   * The request rate limiter (internal/ratelimit): on Redis — the geo store's connection, under REDIS_KEY_PREFIX, shared
   * by every API instance — when REDIS_URL is set, else in process memory. Its clock is the wall clock always: rates
   * are requests per real second, even in `npm start`'s sped-up city.
   */
  limiter: RateLimiter;
  /** Which adapter serves each part, for logs and `/health`. */
  kinds: { postgres: 'postgres' | 'pglite'; bus: 'kafka' | 'memory'; geo: 'redis' | 'memory'; router: RouterKind };
  healthChecks: HealthCheck[];
  /** Closes everything in reverse build order. Idempotent. */
  close(): Promise<void>;
}

export interface AdapterOptions {
  clock: Clock;
  /** Shown in pg_stat_activity. */
  applicationName: string;
  /** Where the router's fallback counter goes. */
  registry: Registry;
  /** How long (clock ms) a rider's position lives without a new ping; default the geo store's 60 s. */
  riderTtlMs?: number;
  /**
   * The city this process serves (`npm start`'s demo centre): with `ROUTER=auto` and no OSRM, the road router is used
   * when the road graph covers it. Unset: straight line unless `ROUTER=road`.
   */
  cityCenter?: LatLng;
}

/** Builds the adapters `config` selects; on a failure half-way, closes what was built and rethrows. */
export async function openAdapters(config: Config, logger: Logger, options: AdapterOptions): Promise<Adapters> {
  const teardown: ShutdownStep[] = [];
  try {
    let postgres: { db: Kysely<Database>; pool: pg.Pool; adapter: 'postgres' | 'pglite' };
    if (config.databaseUrl) {
      const opened = await openDatabase(config, logger, options.applicationName);
      teardown.push(['postgres pool', () => opened.close()]);
      postgres = opened;
    } else {
      const embedded = await startEmbeddedPostgres();
      teardown.push(['embedded postgres', () => embedded.close()]);
      await migrateUp(embedded.url, logger);
      const handle = createDatabase(embedded.url, {
        applicationName: options.applicationName,
        logger,
        maxConnections: 8,
      });
      teardown.push(['embedded postgres pool', () => handle.close()]);
      postgres = { ...handle, adapter: 'pglite' };
      logger.info('postgres: DATABASE_URL unset, using embedded PGlite (data is kept in memory)');
    }

    const { bus, adapter: busKind } = createEventBus(config, logger);
    teardown.push(['event bus', () => bus.close()]);

    const { geo, limiter, close: closeGeo } = createGeoStore(config, logger, options.clock, options.riderTtlMs);
    teardown.push(['geo store and rate limiter', closeGeo]);

    const { router, kind: routerKind } = selectRouter(
      {
        osrmUrl: config.osrmUrl,
        mode: config.router.mode,
        roadsDir: config.router.roadsDir,
        roadsAt: options.cityCenter,
        osrm: { timeoutMs: config.osrm.timeoutMs, tableMaxSize: config.osrm.maxTableSize },
        straightLine: { speedMps: config.router.speedMps, detourFactor: config.router.detourFactor },
      },
      { registry: options.registry, logger: logger.child({ component: 'router' }) },
    );
    teardown.push(['router', () => router.close()]);

    const health = healthChecksFromConfig(config, { db: postgres.db, databaseAdapter: postgres.adapter, routerKind });
    teardown.push(['health check clients', () => health.close()]);

    let closing: Promise<void> | undefined;
    return {
      db: postgres.db,
      pool: postgres.pool,
      bus,
      geo,
      limiter,
      router,
      kinds: {
        postgres: postgres.adapter,
        bus: busKind,
        geo: geo.adapter,
        router: routerKind,
      },
      healthChecks: health.checks,
      close: () => (closing ??= shutdownSteps([...teardown].reverse(), logger)),
    };
  } catch (error) {
    await shutdownSteps([...teardown].reverse(), logger).catch(() => {});
    throw error;
  }
}

/**
 * Redis when REDIS_URL is set, else in-process — the geo store and the rate limiter, on one connection. The Redis client connects in the background, so a process starts
 * (and reports Redis down on /health) while Redis is away; geo calls made meanwhile fail fast. It is disconnected
 * rather than QUIT at close: a QUIT queued on a client that never connected would wait forever.
 */
function createGeoStore(
  config: Config,
  logger: Logger,
  clock: Clock,
  riderTtlMs: number | undefined,
): { geo: GeoStore; limiter: RateLimiter; close(): Promise<void> } {
  const geoOptions = { clock, ...(riderTtlMs !== undefined ? { riderTtlMs } : {}) };
  if (!config.redisUrl) {
    const geo = new MemoryGeoStore(geoOptions);
    const limiter = new MemoryRateLimiter({ clock: systemClock });
    return {
      geo,
      limiter,
      close: async () => {
        await limiter.close();
        await geo.close();
      },
    };
  }
  // Fail fast while Redis is away: one retry per command and a command timeout (which also bounds the wait in the
  // offline queue), so a request answers 503 within REDIS_COMMAND_TIMEOUT_MS; the client keeps reconnecting by itself.
  const redis = new Redis(config.redisUrl, {
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
    commandTimeout: config.redisCommandTimeoutMs,
    lazyConnect: true,
  });
  redis.on('error', (error) => logger.debug({ err: error }, 'geo store redis connection error'));
  void redis.connect().catch(() => {});
  const geo = new RedisGeoStore(redis, { prefix: config.redisKeyPrefix, ...geoOptions });
  const limiter = new RedisRateLimiter(redis, { prefix: config.redisKeyPrefix, clock: systemClock });
  return {
    geo,
    limiter,
    close: async () => {
      await limiter.close();
      await geo.close();
      redis.disconnect();
    },
  };
}

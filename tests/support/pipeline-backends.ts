/**
 * The stores the dispatch pipeline's integration suites run on, both ways the product runs: `real` = a fresh database on
 * the real PostgreSQL and a key prefix on the real Redis; `embedded` = PGlite (served over the wire protocol, as
 * `npm start` does) and the in-memory geo store. Same migrations, same queries.
 */
import { createDatabase, type DatabaseHandle } from '../../internal/db/database.ts';
import { startMigratedEmbeddedPostgres } from './embedded-database.ts';
import { migrateUp } from '../../internal/db/migrate.ts';
import type { GeoStore } from '../../internal/geostore/geo-store.ts';
import { MemoryGeoStore } from '../../internal/geostore/memory-geo-store.ts';
import { RedisGeoStore } from '../../internal/geostore/redis-geo-store.ts';
import type { Clock } from '../../internal/platform/clock.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { MemoryEventBus } from '../../internal/eventbus/memory-event-bus.ts';
import type { PipelineDeps } from '../../internal/pipeline/pipeline-deps.ts';
import { fixtureDeps } from '../../internal/pipeline/test-fixtures.ts';
import { StraightLineRouter } from '../../internal/routing/straight-line-router.ts';
import { createTestDatabase } from './postgres.ts';
import { createTestRedis, deleteByPrefix } from './redis.ts';

export type PipelineBackend = 'real' | 'embedded';
export const PIPELINE_BACKENDS: readonly PipelineBackend[] = ['real', 'embedded'];

export interface PipelineStores {
  url: string;
  database: DatabaseHandle;
  geo: GeoStore;
  /**
   * Makes the geo store lose everything, as a Redis restarted empty does: `real` deletes the suite's key prefix (never
   * FLUSHALL: other suites share the server), `embedded` clears the in-memory store.
   */
  flushGeo(): Promise<void>;
  close(): Promise<void>;
}

/** Opens fresh, migrated stores of `backend`; `riderTtlMs` lets a virtual clock jump minutes without riders expiring. */
export async function openPipelineStores(
  name: string,
  backend: PipelineBackend,
  clock: Clock,
  options: { riderTtlMs?: number; maxConnections?: number } = {},
): Promise<PipelineStores> {
  if (backend === 'real') {
    const testDb = await createTestDatabase(name, {
      migrate: async (url) => void (await migrateUp(url, silentLogger)),
    });
    const redis = await createTestRedis().catch(async (error: unknown) => {
      await testDb.drop();
      throw error;
    });
    const database = createDatabase(testDb.url, { maxConnections: options.maxConnections ?? 20 });
    return {
      url: testDb.url,
      database,
      geo: new RedisGeoStore(redis.redis, { prefix: redis.prefix, clock, riderTtlMs: options.riderTtlMs }),
      async flushGeo() {
        await deleteByPrefix(redis.redis, redis.prefix);
      },
      async close() {
        await database.close();
        await redis.cleanup();
        await testDb.drop();
      },
    };
  }
  const embedded = await startMigratedEmbeddedPostgres();
  const database = createDatabase(embedded.url, { maxConnections: options.maxConnections ?? 4 });
  const geo = new MemoryGeoStore({ clock, riderTtlMs: options.riderTtlMs });
  return {
    url: embedded.url,
    database,
    geo,
    async flushGeo() {
      geo.clear();
    },
    async close() {
      await database.close();
      await embedded.close();
    },
  };
}

/** `openPipelineStores` plus the worker's deps over them, as the pipeline suites use them. */
export interface PipelineFixture {
  stores: PipelineStores;
  deps: PipelineDeps;
  close(): Promise<void>;
}

/**
 * Stores on `backend` and the worker's deps over them: an in-process bus, the straight-line router, `clock`, and a
 * bundle delay that lets batches reach the capacity of 3 (the tuned 300 s stops at 2 drops: dispatch-round.test.ts).
 */
export async function openPipelineFixture(
  name: string,
  backend: PipelineBackend,
  clock: Clock,
): Promise<PipelineFixture> {
  const bus = new MemoryEventBus({ logger: silentLogger });
  const stores = await openPipelineStores(name, backend, clock);
  const deps = fixtureDeps({
    db: stores.database.db,
    bus,
    geoStore: stores.geo,
    router: new StraightLineRouter(),
    clock,
    dispatch: { maxBundleDelaySeconds: 900 },
  });
  return {
    stores,
    deps,
    close: async () => {
      await bus.close();
      await stores.close();
    },
  };
}

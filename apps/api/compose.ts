import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { Redis } from 'ioredis';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../../internal/config/config.ts';
import { openDatabase } from '../../internal/db/open-database.ts';
import { createEventBus } from '../../internal/eventbus/create-event-bus.ts';
import type { GeoStore } from '../../internal/geostore/geo-store.ts';
import { MemoryGeoStore } from '../../internal/geostore/memory-geo-store.ts';
import { RedisGeoStore } from '../../internal/geostore/redis-geo-store.ts';
import { healthChecksFromConfig } from '../../internal/health/health-checks-from-config.ts';
import { createLiveStatsService } from '../../internal/live-stats/live-stats-service.ts';
import { systemClock } from '../../internal/platform/clock.ts';
import { shutdownSteps, type ShutdownStep } from '../../internal/platform/lifecycle.ts';
import type { Logger } from '../../internal/platform/logger.ts';
import { startTelemetryApi } from '../../internal/telemetry/telemetry-api.ts';
import { createApiApp } from './app.ts';
import { closeServer } from './close-server.ts';
import { createApiServices } from './services.ts';

export interface ApiRuntime {
  app: OpenAPIHono;
  /** Starts listening on `config.http`; resolves with the bound address (port 0 picks a free one). */
  start(): Promise<{ host: string; port: number }>;
  /** Stops intake (closes the server, letting in-flight requests finish), then closes the adapters. Idempotent. */
  cleanup(): Promise<void>;
}

/**
 * The API's composition root: builds every adapter `config` selects, wires them into the HTTP app, and knows how
 * to take it all down again. If building fails half-way, what was built is closed before the error propagates.
 */
export async function composeApi(config: Config, logger: Logger): Promise<ApiRuntime> {
  const teardown: ShutdownStep[] = []; // in build order; run in reverse
  try {
    const database = await openDatabase(config, logger, 'deliverygo-api');
    teardown.push(['postgres pool', () => database.close()]);

    const { bus, adapter: busAdapter } = createEventBus(config, logger);
    teardown.push(['event bus', () => bus.close()]);

    const health = healthChecksFromConfig(config, { db: database.db, databaseAdapter: database.adapter });
    teardown.push(['health check clients', () => health.close()]);

    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });

    const { geo, close: closeGeo } = createGeoStore(config, logger);
    teardown.push(['geo store', closeGeo]);

    const services = createApiServices({ db: database.db, clock: systemClock, logger, geo, h3Resolution: config.h3Resolution });
    const liveStats = createLiveStatsService({ db: database.db, geo, clock: systemClock });
    const live = await startTelemetryApi({ config, db: database.db, geo, bus, clock: systemClock, logger, registry: metrics });
    teardown.push(['telemetry', () => live.close()]);
    const app = createApiApp({ logger, healthChecks: health.checks, metrics, services, liveStats, mapTileUrl: config.map.tileUrl, telemetry: live.telemetry });
    logger.info({ postgres: database.adapter, bus: busAdapter, geo: geo.adapter, checks: health.checks.map((c) => `${c.name}:${c.adapter}`) }, 'api composed');

    let server: ServerType | undefined;
    let cleaning: Promise<void> | undefined;
    return {
      app,
      start: () =>
        new Promise((resolve, reject) => {
          const s = serve({ fetch: app.fetch, hostname: config.http.host, port: config.http.port }, (info: AddressInfo) => {
            logger.info({ host: info.address, port: info.port }, 'api listening');
            resolve({ host: info.address, port: info.port });
          });
          s.once('error', reject);
          live.attach(s as Server);
          server = s;
        }),
      cleanup: () =>
        (cleaning ??= shutdownSteps(
          [['websocket hub', () => live.closeHub()], ['http server', () => closeServer(server)], ...[...teardown].reverse()],
          logger,
        )),
    };
  } catch (error) {
    await shutdownSteps([...teardown].reverse(), logger).catch(() => {});
    throw error;
  }
}

/**
 * The geo store `config` selects: Redis when REDIS_URL is set, else in-process. The Redis client connects in the
 * background (as the health check's does) so the API starts, and reports Redis down on /health, while Redis is away;
 * rider-availability writes made meanwhile fail fast and are logged (Postgres keeps the truth). The client is
 * disconnected rather than QUIT at shutdown: a QUIT queued on a client that never connected would wait forever.
 */
function createGeoStore(config: Config, logger: Logger): { geo: GeoStore; close(): Promise<void> } {
  if (!config.redisUrl) {
    const geo = new MemoryGeoStore({ clock: systemClock });
    return { geo, close: () => geo.close() };
  }
  const redis = new Redis(config.redisUrl, { connectTimeout: 2_000, maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', (error) => logger.debug({ err: error }, 'geo store redis connection error'));
  void redis.connect().catch(() => {});
  const geo = new RedisGeoStore(redis, { prefix: config.redisKeyPrefix, clock: systemClock });
  return {
    geo,
    close: async () => {
      await geo.close();
      redis.disconnect();
    },
  };
}

import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, type ServerType } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { principalLookupFrom, registerOperatorKey } from '../../internal/auth/credential-repository.ts';
import { createPrincipalResolver } from '../../internal/auth/principal-resolver.ts';
import type { Config } from '../../internal/config/config.ts';
import { createLiveStatsService } from '../../internal/live-stats/live-stats-service.ts';
import { systemClock, type Clock } from '../../internal/platform/clock.ts';
import { roadLayerPath } from '../../internal/routing/create-router.ts';
import { openAdapters, type Adapters } from '../../internal/app/adapters.ts';
import { shutdownSteps, type ShutdownStep } from '../../internal/platform/lifecycle.ts';
import type { Logger } from '../../internal/platform/logger.ts';
import { startTelemetryApi } from '../../internal/telemetry/telemetry-api.ts';
import { createApiApp } from './app.ts';
import { closeServer } from './close-server.ts';
import { withIngestLane } from './ingest-lane.ts';
import { withOrderLane } from './order-lane.ts';
import { createRequestLimits } from './rate-limit.ts';
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
export interface ApiOptions {
  /** Adapters built by the caller and shared with other components (`npm start`); the API then does not close them. */
  adapters?: Adapters;
  /** The process-wide metrics registry, when shared. */
  metrics?: Registry;
  clock?: Clock;
}

export async function composeApi(config: Config, logger: Logger, options: ApiOptions = {}): Promise<ApiRuntime> {
  const teardown: ShutdownStep[] = []; // in build order; run in reverse
  try {
    const clock = options.clock ?? systemClock;
    const metrics = options.metrics ?? new Registry();
    if (!options.metrics) collectDefaultMetrics({ register: metrics });

    const adapters =
      options.adapters ??
      (await openAdapters(config, logger, { clock, applicationName: 'deliverygo-api', registry: metrics }));
    if (!options.adapters) teardown.push(['adapters', () => adapters.close()]);
    const { db, geo, bus } = adapters;

    // Only a road router (OSRM or the embedded road graph) can refuse a drop; the straight-line router would cost a
    // store read per order for nothing.
    const roadRouter = adapters.kinds.router !== 'straight-line' ? adapters.router : undefined;
    const services = createApiServices({
      db,
      clock,
      logger,
      geo,
      h3Resolution: config.h3Resolution,
      roadRouter,
      fixMaxAgeMs: config.delivery.fixMaxAgeMs,
    });
    const liveStats = createLiveStatsService({ db, geo, clock });
    // One resolver for the routes, the ingest lane and the WebSocket hub: a token is looked up once per TTL.
    const auth = createPrincipalResolver({ lookup: principalLookupFrom(db), ttlMs: config.auth.cacheTtlMs });
    if (config.auth.operatorKey !== undefined) {
      const { usable } = await registerOperatorKey(db, config.auth.operatorKey, 'OPERATOR_KEY');
      if (usable) logger.info('OPERATOR_KEY registered as an operator key');
      else logger.warn('OPERATOR_KEY was revoked (npm run keys -- list): requests with it answer 401');
    }
    const requestLimits = createRequestLimits(
      adapters.limiter,
      config.rateLimit,
      logger.child({ component: 'rate-limit' }),
    );
    const live = await startTelemetryApi({ config, db, geo, bus, clock, logger, registry: metrics, auth });
    teardown.push(['telemetry', () => live.close()]);
    const app = createApiApp({
      logger,
      healthChecks: adapters.healthChecks,
      dispatchParams: { name: config.dispatch.name, source: config.dispatch.source, hash: config.dispatch.hash },
      metrics,
      services,
      auth,
      liveStats,
      mapTileUrl: config.map.tileUrl,
      // The demo city's streets (or ROADS_DIR's) are the map's base layer when no tile server is configured.
      roadLayerFile: existsSync(roadLayerPath(config.router.roadsDir))
        ? roadLayerPath(config.router.roadsDir)
        : undefined,
      telemetry: live.telemetry,
      requestLimits,
    });
    logger.info({ adapters: adapters.kinds }, 'api composed');

    let server: ServerType | undefined;
    let cleaning: Promise<void> | undefined;
    return {
      app,
      start: () =>
        new Promise((resolve, reject) => {
          // GPS pings and order placement bypass Hono's web-standard layer (ingest-lane.ts, order-lane.ts);
          // everything else is Hono's.
          const hono = getRequestListener(app.fetch, { hostname: config.http.host });
          const s = createServer(
            withIngestLane(
              { telemetry: live.telemetry, logger, metrics, auth, requestLimits },
              withOrderLane({ services, logger, metrics, auth, requestLimits }, hono),
            ),
          );
          s.listen(config.http.port, config.http.host, () => {
            const info = s.address() as AddressInfo;
            logger.info({ host: info.address, port: info.port }, 'api listening');
            resolve({ host: info.address, port: info.port });
          });
          s.once('error', reject);
          live.attach(s);
          server = s;
        }),
      cleanup: () =>
        (cleaning ??= shutdownSteps(
          [
            ['websocket hub', () => live.closeHub()],
            ['http server', () => closeServer(server)],
            ...[...teardown].reverse(),
          ],
          logger,
        )),
    };
  } catch (error) {
    await shutdownSteps([...teardown].reverse(), logger).catch(() => {});
    throw error;
  }
}

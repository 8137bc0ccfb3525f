import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../../internal/config/config.ts';
import { openDatabase } from '../../internal/db/open-database.ts';
import { createEventBus } from '../../internal/eventbus/create-event-bus.ts';
import { healthChecksFromConfig } from '../../internal/health/health-checks-from-config.ts';
import { shutdownSteps, type ShutdownStep } from '../../internal/platform/lifecycle.ts';
import type { Logger } from '../../internal/platform/logger.ts';
import { createApiApp } from './app.ts';

export interface ApiRuntime {
  app: OpenAPIHono;
  /** Starts listening on `config.http`; resolves with the bound address (port 0 picks a free one). */
  start(): Promise<{ host: string; port: number }>;
  /** Stops intake (closes the server, letting in-flight requests finish), then closes the adapters. Idempotent. */
  cleanup(): Promise<void>;
}

/** Longest wait for in-flight requests at shutdown before their connections are cut. */
const DRAIN_REQUESTS_MS = 10_000;

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

    const app = createApiApp({ logger, healthChecks: health.checks, metrics });
    logger.info({ postgres: database.adapter, bus: busAdapter, checks: health.checks.map((c) => `${c.name}:${c.adapter}`) }, 'api composed');

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
          server = s;
        }),
      cleanup: () =>
        (cleaning ??= shutdownSteps(
          [['http server', () => closeServer(server)], ...[...teardown].reverse()],
          logger,
        )),
    };
  } catch (error) {
    await shutdownSteps([...teardown].reverse(), logger).catch(() => {});
    throw error;
  }
}

/** Stops accepting connections and waits for in-flight requests; cuts whatever is still open after the grace period. */
async function closeServer(server: ServerType | undefined): Promise<void> {
  if (!server || !server.listening) return;
  const http = server as import('node:http').Server;
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  http.closeIdleConnections?.(); // keep-alive sockets with no request in flight would otherwise hold close() open
  const timer = setTimeout(() => http.closeAllConnections?.(), DRAIN_REQUESTS_MS);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}

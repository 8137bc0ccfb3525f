import type { Server } from 'node:http';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { PrincipalResolver } from '../auth/principal-resolver.ts';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/schema.ts';
import type { EventBus } from '../eventbus/event-bus.ts';
import type { GeoStore } from '../geostore/geo-store.ts';
import { createLiveFeed } from '../livefeed/create-live-feed.ts';
import type { LiveFeed } from '../livefeed/live-feed.ts';
import { startLiveFeedForwarder } from '../livefeed/live-feed-forwarder.ts';
import { BackoffDelays } from '../platform/backoff.ts';
import type { Clock } from '../platform/clock.ts';
import { shutdownSteps, type ShutdownStep } from '../platform/lifecycle.ts';
import type { Logger } from '../platform/logger.ts';
import { orderRiderFrom } from '../ws-hub/order-rider-lookup.ts';
import { WsHub } from '../ws-hub/ws-hub.ts';
import { KnownRiders } from './known-riders.ts';
import { createTelemetryService, ridersExistIn, type TelemetryService } from './telemetry-service.ts';

export interface TelemetryApi {
  telemetry: TelemetryService;
  feed: LiveFeed;
  hub: WsHub;
  /** Resolves once the `live-feed` forwarder consumes (tests wait for it). */
  forwarderReady: Promise<void>;
  /** Serves `/ws` on the API's HTTP server. */
  attach(server: Server): void;
  /** Closes the hub's sockets first (they would hold the HTTP server's close open). */
  closeHub(): Promise<void>;
  /** Stops the forwarder and closes the feed. */
  close(): Promise<void>;
}

export interface TelemetryApiDeps {
  config: Config;
  db: Kysely<Database>;
  geo: GeoStore;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** Resolves the bearer token of each WebSocket upgrade (ws-hub.ts); without it the hub authenticates nobody. */
  auth?: PrincipalResolver;
}

/**
 * The API side of telemetry, built once by the API's composition root: the live feed, the telemetry service
 * (with its known-riders cache), the WebSocket hub and the `live-feed` forwarder of domain events.
 */
export async function startTelemetryApi(deps: TelemetryApiDeps): Promise<TelemetryApi> {
  const { config, db, logger } = deps;
  const steps: ShutdownStep[] = [];
  try {
    const { feed, close: closeFeed } = createLiveFeed(config, logger);
    steps.push(['live feed', closeFeed]);
    const riders = new KnownRiders(ridersExistIn(db));
    const telemetry = createTelemetryService({
      db,
      geo: deps.geo,
      bus: deps.bus,
      feed,
      riders,
      clock: deps.clock,
      logger,
      publishDeadlineMs: config.kafka.requestPublishDeadlineMs,
      ...(config.rateLimit.gps ? { pingLimit: config.rateLimit.gps } : {}),
    });
    const hub = new WsHub({
      feed,
      registry: deps.registry,
      logger,
      orderRider: orderRiderFrom(db),
      ...(deps.auth ? { auth: deps.auth } : {}),
      heartbeatMs: config.ws.heartbeatMs,
      maxQueue: config.ws.maxQueue,
      maxBufferedBytes: config.ws.maxBufferedBytes,
    });
    steps.push(['websocket hub', () => hub.close()]);
    // The forwarder joins its consumer group in the background (seconds on Kafka, and the broker may be away at
    // start): the API serves meanwhile, and live domain updates begin once it has joined.
    let stopped = false;
    let forwarder: { stop(): Promise<void> } | undefined;
    const forwarderReady = (async () => {
      const delays = new BackoffDelays({ initialMs: 1_000, maxMs: 30_000 });
      for (let attempt = 1; !stopped; attempt++) {
        try {
          forwarder = await startLiveFeedForwarder({
            bus: deps.bus,
            feed,
            logger,
            registry: deps.registry,
            consume: config.bus,
          });
          if (stopped) await forwarder.stop();
          return;
        } catch (error) {
          logger.warn({ err: error, attempt }, 'live feed forwarder could not start; retrying');
          await new Promise((r) => setTimeout(r, delays.next()).unref?.());
        }
      }
    })();
    steps.push([
      'live feed forwarder',
      async () => {
        stopped = true;
        await forwarder?.stop();
      },
    ]);
    const close = () => shutdownSteps([...steps].reverse(), logger);
    return {
      telemetry,
      feed,
      hub,
      forwarderReady,
      attach: (server) => hub.attach(server),
      closeHub: () => hub.close(),
      close,
    };
  } catch (error) {
    await shutdownSteps([...steps].reverse(), logger).catch(() => {});
    throw error;
  }
}

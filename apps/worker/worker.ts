import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../../internal/config/config.ts';
import { openDatabase } from '../../internal/db/open-database.ts';
import { resolveDispatchParams, type DispatchParamsInput } from '../../internal/dispatch/params.ts';
import { createEventBus } from '../../internal/eventbus/create-event-bus.ts';
import type { GeoStore } from '../../internal/geostore/geo-store.ts';
import { MemoryGeoStore } from '../../internal/geostore/memory-geo-store.ts';
import { RedisGeoStore } from '../../internal/geostore/redis-geo-store.ts';
import { OutboxRelay } from '../../internal/outbox/outbox-relay.ts';
import { startPipeline, type RunningPipeline } from '../../internal/pipeline/pipeline.ts';
import { systemClock, type Clock } from '../../internal/platform/clock.ts';
import { shutdownSteps, type ShutdownStep } from '../../internal/platform/lifecycle.ts';
import type { Logger } from '../../internal/platform/logger.ts';
import { createRouter } from '../../internal/routing/create-router.ts';
import { startMetricsServer } from './metrics-server.ts';
import { startTelemetryWorker, type TelemetryWorker } from '../../internal/telemetry/telemetry-worker.ts';

export interface WorkerRuntime {
  /** Starts the background work: the outbox relay, the dispatch chain's consumers, the sealer and sweep loops. */
  start(): Promise<void>;
  /** The metrics registry (dispatch_batch_regret, consumer counters, process metrics). */
  metrics: Registry;
  /** Runs the sealer and the rider sweep at once (tests, benchmarks). No-op before `start`. */
  poke(): void;
  /** Stops intake, drains in-flight work, flushes the bus, closes the pool. Idempotent. */
  cleanup(): Promise<void>;
}

/** Knobs a test or benchmark may turn without environment variables. */
export interface WorkerOptions {
  /** Overrides of the dispatch defaults (wait window, capacity, …); `h3Resolution` defaults to `config.h3Resolution`. */
  dispatch?: DispatchParamsInput;
  clock?: Clock;
  sealIntervalMs?: number;
  sweepIntervalMs?: number;
}

/**
 * The worker's composition root: builds the adapters `config` selects and the background processes that use them.
 * If building fails half-way, what was built is closed before the error propagates.
 */
export async function composeWorker(config: Config, logger: Logger, options: WorkerOptions = {}): Promise<WorkerRuntime> {
  const teardown: ShutdownStep[] = [];
  try {
    const clock = options.clock ?? systemClock;
    const database = await openDatabase(config, logger, 'deliverygo-worker');
    teardown.push(['postgres pool', () => database.close()]);

    const { bus, adapter: busAdapter } = createEventBus(config, logger);
    teardown.push(['event bus', () => bus.close()]);

    const geoStore: GeoStore = config.redisUrl
      ? await RedisGeoStore.connect(config.redisUrl, { prefix: config.redisKeyPrefix, clock })
      : new MemoryGeoStore({ clock });
    teardown.push(['geo store', () => geoStore.close()]);

    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const router = createRouter(
      {
        osrmUrl: config.osrmUrl,
        osrm: { timeoutMs: config.osrm.timeoutMs, tableMaxSize: config.osrm.maxTableSize },
        straightLine: { speedMps: config.router.speedMps, detourFactor: config.router.detourFactor },
      },
      { registry: metrics, logger: logger.child({ component: 'router' }) },
    );
    teardown.push(['router', () => router.close()]);

    const params = resolveDispatchParams({ h3Resolution: config.h3Resolution, ...options.dispatch });
    const relay = new OutboxRelay({ db: database.db, pool: database.pool, bus, logger: logger.child({ component: 'outbox-relay' }) });
    logger.info({ postgres: database.adapter, bus: busAdapter, geoStore: geoStore.adapter }, 'worker composed');

    let pipeline: RunningPipeline | undefined;
    let telemetry: TelemetryWorker | undefined;
    let cleaning: Promise<void> | undefined;
    return {
      metrics,
      start: async () => {
        relay.start();
        pipeline = await startPipeline({
          db: database.db,
          bus,
          geoStore,
          router,
          clock,
          logger,
          registry: metrics,
          params,
          consume: { maxAttempts: config.bus.maxAttempts, backoffMs: config.bus.backoffMs },
          sealIntervalMs: options.sealIntervalMs,
          sweepIntervalMs: options.sweepIntervalMs,
        });
        telemetry = await startTelemetryWorker({ config, db: database.db, bus, clock, logger, registry: metrics });
        if (config.workerMetricsPort !== undefined) {
          const server = await startMetricsServer(metrics, config.http.host, config.workerMetricsPort);
          teardown.push(['metrics server', () => server.close()]);
          logger.info({ port: server.port }, 'worker metrics at /metrics');
        }
        logger.info('worker started');
      },
      poke: () => pipeline?.poke(),
      // Order: stop taking new work (loops, consumers) and finish what is in hand, then the relay's last batch, then
      // flush/close the bus (commits offsets), then the stores and the pool the others needed until the end.
      cleanup: () =>
        (cleaning ??= shutdownSteps(
          [['dispatch pipeline', async () => pipeline?.stop()], ['telemetry history', async () => telemetry?.stop()], ['outbox relay', () => relay.stop()], ...[...teardown].reverse()],
          logger,
        )),
    };
  } catch (error) {
    await shutdownSteps([...teardown].reverse(), logger).catch(() => {});
    throw error;
  }
}

import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Config } from '../../internal/config/config.ts';
import { withDispatchOverrides } from '../../internal/config/dispatch-params.ts';
import type { DispatchParamsInput } from '../../internal/dispatch/params.ts';
import { openAdapters, type Adapters } from '../../internal/app/adapters.ts';
import { OutboxRelay } from '../../internal/outbox/outbox-relay.ts';
import { startPipeline, type RunningPipeline } from '../../internal/pipeline/pipeline.ts';
import { startSelfHealing, type SelfHealing } from '../../internal/pipeline/self-healing.ts';
import { systemClock, type Clock } from '../../internal/platform/clock.ts';
import { shutdownSteps, type ShutdownStep } from '../../internal/platform/lifecycle.ts';
import type { Logger } from '../../internal/platform/logger.ts';
import { startMetricsServer } from './metrics-server.ts';
import { startOpsSampler } from '../../internal/metrics/ops-sampler.ts';
import { opsGauges } from '../../internal/metrics/ops-gauges.ts';
import { dispatchMetrics } from '../../internal/pipeline/dispatch-metrics.ts';
import { regretHistogram } from '../../internal/pipeline/regret-recorder.ts';
import type { PeriodicLoop } from '../../internal/pipeline/periodic-loop.ts';
import { startTelemetryWorker, type TelemetryWorker } from '../../internal/telemetry/telemetry-worker.ts';
import { startEventArchiver, type EventArchiver } from '../../internal/export/event-archiver.ts';

export interface WorkerRuntime {
  /** Starts the background work: the outbox relay, the dispatch consumers and the scope rounds. */
  start(): Promise<void>;
  /** The metrics registry (dispatch_batch_regret, consumer counters, process metrics). */
  metrics: Registry;
  /** Runs every known dispatch scope's round now (tests, benchmarks). No-op before `start`. */
  poke(): void;
  /** The running dispatch pipeline (after `start`): its scopes, totals and `settled()`. */
  pipeline(): RunningPipeline | undefined;
  /** The self-healing loops (after `start`): geo store rebuilds and silent riders' batches released. */
  selfHealing(): SelfHealing | undefined;
  /** Stops intake, drains in-flight work, flushes the bus, closes the pool. Idempotent. */
  cleanup(): Promise<void>;
}

/** Knobs a test or benchmark may turn without environment variables. */
export interface WorkerOptions {
  /** Overrides of the configured dispatch parameter set `config.dispatch` (wait window, capacity, …), for tests and benchmarks. */
  dispatch?: DispatchParamsInput;
  clock?: Clock;
  /** Period of each dispatch scope's round when no event pokes it. */
  sweepIntervalMs?: number;
  /** Adapters built by the caller and shared with the API (`npm start`); the worker then does not close them. */
  adapters?: Adapters;
  /** The process-wide metrics registry, when shared. */
  metrics?: Registry;
  /**
   * False turns the self-healing loops off (geo store rebuild, silent riders): for harnesses that drive rider state and
   * a virtual clock themselves (the replay's worker path). Default on.
   */
  selfHealing?: boolean;
  /** Period of the operations sampler (outbox backlog, consumer lag, dead letters, riders per state). Default 5 000 ms. */
  opsSampleIntervalMs?: number;
  /**
   * Whether to run the `analytics-archive` consumers that copy every domain event into `event_archive` (the bronze of
   * `npm run export`). Default: on with a Postgres server, off on the embedded PGlite — its data is gone at exit and
   * the export, another process, cannot reach it. False for harnesses that measure the dispatch consumers alone.
   */
  archive?: boolean;
}

/**
 * The worker's composition root: builds the adapters `config` selects and the background processes that use them.
 * If building fails half-way, what was built is closed before the error propagates.
 */
export async function composeWorker(
  config: Config,
  logger: Logger,
  options: WorkerOptions = {},
): Promise<WorkerRuntime> {
  const teardown: ShutdownStep[] = [];
  try {
    const clock = options.clock ?? systemClock;
    const metrics = options.metrics ?? new Registry();
    if (!options.metrics) collectDefaultMetrics({ register: metrics });

    const adapters =
      options.adapters ??
      (await openAdapters(config, logger, { clock, applicationName: 'deliverygo-worker', registry: metrics }));
    if (!options.adapters) teardown.push(['adapters', () => adapters.close()]);
    const { db, pool, bus, geo: geoStore, router } = adapters;

    const dispatch = withDispatchOverrides(config.dispatch, options.dispatch ?? {}, 'options');
    const params = dispatch.params;
    // The worker's own answer to "which parameters run here" (its /metrics), beside the API's /health. Workers sharing a
    // registry (tests) share the gauge, one series per set.
    const info =
      (metrics.getSingleMetric('dispatch_params_info') as Gauge | undefined) ??
      new Gauge({
        name: 'dispatch_params_info',
        help: 'The dispatch parameter set this worker runs (value 1).',
        labelNames: ['name', 'source', 'hash'],
        registers: [metrics],
      });
    info.labels(dispatch.name, dispatch.source, dispatch.hash).set(1);
    // Registered now, not at their first observation: a scrape sees every name (at 0) from the start.
    dispatchMetrics(metrics);
    regretHistogram(metrics);
    opsGauges(metrics);
    const relay = new OutboxRelay({ db, pool, bus, logger: logger.child({ component: 'outbox-relay' }) });
    logger.info(
      {
        adapters: adapters.kinds,
        dispatchParams: { name: dispatch.name, source: dispatch.source, hash: dispatch.hash },
      },
      'worker composed',
    );

    let pipeline: RunningPipeline | undefined;
    let telemetry: TelemetryWorker | undefined;
    let archiver: EventArchiver | undefined;
    let healing: SelfHealing | undefined;
    let sampler: PeriodicLoop | undefined;
    let cleaning: Promise<void> | undefined;
    return {
      metrics,
      start: async () => {
        relay.start();
        pipeline = await startPipeline({
          db,
          bus,
          geoStore,
          router,
          clock,
          logger,
          registry: metrics,
          params,
          consume: config.bus,
          sweepIntervalMs: options.sweepIntervalMs,
        });
        // Started after the pipeline so a rebuild at start-up can poke its rounds; its first check runs at once.
        if (options.selfHealing !== false)
          healing = startSelfHealing({
            db,
            geoStore,
            clock,
            logger,
            registry: metrics,
            settings: config.selfHealing,
            onRepaired: () => pipeline?.poke(),
          });
        sampler = startOpsSampler({
          db,
          bus,
          registry: metrics,
          logger,
          intervalMs: options.opsSampleIntervalMs,
        });
        telemetry = await startTelemetryWorker({ config, db, bus, clock, logger, registry: metrics });
        if (options.archive ?? adapters.kinds.postgres === 'postgres')
          archiver = await startEventArchiver({ db, bus, clock, logger, retry: config.bus, registry: metrics });
        if (config.workerMetricsPort !== undefined) {
          const server = await startMetricsServer(metrics, config.http.host, config.workerMetricsPort);
          teardown.push(['metrics server', () => server.close()]);
          logger.info({ port: server.port }, 'worker metrics at /metrics');
        }
        logger.info('worker started');
      },
      poke: () => pipeline?.poke(),
      pipeline: () => pipeline,
      selfHealing: () => healing,
      // Order: stop taking new work (loops, consumers) and finish what is in hand, then the relay's last batch, then
      // flush/close the bus (commits offsets), then the stores and the pool the others needed until the end.
      cleanup: () =>
        (cleaning ??= shutdownSteps(
          [
            ['ops sampler', async () => sampler?.stop()],
            ['self-healing', async () => healing?.stop()],
            ['dispatch pipeline', async () => pipeline?.stop()],
            ['telemetry history', async () => telemetry?.stop()],
            ['event archive', async () => archiver?.stop()],
            ['outbox relay', () => relay.stop()],
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

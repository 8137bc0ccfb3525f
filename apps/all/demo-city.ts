import { Registry, collectDefaultMetrics } from 'prom-client';
import { composeApi, type ApiRuntime } from '../api/compose.ts';
import { composeSimulator, type SimulatorRuntime } from '../simulator/compose.ts';
import { parseSimulatorArgs, type SimulatorOptions } from '../simulator/options.ts';
import { defaultVirtualStart } from '../simulator/rate-schedule.ts';
import { SimClock } from '../simulator/sim-clock.ts';
import { composeWorker, type WorkerRuntime } from '../worker/worker.ts';
import { openAdapters, type Adapters } from '../../internal/app/adapters.ts';
import { mintToken } from '../../internal/auth/token.ts';
import { describeBound } from '../../internal/app/listen-address.ts';
import { DEMO_ARGS } from './cli.ts';
import type { Config } from '../../internal/config/config.ts';
import { DEFAULT_RIDER_TTL_MS } from '../../internal/geostore/geo-store.ts';
import { shutdownSteps } from '../../internal/platform/lifecycle.ts';
import type { Logger } from '../../internal/platform/logger.ts';

/**
 * The `npm start` city: the API, the worker and the simulator in one process, on one set of adapters and on ONE
 * simulated clock. The clock matters: the simulator plays the city `speed`× faster than the wall clock, so the API and
 * the worker run on the same sped-up clock — every timestamp they write (placed, ready, delivered), every dispatch
 * window and ETA, and every figure `/stats/live` reports is then simulated time, consistent with the simulated
 * kitchens and riders. (On the wall clock the dispatcher's windows and ETAs were 30× off the riders' real pace, and the
 * map's click-to-door said "0m 58s" while the console said "33m".)
 *
 * Demand: no `--rate` in the defaults, so the simulator sizes the base rate to the fleet (demand-sizing.ts).
 */

/** Simulated ms between two runs of the worker's sealer and rider sweep (see `composeDemoCity`). */
export const DISPATCH_LOOP_SIMULATED_MS = 15_000;

export interface DemoCity {
  /** Starts the API, the worker and then the simulator against the API; `onStarted` hears what the API bound. */
  start(onStarted?: (bound: { url: string; scope: string }) => void): Promise<{ base: string }>;
  readonly adapters: Adapters;
  readonly api: ApiRuntime;
  readonly worker: WorkerRuntime;
  /** Set once `start` resolved. */
  simulator(): SimulatorRuntime | undefined;
  readonly clock: SimClock;
  readonly options: SimulatorOptions;
  /**
   * The city's operator key: `OPERATOR_KEY` when set, else one minted for this run (zero-config), registered by the
   * API like any operator key. The simulator and the map use it; the console prints it.
   */
  readonly operatorKey: string;
  /** Stops the simulator, the API, the worker and the adapters, in that order. Idempotent. */
  cleanup(): Promise<void>;
}

export interface DemoCityIo {
  logger: Logger;
  /** Receives the simulator's progress line. */
  progress(line: string): void;
  /** Receives plain console lines (the simulator's summary on shutdown). */
  say?(line: string): void;
  metrics?: Registry;
}

/**
 * Composes the demo city from `config` (an unset service URL = its embedded adapter) and the simulator flags
 * `userArgs` (appended to `DEMO_ARGS`, so they win). Throws `OptionsError` on a bad flag before anything starts.
 */
export async function composeDemoCity(config: Config, userArgs: readonly string[], io: DemoCityIo): Promise<DemoCity> {
  const { logger } = io;
  const provisional = parseSimulatorArgs([...DEMO_ARGS, ...userArgs]); // fail fast on a bad flag
  const operatorKey = config.auth.operatorKey ?? mintToken('operator');
  config = { ...config, auth: { ...config.auth, operatorKey } };
  const realStart = Date.now();
  // At 1× the simulated clock IS the wall clock: it never drops time, so timestamps a person or a client writes from
  // their own clock (`recorded_at` of a GPS ping, a `since` filter) mean the same to the API — the README's walk-through
  // runs on such a quiet instance. Faster, it slows itself down when the process cannot keep up (sim-clock.ts).
  const realTime = provisional.speed === 1 && provisional.mode === 'steady';
  const clock = new SimClock({
    startMs: defaultVirtualStart(provisional.mode, realStart),
    speed: provisional.speed,
    ...(realTime ? { minPace: 1, maxStepMs: Number.POSITIVE_INFINITY } : {}),
  });
  const metrics = io.metrics ?? new Registry();
  if (!io.metrics) collectDefaultMetrics({ register: metrics });

  // A rider whose pings stop leaves the geo store after the default 60 s of *wall* time: pings come on a wall-clock
  // cadence, and a busy machine must not make the whole fleet vanish for the dispatcher between two of them.
  const adapters = await openAdapters(config, logger, {
    clock,
    applicationName: 'deliverygo',
    registry: metrics,
    riderTtlMs: DEFAULT_RIDER_TTL_MS * clock.speed,
    cityCenter: provisional.center,
  });
  let api: ApiRuntime | undefined;
  let worker: WorkerRuntime | undefined;
  let simulator: SimulatorRuntime | undefined;
  const cleanup = () =>
    shutdownSteps(
      [
        [
          'simulator',
          async () => {
            const summary = await simulator?.cleanup(); // what the simulated city did, before the services stop
            if (summary) io.say?.(summary);
          },
        ],
        ['api', async () => api?.cleanup()],
        ['worker', async () => worker?.cleanup()],
        ['adapters', () => adapters.close()],
        ['clock', async () => clock.close()],
      ],
      logger,
    );
  try {
    // The freshness of a rider's GPS fix at a drop confirmation is budgeted in wall time for the same reason: the rider
    // posts its fix and then confirms, two HTTP calls whose latency is real, not simulated (60 s sim at 30× = 2 s).
    const apiConfig: Config = { ...config, delivery: { fixMaxAgeMs: config.delivery.fixMaxAgeMs * clock.speed } };
    api = await composeApi(apiConfig, logger.child({ app: 'api' }), { adapters, metrics, clock });
    // The production dispatch parameters, on simulated time: no demo-only overrides. Only the worker's polling loops
    // (wall-clock timers) are tightened so that its rounds run about every `DISPATCH_LOOP_SIMULATED_MS` of simulated time
    // at any speed, as they do at 1× — within 100 ms–1 s of wall time, so a fast city does not spin the CPU.
    const loopMs = Math.min(1_000, Math.max(100, Math.round(DISPATCH_LOOP_SIMULATED_MS / clock.speed)));
    // Rider silence, like the geo store's TTL above, is measured against pings sent on a wall-clock cadence: scaled so a
    // fast city does not take batches from riders between two of their pings.
    const selfHealing = {
      ...config.selfHealing,
      riderSilentAfterMs: config.selfHealing.riderSilentAfterMs * clock.speed,
    };
    worker = await composeWorker({ ...config, selfHealing }, logger.child({ app: 'worker' }), {
      adapters,
      metrics,
      clock,
      sweepIntervalMs: loopMs,
    });
  } catch (error) {
    await cleanup().catch(() => {});
    throw error;
  }
  const [apiRuntime, workerRuntime] = [api, worker];
  return {
    adapters,
    api: apiRuntime,
    worker: workerRuntime,
    clock,
    options: provisional,
    operatorKey,
    simulator: () => simulator,
    cleanup,
    async start(onStarted) {
      const bound = describeBound(await apiRuntime.start());
      await workerRuntime.start();
      const base = bound.url;
      onStarted?.(bound);
      simulator = composeSimulator(
        parseSimulatorArgs([...DEMO_ARGS, ...userArgs, '--api', base, '--key', operatorKey]),
        {
          logger: logger.child({ app: 'simulator' }),
          progress: io.progress,
          clock,
          // Riders navigate with the city's router: on the road graph (the default for Monaco) they follow the streets.
          router: adapters.router,
        },
      );
      await simulator.start();
      return { base };
    },
  };
}

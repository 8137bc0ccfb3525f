/**
 * The worker's self-healing loops, beside the dispatch pipeline (wired by apps/worker/worker.ts):
 * - `geo reconcile`: at start-up and every `reconcileIntervalMs`, rebuilds the geo store from Postgres when it lost its
 *   data (geo-reconciler.ts); after a rebuild the dispatch rounds are poked, so waiting batches find riders at once.
 * - `silent riders`: every `silentCheckIntervalMs`, gives the not-yet-picked-up batches of riders silent for longer
 *   than `riderSilentAfterMs` back to dispatch and raises the gauge for picked-up ones (silent-riders.ts).
 * Both loops run on the injected clock's notion of "now"; their periods are real timers like every periodic loop.
 */
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../config/config.ts';
import { reconcileGeoStore, type ReconcileOutcome, type ReconcilerDeps } from './geo-reconciler.ts';
import { startPeriodicLoop, type PeriodicLoop } from './periodic-loop.ts';
import { releaseSilentRiders, silentRiderMetrics, type SilentRiderOutcome } from './silent-riders.ts';

export interface SelfHealingDeps extends ReconcilerDeps {
  registry: Registry;
  settings: Config['selfHealing'];
  /** Called after the geo store was rebuilt or a batch was released: the dispatch rounds should run now. */
  onRepaired(): void;
}

export interface SelfHealing {
  /** Runs both checks now (coalesced with runs in progress). */
  poke(): void;
  /** Resolves once no run is in progress or queued. */
  settled(): Promise<void>;
  /** Totals so far (tests, logs). */
  readonly totals: { rebuilds: number; released: number };
  stop(): Promise<void>;
}

/** Starts both loops and runs both checks once at once (start-up: an in-memory store is always new). */
export function startSelfHealing(deps: SelfHealingDeps): SelfHealing {
  const log = deps.logger.child({ component: 'self-healing' });
  const rebuilds =
    (deps.registry.getSingleMetric('geostore_rebuilds_total') as Counter | undefined) ??
    new Counter({
      name: 'geostore_rebuilds_total',
      help: 'Times the worker found the geo store empty and rebuilt it from Postgres.',
      registers: [deps.registry],
    });
  silentRiderMetrics(deps.registry); // exported from the start
  const totals = { rebuilds: 0, released: 0 };

  const reconcile: PeriodicLoop = startPeriodicLoop(
    'geo reconcile',
    deps.settings.reconcileIntervalMs,
    async (): Promise<ReconcileOutcome> => {
      const outcome = await reconcileGeoStore({ ...deps, logger: log });
      if (outcome.rebuilt) {
        totals.rebuilds++;
        rebuilds.inc();
        deps.onRepaired();
      }
      return outcome;
    },
    log,
  );
  const silent: PeriodicLoop = startPeriodicLoop(
    'silent riders',
    deps.settings.silentCheckIntervalMs,
    async (): Promise<SilentRiderOutcome> => {
      const outcome = await releaseSilentRiders({
        ...deps,
        logger: log,
        silentAfterMs: deps.settings.riderSilentAfterMs,
      });
      if (outcome.released.length > 0) {
        totals.released += outcome.released.length;
        deps.onRepaired();
      }
      return outcome;
    },
    log,
  );
  const loops = [reconcile, silent];
  const poke = (): void => {
    for (const loop of loops) loop.poke();
  };
  poke();
  return {
    poke,
    settled: async () => {
      await Promise.all(loops.map((l) => l.settled()));
    },
    totals,
    stop: async () => {
      await Promise.all(loops.map((l) => l.stop()));
    },
  };
}

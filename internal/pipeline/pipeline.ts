/**
 * The worker-side dispatch chain, wired: order → H3 cell → hot path → multi-order batch → optimized route → rider.
 *
 *   order.placed      → batcher            (match to a hot path's open batch, or park and ask path.provision)
 *   path.provision    → path provisioner   (build, store, index the path; emit path.provisioned)
 *   path.provisioned  → batcher            (re-match the store's parked orders)
 *   order.ready       → sealer             (seal a batch once all its orders are ready)
 *   sealer loop       → seals full / window-closed / deadline batches  → batches.assigned + routes.refine
 *   routes.refine     → route refiner      (stop order, ETAs, refined cost) → routes.refined
 *   routes.refined    → regret recorder    (batch_regret + dispatch_batch_regret)
 *   routes.refined    → rider assigner     (nearest riders, priority score, atomic claim)
 *   rider.updated     → rider assigner     (an idle rider: offer it the waiting batches)
 *   sweep loop        → rider assigner     (sealed batches still without a rider, oldest first), plus re-asking
 *                                          stale hot-path requests and refining sealed batches never refined
 */
import type { z } from 'zod';
import { consume, type EventHandler } from '../eventbus/middleware.ts';
import type { Subscription } from '../eventbus/event-bus.ts';
import { topics, type PayloadOf, type TopicName } from '../events/catalog.ts';
import { onOrderReady, sealDueBatches } from './batch-sealer.ts';
import { batchPlacedOrder, rematchParkedOrders } from './order-batcher.ts';
import { provisionPath, retryStalePathRequests } from './path-provisioner.ts';
import { startPeriodicLoop, type PeriodicLoop } from './periodic-loop.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { recordRegret, regretHistogram } from './regret-recorder.ts';
import { assignBatch, sweepUnassigned } from './rider-assigner.ts';
import { refineRoute, refineStaleBatches } from './route-refiner.ts';

/** Consumer group names, one per consumer (the Kafka adapter scopes them per topic as well). */
export const PIPELINE_GROUPS = {
  batcher: 'pipeline.batcher',
  rematch: 'pipeline.rematch',
  provisioner: 'pipeline.path-provisioner',
  readySealer: 'pipeline.ready-sealer',
  refiner: 'pipeline.route-refiner',
  regret: 'pipeline.regret',
  assigner: 'pipeline.rider-assigner',
  riderFreed: 'pipeline.rider-freed',
} as const;

export interface RunningPipeline {
  /** Runs the sealer and the sweep now (tests and benchmarks use it to skip a period). */
  poke(): void;
  /** Stops the loops, then the consumers (each finishes the message in hand). */
  stop(): Promise<void>;
}

/** Subscribes every consumer of the chain and starts the sealer and sweep loops. */
export async function startPipeline(deps: PipelineDeps): Promise<RunningPipeline> {
  const log = deps.logger.child({ component: 'pipeline' });
  regretHistogram(deps.registry); // exported from the start, even before the first batch
  const subscriptions: Subscription[] = [];
  const loops: PeriodicLoop[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(loops.map((l) => l.stop()));
    await Promise.all(subscriptions.map((s) => s.close()));
  };

  const on = async <T extends TopicName>(topic: T, group: string, handler: EventHandler<PayloadOf<T>>) => {
    subscriptions.push(
      await consume(deps.bus, {
        topic: topics[topic].name,
        group,
        schema: topics[topic].schema as unknown as z.ZodType<PayloadOf<T>>,
        handler,
        maxAttempts: deps.consume.maxAttempts,
        backoffMs: deps.consume.backoffMs,
        dedup: deps.consume.dedup,
        logger: log,
        registry: deps.registry,
        clock: deps.clock,
      }),
    );
  };

  try {
    // The sweep: riders for sealed batches still without one (oldest first); and the safety nets for work whose
    // event was lost to the dead-letter queue — stale hot-path requests, sealed batches never refined.
    const sweep = startPeriodicLoop(
      'sweep',
      deps.sweepIntervalMs ?? 1_000,
      async () => {
        const steps: Array<[string, () => Promise<number>]> = [
          ['stale path requests', () => retryStalePathRequests(deps)],
          ['stale unrefined batches', () => refineStaleBatches(deps)],
          ['unassigned batches', () => sweepUnassigned(deps)],
        ];
        for (const [step, run] of steps) {
          await run().catch((error: unknown) => log.warn({ err: error, step }, 'sweep step failed; retrying next period'));
        }
      },
      log,
    );
    loops.push(sweep);
    const sealer = startPeriodicLoop('sealer', deps.sealIntervalMs ?? 500, () => sealDueBatches(deps), log);
    loops.push(sealer);

    await Promise.all([
      on('orderPlaced', PIPELINE_GROUPS.batcher, async (event) => {
        await batchPlacedOrder(deps, PIPELINE_GROUPS.batcher, event.id, event.payload.storeId, event.payload.orderId, event.payload.cell);
      }),
      on('pathProvision', PIPELINE_GROUPS.provisioner, async (event) => {
        await provisionPath(deps, event.payload);
      }),
      on('pathProvisioned', PIPELINE_GROUPS.rematch, async (event) => {
        await rematchParkedOrders(deps, event.payload.storeId);
      }),
      on('orderReady', PIPELINE_GROUPS.readySealer, async (event) => {
        await onOrderReady(deps, event.payload);
      }),
      on('routesRefine', PIPELINE_GROUPS.refiner, async (event) => {
        await refineRoute(deps, event.payload);
      }),
      on('routesRefined', PIPELINE_GROUPS.regret, async (event) => {
        await recordRegret(deps, event.payload);
      }),
      on('routesRefined', PIPELINE_GROUPS.assigner, async (event) => {
        const outcome = await assignBatch(deps, event.payload.batchId);
        if (outcome.kind === 'no_rider') log.info({ batchId: event.payload.batchId }, 'sealed batch waits for a rider');
      }),
      on('riderUpdated', PIPELINE_GROUPS.riderFreed, async (event) => {
        if (event.payload.status === 'idle') sweep.poke();
      }),
    ]);
    return {
      poke: () => {
        sealer.poke();
        sweep.poke();
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

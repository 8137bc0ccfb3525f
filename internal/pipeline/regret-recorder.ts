/**
 * The regret worker (consumer of `routes.refined`): how far the batching step's cost estimate was from the optimizer's
 * route, regret = (refined − estimated) / estimated. Persisted in `batch_regret` (upsert, so redelivery rewrites the
 * same row), observed once per batch in the `dispatch_batch_regret` histogram, and logged as one structured line.
 */
import { sql } from 'kysely';
import { Histogram, type Registry } from 'prom-client';
import type { PayloadOf } from '../events/catalog.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

const histograms = new WeakMap<Registry, Histogram>();

/** `dispatch_batch_regret`, registered once per registry. */
export function regretHistogram(registry: Registry): Histogram {
  let histogram = histograms.get(registry);
  if (!histogram) {
    histogram = new Histogram({
      name: 'dispatch_batch_regret',
      help: 'Per-batch regret: (refined route seconds − estimated seconds) / estimated seconds.',
      buckets: [-0.5, -0.25, -0.1, -0.05, -0.01, 0, 0.01, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
    histograms.set(registry, histogram);
  }
  return histogram;
}

/** (refined − estimated) / estimated; 0 when nothing was estimated. */
export const regretOf = (estimatedS: number, refinedS: number): number =>
  estimatedS > 0 ? (refinedS - estimatedS) / estimatedS : 0;

export async function recordRegret(
  deps: PipelineDeps,
  payload: PayloadOf<'routesRefined'>,
): Promise<{ regret: number; firstTime: boolean }> {
  const { db, registry, logger, clock } = deps;
  const regret = regretOf(payload.estimatedCostS, payload.refinedCostS);
  const row = await db
    .insertInto('batch_regret')
    .values({
      batch_id: payload.batchId,
      estimated_s: payload.estimatedCostS,
      refined_s: payload.refinedCostS,
      regret,
      order_count: payload.sequence.length,
      computed_at: new Date(clock.now()),
    })
    .onConflict((oc) =>
      oc.column('batch_id').doUpdateSet((eb) => ({
        estimated_s: eb.ref('excluded.estimated_s'),
        refined_s: eb.ref('excluded.refined_s'),
        regret: eb.ref('excluded.regret'),
        order_count: eb.ref('excluded.order_count'),
      })),
    )
    // xmax = 0 only for a freshly inserted row: observe the histogram once per batch, not once per delivery.
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .executeTakeFirstOrThrow();
  if (row.inserted) regretHistogram(registry).observe(regret);
  logger.info(
    {
      event: 'batch_regret',
      batchId: payload.batchId,
      storeId: payload.storeId,
      orders: payload.sequence.length,
      estimatedS: payload.estimatedCostS,
      refinedS: payload.refinedCostS,
      regret,
    },
    'batch regret',
  );
  return { regret, firstTime: row.inserted };
}

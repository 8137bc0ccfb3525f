/**
 * Where batch regret is written (`batch_regret`) and observed (`dispatch_batch_regret`), in two steps:
 *
 * - `routes.refined` (the batch was sealed and its stops ordered): {@link recordRouteEstimate} writes the row with the
 *   batching step's estimate error, (refined − estimated) / estimated. That figure was once reported as "regret"; it
 *   says how good the insertion estimate was, not whether the decision was, and sits near 0.
 * - the hindsight job (regret-hindsight.ts), once the batch and its decision window are over:
 *   {@link recordHindsight} fills the regret proper (docs/dispatch-quality.md, "Regret") and observes it, in seconds,
 *   once per batch.
 */
import { sql } from 'kysely';
import { Histogram, type Registry } from 'prom-client';
import type { BatchRegret } from '../dispatch/hindsight-regret.ts';
import type { PayloadOf } from '../events/catalog.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

const histograms = new WeakMap<Registry, Histogram>();

/** Bucket bounds of `dispatch_batch_regret`, weighted seconds: 0 (nothing better) up to an hour. */
export const REGRET_BUCKETS_S = [0, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600] as const;

/** `dispatch_batch_regret` (weighted seconds per batch, see docs/dispatch-quality.md), registered once per registry. */
export function regretHistogram(registry: Registry): Histogram {
  let histogram = histograms.get(registry);
  if (!histogram) {
    histogram = new Histogram({
      name: 'dispatch_batch_regret',
      help: 'Per-batch regret in hindsight, weighted seconds: realised cost (rider + ready-to-door + 2 x late seconds) minus the best plan for the same orders known after the fact.',
      buckets: [...REGRET_BUCKETS_S],
      registers: [registry],
    });
    histograms.set(registry, histogram);
  }
  return histogram;
}

/** (refined − estimated) / estimated; 0 when nothing was estimated. */
export const estimateErrorOf = (estimatedS: number, refinedS: number): number =>
  estimatedS > 0 ? (refinedS - estimatedS) / estimatedS : 0;

/** Writes a refined batch's estimate error (upsert: a redelivered event rewrites the same figures). */
export async function recordRouteEstimate(
  deps: PipelineDeps,
  payload: PayloadOf<'routesRefined'>,
): Promise<{ estimateError: number; firstTime: boolean }> {
  const { db, logger, clock } = deps;
  const estimateError = estimateErrorOf(payload.estimatedCostS, payload.refinedCostS);
  const row = await db
    .insertInto('batch_regret')
    .values({
      batch_id: payload.batchId,
      store_id: payload.storeId,
      estimated_s: payload.estimatedCostS,
      refined_s: payload.refinedCostS,
      estimate_error: estimateError,
      order_count: payload.sequence.length,
      computed_at: new Date(clock.now()),
    })
    .onConflict((oc) =>
      oc.column('batch_id').doUpdateSet((eb) => ({
        estimated_s: eb.ref('excluded.estimated_s'),
        refined_s: eb.ref('excluded.refined_s'),
        estimate_error: eb.ref('excluded.estimate_error'),
        order_count: eb.ref('excluded.order_count'),
      })),
    )
    // xmax = 0 only for a freshly inserted row.
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .executeTakeFirstOrThrow();
  logger.debug(
    { event: 'batch_estimate', batchId: payload.batchId, storeId: payload.storeId, estimateError },
    'batch route estimate',
  );
  return { estimateError, firstTime: row.inserted };
}

/** What the hindsight job knows about the batch besides the figures. */
export interface HindsightRow {
  batchId: string;
  storeId: string;
  decidedAt: Date;
  orderCount: number;
  estimatedS: number;
  refinedS: number;
}

/**
 * Writes a batch's regret in hindsight and observes it once: only the write that first fills `regret_s` observes the
 * histogram, so a second pass over the same batch (two workers, a retry) cannot count it twice.
 */
export async function recordHindsight(
  deps: PipelineDeps,
  row: HindsightRow,
  regret: BatchRegret,
): Promise<{ firstTime: boolean }> {
  const { db, registry, logger, clock } = deps;
  const figures = {
    store_id: row.storeId,
    decided_at: row.decidedAt,
    realised_s: regret.realisedS,
    hindsight_best_s: regret.hindsightBestS,
    regret_s: regret.regretS,
    relative: regret.relative,
    actual_s: regret.actualS,
    alternative: regret.alternative,
    merged_with: regret.mergedWith,
    best_trips: JSON.stringify(regret.bestTrips.map((t) => ({ rider_id: t.riderId, order_ids: t.orderIds }))),
    hindsight_at: new Date(clock.now()),
  };
  const written = await db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('batch_regret')
      .select('regret_s')
      .where('batch_id', '=', row.batchId)
      .forUpdate()
      .executeTakeFirst();
    await trx
      .insertInto('batch_regret')
      .values({
        batch_id: row.batchId,
        estimated_s: row.estimatedS,
        refined_s: row.refinedS,
        estimate_error: estimateErrorOf(row.estimatedS, row.refinedS),
        order_count: row.orderCount,
        computed_at: new Date(clock.now()),
        ...figures,
      })
      .onConflict((oc) => oc.column('batch_id').doUpdateSet(figures))
      .execute();
    return before?.regret_s === null || before?.regret_s === undefined;
  });
  if (written) regretHistogram(registry).observe(regret.regretS);
  logger.info(
    {
      event: 'batch_regret',
      batchId: row.batchId,
      storeId: row.storeId,
      orders: row.orderCount,
      realisedS: Math.round(regret.realisedS),
      bestS: Math.round(regret.hindsightBestS),
      regretS: Math.round(regret.regretS),
      alternative: regret.alternative,
      mergedWith: regret.mergedWith,
    },
    'batch regret',
  );
  return { firstTime: written };
}

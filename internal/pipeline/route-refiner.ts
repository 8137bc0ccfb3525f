/**
 * The optimizer worker (consumer of `routes.refine`): orders a sealed batch's stops — pickup, then the drops — from a
 * Router duration table with the domain's insertion + 2-opt, stores the stops with per-order ETAs and the refined cost,
 * and emits `routes.refined` in the same transaction. A batch is refined once; redelivery finds it done.
 */
import type { StoredStop } from '../db/schema.ts';
import { latestReady } from '../dispatch/route-timing.ts';
import { optimizeStops } from '../dispatch/route-optimizer.ts';
import { record, type PayloadOf } from '../events/catalog.ts';
import { enqueue } from '../outbox/outbox.ts';
import { BATCH_COLUMNS, loadBatchOrders, loadStore, toDomainBatch, toDomainStore } from './batch-rows.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { fetchTravelTime } from './router-travel-time.ts';

export type RefineOutcome = { kind: 'refined'; refinedCostS: number; estimatedCostS: number } | { kind: 'skipped'; reason: string };

export async function refineRoute(deps: PipelineDeps, payload: PayloadOf<'routesRefine'>): Promise<RefineOutcome> {
  const { db, router, params, clock } = deps;
  const { batchId } = payload;
  // Route the batch before taking any lock: the Router may be a network call.
  const batchRow = await db.selectFrom('batches').select([...BATCH_COLUMNS, 'batches.refined_cost_s']).where('id', '=', batchId).executeTakeFirst();
  if (!batchRow) return { kind: 'skipped', reason: 'unknown batch' };
  if (batchRow.refined_cost_s !== null) return { kind: 'skipped', reason: 'already refined' };
  if (batchRow.status === 'open') return { kind: 'skipped', reason: 'not sealed' };
  const store = await loadStore(db, batchRow.store_id);
  if (!store) return { kind: 'skipped', reason: 'unknown store' };
  const orders = (await loadBatchOrders(db, [batchId])).get(batchId) ?? [];
  if (orders.length === 0) return { kind: 'skipped', reason: 'empty batch' };

  const domainStore = toDomainStore(store);
  const batch = toDomainBatch(batchRow, orders);
  const travel = await fetchTravelTime(router, [domainStore.location, ...batch.orders.map((o) => o.drop)]);
  const plan = optimizeStops(batch, domainStore, travel, params);
  const readyAt = latestReady(batch.orders);
  const byId = new Map(batch.orders.map((o) => [o.id, o]));
  const stops: StoredStop[] = [
    { kind: 'pickup', order_id: null, ...domainStore.location, eta: new Date(readyAt).toISOString() },
    ...plan.sequence.map((orderId) => ({
      kind: 'drop' as const,
      order_id: orderId,
      ...byId.get(orderId)!.drop,
      eta: new Date(plan.etas[orderId]!).toISOString(),
    })),
  ];
  const etas = Object.fromEntries(plan.sequence.map((id) => [id, new Date(plan.etas[id]!).toISOString()]));
  const now = new Date(clock.now());

  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('batches')
      .set({ stops: JSON.stringify(stops), refined_cost_s: plan.refinedCostSeconds, updated_at: now })
      .where('id', '=', batchId)
      .where('refined_cost_s', 'is', null)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return { kind: 'skipped', reason: 'already refined' } as const;
    for (const [i, orderId] of plan.sequence.entries()) {
      await trx.updateTable('batch_orders').set({ sequence: i }).where('batch_id', '=', batchId).where('order_id', '=', orderId).execute();
    }
    await enqueue(trx, [
      record(
        'routesRefined',
        batchId,
        {
          batchId,
          storeId: batchRow.store_id,
          sequence: [...plan.sequence],
          estimatedCostS: plan.estimatedCostSeconds,
          refinedCostS: plan.refinedCostSeconds,
          etas,
          readyAt: new Date(readyAt).toISOString(),
        },
        now,
      ),
    ]);
    return { kind: 'refined', refinedCostS: plan.refinedCostSeconds, estimatedCostS: plan.estimatedCostSeconds } as const;
  });
}

/**
 * Refines sealed batches whose `routes.refine` has not been handled after `olderThanMs` (dead-lettered, lost with a
 * crashed worker), so no sealed batch waits forever for a route and hence for a rider. Answers how many it refined.
 */
export async function refineStaleBatches(deps: PipelineDeps, olderThanMs = 30_000, limit = 50): Promise<number> {
  const before = new Date(deps.clock.now() - olderThanMs);
  const stale = await deps.db
    .selectFrom('batches')
    .select(['id', 'store_id'])
    .where('status', '=', 'sealed')
    .where('refined_cost_s', 'is', null)
    .where('sealed_at', '<', before)
    .orderBy('sealed_at')
    .limit(limit)
    .execute();
  let refined = 0;
  for (const b of stale) if ((await refineRoute(deps, { batchId: b.id, storeId: b.store_id })).kind === 'refined') refined++;
  return refined;
}

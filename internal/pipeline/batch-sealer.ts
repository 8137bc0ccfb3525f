/**
 * The sealer: a loop (every ~500 ms) that seals open batches whose time has come, and the `order.ready` consumer that
 * seals a batch as soon as all its orders are marked ready (the 30-second matching SLA runs from "ready").
 */
import { sql } from 'kysely';
import type { PayloadOf } from '../events/catalog.ts';
import { BATCH_COLUMNS, loadBatchOrders, type BatchRow } from './batch-rows.ts';
import { pipelineSealReason, sealBatch, type PipelineSealReason } from './batch-sealing.ts';
import { lockStore, type PipelineDeps } from './pipeline-deps.ts';

/**
 * Re-reads `batchId` under its store's lock and seals it if a rule says so now. Answers the reason it sealed for,
 * or null (still open, already sealed, or unknown).
 */
export async function sealIfDue(deps: PipelineDeps, storeId: string, batchId: string): Promise<PipelineSealReason | null> {
  return deps.db.transaction().execute(async (trx) => {
    await lockStore(trx, storeId);
    const batch: BatchRow | undefined = await trx.selectFrom('batches').select(BATCH_COLUMNS).where('id', '=', batchId).forUpdate().executeTakeFirst();
    if (!batch || batch.status !== 'open') return null;
    const orders = (await loadBatchOrders(trx, [batchId])).get(batchId) ?? [];
    const now = deps.clock.now();
    const reason = pipelineSealReason(batch, orders, now, deps.params);
    if (!reason) return null;
    return (await sealBatch(trx, batch, orders, reason, now)) ? reason : null;
  });
}

/**
 * One pass of the sealer: finds open batches that a rule may seal now (a coarse SQL filter, oldest first) and lets
 * `sealIfDue` decide with the domain's rule and the Clock. Answers how many it sealed.
 */
export async function sealDueBatches(deps: PipelineDeps, limit = 200): Promise<number> {
  const now = new Date(deps.clock.now());
  const leadMs = deps.params.sealLeadSeconds * 1000;
  const candidates = await deps.db
    .selectFrom('batches')
    .select(['id', 'store_id'])
    .where('status', '=', 'open')
    .where((eb) =>
      eb.or([
        eb('window_closes_at', '<=', now),
        eb(sql`least(ready_at, latest_departure_at) - make_interval(secs => ${leadMs / 1000})`, '<=', now),
        eb('order_count', '>=', eb.ref('capacity')),
        eb.not(
          eb.exists(
            eb
              .selectFrom('batch_orders')
              .innerJoin('orders', 'orders.id', 'batch_orders.order_id')
              .select('orders.id')
              .whereRef('batch_orders.batch_id', '=', 'batches.id')
              .where('orders.ready_marked_at', 'is', null),
          ),
        ),
      ]),
    )
    .orderBy('opened_at')
    .limit(limit)
    .execute();
  let sealed = 0;
  for (const c of candidates) if (await sealIfDue(deps, c.store_id, c.id)) sealed++;
  return sealed;
}

/**
 * Handles `order.ready`: records the ready mark (when the API has not already) and seals the order's open batch if
 * that made every order of it ready.
 */
export async function onOrderReady(deps: PipelineDeps, payload: PayloadOf<'orderReady'>): Promise<PipelineSealReason | null> {
  const { db } = deps;
  await db
    .updateTable('orders')
    .set({ ready_marked_at: sql<Date>`coalesce(ready_marked_at, ${new Date(payload.readyMarkedAt)})` })
    .where('id', '=', payload.orderId)
    .where('ready_marked_at', 'is', null)
    .execute();
  const membership = await db
    .selectFrom('batch_orders')
    .innerJoin('batches', 'batches.id', 'batch_orders.batch_id')
    .select(['batches.id', 'batches.store_id'])
    .where('batch_orders.order_id', '=', payload.orderId)
    .where('batches.status', '=', 'open')
    .executeTakeFirst();
  if (!membership) return null;
  return sealIfDue(deps, membership.store_id, membership.id);
}

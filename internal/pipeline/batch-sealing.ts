/**
 * Sealing a batch: the domain's rule (full, wait window closed, or waiting longer would make someone late) plus the
 * matching SLA rule — once every order of a batch is marked ready, waiting for more orders only makes ready food wait,
 * so it seals at once. The status change and its events (`batches.assigned`, `routes.refine`, `batch.updated`) commit
 * in one transaction.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { DispatchParams } from '../dispatch/params.ts';
import { latestReady } from '../dispatch/route-timing.ts';
import { sealReasonAt } from '../dispatch/sealing.ts';
import { record } from '../events/catalog.ts';
import { enqueue } from '../outbox/outbox.ts';
import { toDomainBatch, type BatchRow, type OrderRow } from './batch-rows.ts';

export type PipelineSealReason = 'full' | 'window' | 'deadline' | 'ready';

/** Why the batch must seal at `now`, or null. Domain rules first; then "all its orders are ready". */
export function pipelineSealReason(batch: BatchRow, orders: readonly OrderRow[], now: number, params: DispatchParams): PipelineSealReason | null {
  if (batch.status !== 'open' || orders.length === 0) return null;
  const domain = sealReasonAt(toDomainBatch(batch, orders), now, { ...params, batchCapacity: Math.min(params.batchCapacity, batch.capacity) });
  if (domain) return domain;
  if (orders.every((o) => o.ready_marked_at !== null)) return 'ready';
  return null;
}

/**
 * Seals an open batch inside `trx` (the caller holds the store lock and has just read `batch` and `orders`).
 * Answers false when the batch was no longer open.
 */
export async function sealBatch(
  trx: Transaction<Database>,
  batch: BatchRow,
  orders: readonly OrderRow[],
  reason: PipelineSealReason,
  now: number,
): Promise<boolean> {
  const at = new Date(now);
  const readyAt = new Date(latestReady(toDomainBatch(batch, orders).orders));
  const updated = await trx
    .updateTable('batches')
    .set({ status: 'sealed', sealed_at: at, seal_reason: reason, ready_at: readyAt, updated_at: at })
    .where('id', '=', batch.id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) return false;
  const orderIds = orders.map((o) => o.id);
  await enqueue(trx, [
    record(
      'batchesAssigned',
      batch.store_id,
      {
        batchId: batch.id,
        storeId: batch.store_id,
        pathId: batch.path_id,
        orderIds,
        sealedAt: at.toISOString(),
        reason,
        estimatedCostS: batch.estimated_cost_s,
      },
      at,
    ),
    record('routesRefine', batch.id, { batchId: batch.id, storeId: batch.store_id }, at),
    record('batchUpdated', batch.id, { batchId: batch.id, storeId: batch.store_id, status: 'sealed', orderIds }, at),
  ]);
  return true;
}

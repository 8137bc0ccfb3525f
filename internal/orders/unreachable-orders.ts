import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { enqueue } from '../outbox/outbox.ts';
import { orderUpdated } from './order-events.ts';
import { nextOrderStatus } from './order-lifecycle.ts';

/** Orders of `storeId` whose drop lies in `cell` and that wait for a batch (accepted, in no batch yet). */
export async function unbatchedOrderIdsInCell(
  trx: Transaction<Database>,
  storeId: string,
  cell: string,
): Promise<string[]> {
  const rows = await trx
    .selectFrom('orders')
    .leftJoin('batch_orders', 'batch_orders.order_id', 'orders.id')
    .select('orders.id')
    .where('orders.store_id', '=', storeId)
    .where('orders.h3_cell', '=', cell)
    .where('orders.status', 'in', ['placed', 'cooking', 'ready'])
    .where('batch_orders.order_id', 'is', null)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Ends the orders dispatch cannot deliver because no rider can reach their drop by road (the road router said so
 * after the order was accepted, e.g. it was down at placement): each goes through the lifecycle's `cancel` step to
 * `cancelled` with `cancel_reason = 'drop_unreachable'`, and an `order.updated` event carries the reason, so the
 * customer hears it instead of waiting forever. Only orders not yet in a batch are ended (a batched order is the
 * dispatcher's to take out first); the others are left as they are. Answers the ids ended.
 */
export async function cancelUnreachableOrders(
  trx: Transaction<Database>,
  orderIds: readonly string[],
  reason: string,
  now: Date,
): Promise<string[]> {
  if (orderIds.length === 0) return [];
  const rows = await trx
    .selectFrom('orders')
    .leftJoin('batch_orders', 'batch_orders.order_id', 'orders.id')
    .select(['orders.id', 'orders.store_id', 'orders.status', 'batch_orders.batch_id'])
    .where('orders.id', 'in', orderIds)
    .forUpdate('orders')
    .execute();
  const ended: string[] = [];
  for (const row of rows) {
    const next = nextOrderStatus(row.status, 'cancel');
    if (row.batch_id !== null || next === null) continue;
    const updated = await trx
      .updateTable('orders')
      .set({ status: next, cancelled_at: now, cancel_reason: 'drop_unreachable', updated_at: now })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await enqueue(trx, [
      orderUpdated(updated, now, { batchId: null, riderId: null, cancelReason: 'drop_unreachable', reason }),
    ]);
    ended.push(row.id);
  }
  return ended;
}

/**
 * The worker's status writes, each through its lifecycle's transition function (order-lifecycle.ts, batch-lifecycle.ts,
 * rider-lifecycle.ts): the current status is read under a row lock, the table says where the event leads, and the row
 * is updated only from that status. An event the table refuses is an error (the transaction rolls back), never a
 * silent write.
 */
import type { Transaction, Updateable } from 'kysely';
import type { BatchesTable, BatchStatus, Database, OrdersTable, OrderStatus, RiderStatus } from '../db/schema.ts';
import { nextBatchStatus, type BatchEvent } from '../dispatch/batch-lifecycle.ts';
import { nextOrderStatus, type OrderEvent } from '../orders/order-lifecycle.ts';
import { nextRiderStatus, type RiderTransition } from '../riders/rider-lifecycle.ts';
import { conflict } from '../platform/errors.ts';

type Trx = Transaction<Database>;

/** Applies `event` to every order of `orderIds`; answers each order's new status. Throws on an illegal transition. */
export async function transitionOrders(
  trx: Trx,
  orderIds: readonly string[],
  event: OrderEvent,
  set: Omit<Updateable<OrdersTable>, 'status'>,
): Promise<Map<string, OrderStatus>> {
  const result = new Map<string, OrderStatus>();
  if (orderIds.length === 0) return result;
  const rows = await trx
    .selectFrom('orders')
    .select(['id', 'status'])
    .where('id', 'in', [...orderIds])
    .orderBy('id')
    .forUpdate()
    .execute();
  if (rows.length !== new Set(orderIds).size)
    throw conflict('order.not_found', `some of orders ${orderIds.join(', ')} do not exist`, { event });
  const byMove = new Map<string, string[]>();
  for (const row of rows) {
    const next = nextOrderStatus(row.status, event);
    if (next === null) {
      throw conflict('order.illegal_transition', `order ${row.id} cannot ${event} from ${row.status}`, {
        order_id: row.id,
        from: row.status,
        event,
      });
    }
    result.set(row.id, next);
    const move = `${row.status}>${next}`;
    byMove.set(move, [...(byMove.get(move) ?? []), row.id]);
  }
  for (const [move, ids] of byMove) {
    const [from, to] = move.split('>') as [OrderStatus, OrderStatus];
    await trx
      .updateTable('orders')
      .set({ ...set, status: to })
      .where('id', 'in', ids)
      .where('status', '=', from)
      .execute();
  }
  return result;
}

/** Applies `event` to batch `batchId` (read under a row lock); answers the new status. Throws on an illegal transition. */
export async function transitionBatch(
  trx: Trx,
  batchId: string,
  event: BatchEvent,
  set: Omit<Updateable<BatchesTable>, 'status'>,
): Promise<BatchStatus> {
  const row = await trx.selectFrom('batches').select('status').where('id', '=', batchId).forUpdate().executeTakeFirst();
  if (!row) throw conflict('batch.not_found', `batch ${batchId} does not exist`, { batch_id: batchId, event });
  const next = nextBatchStatus(row.status, event);
  if (next === null)
    throw conflict('batch.illegal_transition', `batch ${batchId} cannot ${event} from ${row.status}`, {
      batch_id: batchId,
      from: row.status,
      event,
    });
  await trx
    .updateTable('batches')
    .set({ ...set, status: next })
    .where('id', '=', batchId)
    .where('status', '=', row.status)
    .execute();
  return next;
}

/**
 * The Postgres half of the atomic rider claim: idle → assigned, only if the rider is idle now. False when it is not
 * (another worker's round took it, or it went off shift): the caller gives the geo store claim back. Not an error —
 * losing a race for a rider is expected with several workers.
 */
export async function claimRiderRow(trx: Trx, riderId: string, now: Date): Promise<boolean> {
  const to = nextRiderStatus('idle', 'assign')!;
  const updated = await trx
    .updateTable('riders')
    .set({ status: to, updated_at: now })
    .where('id', '=', riderId)
    .where('status', '=', 'idle')
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

/**
 * Applies a dispatch step to rider `riderId` (read under a row lock) through the rider lifecycle; answers the new
 * status. Throws on an illegal transition, like the batch and order writes.
 */
export async function transitionRider(
  trx: Trx,
  riderId: string,
  step: RiderTransition,
  now: Date,
): Promise<RiderStatus> {
  const row = await trx.selectFrom('riders').select('status').where('id', '=', riderId).forUpdate().executeTakeFirst();
  if (!row) throw conflict('rider.not_found', `rider ${riderId} does not exist`, { rider_id: riderId, step });
  const next = nextRiderStatus(row.status, step);
  if (next === null)
    throw conflict('rider.illegal_transition', `rider ${riderId} cannot ${step} from ${row.status}`, {
      rider_id: riderId,
      from: row.status,
      step,
    });
  await trx
    .updateTable('riders')
    .set({ status: next, updated_at: now })
    .where('id', '=', riderId)
    .where('status', '=', row.status)
    .execute();
  return next;
}

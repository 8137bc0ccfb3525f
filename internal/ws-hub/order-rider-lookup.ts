import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * The hub's `orderRider`: the rider carrying `orderId` right now — the rider of the order's batch while the order is
 * assigned or picked up — or null. A malformed id is simply no order.
 */
export function orderRiderFrom(db: Kysely<Database>): (orderId: string) => Promise<string | null> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  return async (orderId) => {
    if (!uuid.test(orderId)) return null;
    const row = await db
      .selectFrom('orders')
      .innerJoin('batch_orders', 'batch_orders.order_id', 'orders.id')
      .innerJoin('batches', 'batches.id', 'batch_orders.batch_id')
      .select('batches.rider_id')
      .where('orders.id', '=', orderId)
      .where('orders.status', 'in', ['assigned', 'picked_up'])
      .executeTakeFirst();
    return row?.rider_id ?? null;
  };
}

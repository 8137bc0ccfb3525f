import type { Kysely } from 'kysely';
import type { Database, OrderStatus } from '../db/schema.ts';
import { notFound } from '../platform/errors.ts';
import type { BatchRow } from './delivery-service.ts';

export interface BatchOrderView {
  id: string;
  status: OrderStatus;
  sequence: number;
  drop_lat: number;
  drop_lon: number;
  ready_marked_at: Date | null;
  delivered_at: Date | null;
}

export interface BatchView extends BatchRow {
  orders: BatchOrderView[];
}

/** A batch with its orders in batching sequence; 404 `batch.not_found` when unknown. */
export async function getBatchView(db: Kysely<Database>, id: string): Promise<BatchView> {
  const batch = await db.selectFrom('batches').selectAll().where('id', '=', id).executeTakeFirst();
  if (!batch) throw notFound('batch.not_found', `batch ${id} does not exist`, { batch_id: id });
  const orders = await db
    .selectFrom('batch_orders as bo')
    .innerJoin('orders as o', 'o.id', 'bo.order_id')
    .select(['o.id', 'o.status', 'bo.sequence', 'o.drop_lat', 'o.drop_lon', 'o.ready_marked_at', 'o.delivered_at'])
    .where('bo.batch_id', '=', id)
    .orderBy('bo.sequence')
    .execute();
  return { ...batch, orders };
}

import type { Kysely } from 'kysely';
import { olderThan, pageKeyAt, toPage, type Page, type PageRequest } from '../db/keyset-page.ts';
import type { Database, OrderStatus } from '../db/schema.ts';
import { dropEta, type OrderWithDispatch } from './order-repository.ts';

/** Filters of `GET /orders`; each one given narrows the list. */
export interface OrderListFilter {
  status?: OrderStatus | undefined;
  storeId?: string | undefined;
  /** Placed at or after this instant. */
  since?: Date | undefined;
}

/**
 * Orders newest first (placed_at, then id), with their batch, rider and drop ETA as `findOrderWithDispatch` gives
 * them. Served by the (placed_at, id), (status, placed_at, id) and (store_id, placed_at, id) indexes of migration 0007.
 */
export async function listOrders(
  db: Kysely<Database>,
  filter: OrderListFilter,
  page: PageRequest,
): Promise<Page<OrderWithDispatch>> {
  let query = db
    .selectFrom('orders as o')
    .leftJoin('batch_orders as bo', 'bo.order_id', 'o.id')
    .leftJoin('batches as b', 'b.id', 'bo.batch_id')
    .selectAll('o')
    .select(['bo.batch_id as batch_id', 'b.status as batch_status', 'b.rider_id as rider_id', 'b.stops as stops'])
    .select(pageKeyAt('o.placed_at').as('page_at'));
  if (filter.status !== undefined) query = query.where('o.status', '=', filter.status);
  if (filter.storeId !== undefined) query = query.where('o.store_id', '=', filter.storeId);
  if (filter.since !== undefined) query = query.where('o.placed_at', '>=', filter.since);
  if (page.after !== undefined) query = query.where(olderThan('o.placed_at', 'o.id', page.after));
  const rows = await query
    .orderBy('o.placed_at', 'desc')
    .orderBy('o.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  return toPage(rows, page.limit, ({ stops, page_at: _at, ...order }) => ({ ...order, eta: dropEta(stops, order.id) }));
}

import type { Kysely } from 'kysely';
import { olderThan, pageKeyAt, toPage, type Page, type PageRequest } from '../db/keyset-page.ts';
import type { BatchStatus, Database } from '../db/schema.ts';
import type { BatchOrderView, BatchView } from './batch-view.ts';

/** Filters of `GET /batches`; each one given narrows the list. */
export interface BatchListFilter {
  status?: BatchStatus | undefined;
  storeId?: string | undefined;
  riderId?: string | undefined;
}

/**
 * Batches newest first (opened_at, then id), each with its orders in batching sequence as `getBatchView` gives them
 * (one query for the page's batches, one for their orders). Served by the (opened_at, id), (status, opened_at, id),
 * (store_id, opened_at, id) and (rider_id, opened_at, id) indexes of migration 0007.
 */
export async function listBatches(
  db: Kysely<Database>,
  filter: BatchListFilter,
  page: PageRequest,
): Promise<Page<BatchView>> {
  let query = db.selectFrom('batches as b').selectAll('b').select(pageKeyAt('b.opened_at').as('page_at'));
  if (filter.status !== undefined) query = query.where('b.status', '=', filter.status);
  if (filter.storeId !== undefined) query = query.where('b.store_id', '=', filter.storeId);
  if (filter.riderId !== undefined) query = query.where('b.rider_id', '=', filter.riderId);
  if (page.after !== undefined) query = query.where(olderThan('b.opened_at', 'b.id', page.after));
  const rows = await query
    .orderBy('b.opened_at', 'desc')
    .orderBy('b.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const ids = rows.slice(0, page.limit).map((r) => r.id);
  const orders =
    ids.length === 0
      ? []
      : await db
          .selectFrom('batch_orders as bo')
          .innerJoin('orders as o', 'o.id', 'bo.order_id')
          .select([
            'bo.batch_id',
            'o.id',
            'o.status',
            'bo.sequence',
            'o.drop_lat',
            'o.drop_lon',
            'o.ready_marked_at',
            'o.delivered_at',
          ])
          .where('bo.batch_id', 'in', ids)
          .orderBy('bo.batch_id')
          .orderBy('bo.sequence')
          .execute();
  const byBatch = new Map<string, BatchOrderView[]>();
  for (const { batch_id, ...order } of orders) {
    const list = byBatch.get(batch_id);
    if (list) list.push(order);
    else byBatch.set(batch_id, [order]);
  }
  return toPage(rows, page.limit, ({ page_at: _at, ...batch }) => ({ ...batch, orders: byBatch.get(batch.id) ?? [] }));
}

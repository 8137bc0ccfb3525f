/**
 * Postgres rows of orders, stores and batches turned into the dispatch domain's objects (and the column lists that
 * load them), so every consumer sees orders the same way.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { BatchesTable, Database, OrdersTable, StoresTable } from '../db/schema.ts';
import { latestReady } from '../dispatch/route-timing.ts';
import type { Batch, Order, Store } from '../dispatch/types.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** An order as the dispatcher loads it: the `orders` table's own row type (Kysely schema), narrowed to these columns. */
export type OrderRow = Pick<
  Selectable<OrdersTable>,
  | 'id'
  | 'store_id'
  | 'drop_lat'
  | 'drop_lon'
  | 'h3_cell'
  | 'status'
  | 'placed_at'
  | 'ready_at'
  | 'ready_marked_at'
  | 'promised_at'
>;

export const ORDER_COLUMNS = [
  'orders.id',
  'orders.store_id',
  'orders.drop_lat',
  'orders.drop_lon',
  'orders.h3_cell',
  'orders.status',
  'orders.placed_at',
  'orders.ready_at',
  'orders.ready_marked_at',
  'orders.promised_at',
] as const;

export type StoreRow = Pick<Selectable<StoresTable>, 'id' | 'lat' | 'lon'>;

/** A batch as the dispatcher loads it: the `batches` table's row type, narrowed to these columns. */
export type BatchRow = Pick<
  Selectable<BatchesTable>,
  | 'id'
  | 'store_id'
  | 'path_id'
  | 'status'
  | 'capacity'
  | 'opened_at'
  | 'window_closes_at'
  | 'latest_departure_at'
  | 'ready_at'
  | 'estimated_cost_s'
>;

export const BATCH_COLUMNS = [
  'batches.id',
  'batches.store_id',
  'batches.path_id',
  'batches.status',
  'batches.capacity',
  'batches.opened_at',
  'batches.window_closes_at',
  'batches.latest_departure_at',
  'batches.ready_at',
  'batches.estimated_cost_s',
] as const;

/**
 * The domain order. Its ready time is when the food is actually ready: the store's "ready" mark when there is one
 * (it may come before or after the kitchen's estimate), else the estimate.
 */
export function toDomainOrder(row: OrderRow): Order {
  return {
    id: row.id,
    storeId: row.store_id,
    drop: { lat: row.drop_lat, lon: row.drop_lon },
    placedAt: row.placed_at.getTime(),
    readyAt: (row.ready_marked_at ?? row.ready_at).getTime(),
    promisedAt: row.promised_at.getTime(),
  };
}

export const toDomainStore = (row: StoreRow): Store => ({ id: row.id, location: { lat: row.lat, lon: row.lon } });

/**
 * The domain batch with its orders in sequence. Only batches without a rider reach the dispatcher, so the status is
 * `open` or `sealed`; anything else is a caller's bug.
 */
export function toDomainBatch(row: BatchRow, orders: readonly OrderRow[]): Batch {
  const members = orders.map(toDomainOrder);
  if (row.status !== 'open' && row.status !== 'sealed')
    throw new Error(`batch ${row.id} is ${row.status}: not the dispatcher's`);
  return {
    id: row.id,
    storeId: row.store_id,
    pathId: row.path_id,
    orders: members,
    openedAt: row.opened_at.getTime(),
    status: row.status,
    estimatedCostSeconds: row.estimated_cost_s,
    latestDepartureAt: row.latest_departure_at.getTime(),
    // From the orders, not the stored column: a kitchen's "ready" mark since the last round moves it.
    readyAt: latestReady(members),
  };
}

/** The orders of each batch, in their stored sequence. */
export async function loadBatchOrders(db: Db, batchIds: readonly string[]): Promise<Map<string, OrderRow[]>> {
  const byBatch = new Map<string, OrderRow[]>(batchIds.map((id) => [id, []]));
  if (batchIds.length === 0) return byBatch;
  const rows = await db
    .selectFrom('batch_orders')
    .innerJoin('orders', 'orders.id', 'batch_orders.order_id')
    .select([...ORDER_COLUMNS, 'batch_orders.batch_id'])
    .where('batch_orders.batch_id', 'in', batchIds)
    .orderBy('batch_orders.batch_id')
    .orderBy('batch_orders.sequence')
    .execute();
  for (const { batch_id, ...order } of rows) byBatch.get(batch_id)?.push(order);
  return byBatch;
}

export async function loadStore(db: Db, storeId: string): Promise<StoreRow | undefined> {
  return db.selectFrom('stores').select(['id', 'lat', 'lon']).where('id', '=', storeId).executeTakeFirst();
}

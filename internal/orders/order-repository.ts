import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { Database, OrdersTable, StoredStop } from '../db/schema.ts';

export type OrderRow = Selectable<OrdersTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** An order with where dispatch has put it: its batch, that batch's rider, and the drop ETA of the refined route. */
export interface OrderWithDispatch extends OrderRow {
  batch_id: string | null;
  batch_status: string | null;
  rider_id: string | null;
  eta: Date | null;
}

/**
 * Inserts the order unless another order already holds its idempotency key; answers the new row, or undefined when
 * the key was taken. `ON CONFLICT DO NOTHING` on the unique key makes this race-safe: of concurrent inserts with one
 * key exactly one succeeds, the others wait for it to commit and then insert nothing.
 */
export async function insertOrderOnce(db: Db, row: Insertable<OrdersTable>): Promise<OrderRow | undefined> {
  return db
    .insertInto('orders')
    .values(row)
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** The order holding an idempotency key. */
export async function findOrderByIdempotencyKey(db: Db, key: string): Promise<OrderRow | undefined> {
  return db.selectFrom('orders').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
}

/** One order; `forUpdate` locks its row until the transaction ends. */
export async function findOrder(db: Db, id: string, forUpdate = false): Promise<OrderRow | undefined> {
  const query = db.selectFrom('orders').selectAll().where('id', '=', id);
  return (forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

/** The batch holding an order (at most one: batch_orders.order_id is unique). */
export async function batchIdOfOrder(db: Db, orderId: string): Promise<string | null> {
  const row = await db.selectFrom('batch_orders').select('batch_id').where('order_id', '=', orderId).executeTakeFirst();
  return row?.batch_id ?? null;
}

/** The order with its batch, rider and drop ETA (from the batch's refined stops, when refined). */
export async function findOrderWithDispatch(db: Db, id: string): Promise<OrderWithDispatch | undefined> {
  const row = await db
    .selectFrom('orders as o')
    .leftJoin('batch_orders as bo', 'bo.order_id', 'o.id')
    .leftJoin('batches as b', 'b.id', 'bo.batch_id')
    .selectAll('o')
    .select(['bo.batch_id as batch_id', 'b.status as batch_status', 'b.rider_id as rider_id', 'b.stops as stops'])
    .where('o.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const { stops, ...rest } = row;
  return { ...rest, eta: dropEta(stops, id) };
}

/** The ETA of `orderId`'s drop among a batch's stops, or null when the route has not been refined. */
export function dropEta(stops: StoredStop[] | null, orderId: string): Date | null {
  const stop = stops?.find((s) => s.kind === 'drop' && s.order_id === orderId);
  return stop ? new Date(stop.eta) : null;
}

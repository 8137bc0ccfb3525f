import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, OrdersTable, StoredStop } from '../db/schema.ts';
import type { OutgoingRecord } from '../eventbus/event-bus.ts';
import { OUTBOX_CHANNEL } from '../outbox/outbox.ts';

export type OrderRow = Selectable<OrdersTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** An order with where dispatch has put it: its batch, that batch's rider, and the drop ETA of the refined route. */
export interface OrderWithDispatch extends OrderRow {
  batch_id: string | null;
  batch_status: string | null;
  rider_id: string | null;
  eta: Date | null;
}

/** What `placeOrdersOnce` found for one order: inserted, or why not. */
export type PlaceOutcome = { kind: 'inserted' } | { kind: 'store_not_found' } | { kind: 'key_taken' };

/**
 * One order for `placeOrdersOnce`: the order as it will read once inserted (its id chosen by the caller; status
 * `placed`, no batch yet), with the outbox records that describe it.
 */
export interface OrderToPlace {
  order: OrderWithDispatch;
  records: readonly OutgoingRecord[];
}

/**
 * POST /orders for one or many orders in ONE statement (one round trip, atomic as any single statement is): the
 * `place_orders` function (migrations/0014_place_orders_function.sql, planned once per connection) checks each
 * order's store, inserts the order unless its idempotency key is taken (race-safe, also between two orders of one
 * call), inserts its records into the outbox only when it was inserted, and queues the relay's `pg_notify` once
 * (delivered on commit). Answers one outcome per order, in order; an inserted order reads as the `order` sent (the
 * function answers only what happened, not the row: less to send back and parse).
 * On `key_taken` read the holder with `findOrderByIdempotencyKey` in a NEW statement: this statement's snapshot may
 * predate the holder's commit, a later one sees it.
 */
export async function placeOrdersOnce(db: Db, orders: readonly OrderToPlace[]): Promise<PlaceOutcome[]> {
  if (orders.length === 0) return [];
  // What place_orders reads of each order, written out (a spread copy of the order would send every column).
  const input = JSON.stringify(
    orders.map(({ order, records }, n) => ({
      n,
      id: order.id,
      store_id: order.store_id,
      idempotency_key: order.idempotency_key,
      request_hash: order.request_hash,
      read_token_hash: order.read_token_hash,
      drop_lat: order.drop_lat,
      drop_lon: order.drop_lon,
      h3_cell: order.h3_cell,
      items: order.items,
      placed_at: order.placed_at.toISOString(),
      ready_at: order.ready_at.toISOString(),
      promised_at: order.promised_at.toISOString(),
      records: records.map((r) => ({ topic: r.topic, key: r.key, event: r.event, headers: r.headers ?? {} })),
    })),
  );
  const result = await sql<{ n: number; store_found: boolean; inserted: boolean }>`
    select n, store_found, inserted from place_orders(${input}::jsonb, ${OUTBOX_CHANNEL})
  `.execute(db);
  const outcomes = new Array<PlaceOutcome>(orders.length);
  for (const { n, store_found, inserted } of result.rows) {
    outcomes[n] = { kind: !store_found ? 'store_not_found' : inserted ? 'inserted' : 'key_taken' };
  }
  return outcomes;
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

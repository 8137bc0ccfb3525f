import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, OrdersTable, StoredStop } from '../db/schema.ts';
import type { OutgoingRecord } from '../eventbus/event-bus.ts';
import { OUTBOX_CHANNEL, outboxRowsParam } from '../outbox/outbox.ts';

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

/** What `placeOrderOnce` found: the new row, or why there is none. */
export type PlaceOutcome = { kind: 'inserted'; order: OrderRow } | { kind: 'store_not_found' } | { kind: 'key_taken' };

/**
 * POST /orders in ONE statement (one round trip, atomic as any single statement is): checks the store exists,
 * inserts the order unless its idempotency key is taken (`ON CONFLICT DO NOTHING`, race-safe as in
 * `insertOrderOnce`), inserts `records` into the outbox only when the order was inserted (same statement, so same
 * transaction), and queues the relay's `pg_notify` (delivered on commit). `records` must describe the row being
 * inserted (its id is chosen by the caller). On `key_taken` the holder is read with `findOrderByIdempotencyKey` in a
 * NEW statement: this statement's snapshot predates the holder's commit, a later one sees it.
 */
export async function placeOrderOnce(
  db: Db,
  row: {
    id: string;
    store_id: string;
    idempotency_key: string | null;
    request_hash: string | null;
    drop_lat: number;
    drop_lon: number;
    h3_cell: string;
    items: string;
    placed_at: Date;
    ready_at: Date;
    promised_at: Date;
  },
  records: readonly OutgoingRecord[],
): Promise<PlaceOutcome> {
  const result = await sql<OrderRow & { store_found: string | null }>`
    with s as (select id from stores where id = ${row.store_id}::uuid),
    ins as (
      insert into orders (id, store_id, idempotency_key, request_hash, drop_lat, drop_lon, h3_cell, items, status, placed_at, ready_at, promised_at, updated_at)
      select ${row.id}::uuid, s.id, ${row.idempotency_key}::text, ${row.request_hash}::text, ${row.drop_lat}::float8, ${row.drop_lon}::float8,
             ${row.h3_cell}::text, ${row.items}::jsonb, 'placed'::text, ${row.placed_at}::timestamptz, ${row.ready_at}::timestamptz,
             ${row.promised_at}::timestamptz, ${row.placed_at}::timestamptz
      from s
      on conflict (idempotency_key) do nothing
      returning *
    ),
    ob as (
      insert into outbox (topic, key, event, headers)
      select r.rec->>'topic', r.rec->>'key', r.rec->'event', r.rec->'headers'
      from jsonb_array_elements(${outboxRowsParam(records)}::jsonb) with ordinality as r(rec, n)
      where exists (select 1 from ins)
      order by r.n
      returning 1
    )
    select s.id as store_found, ins.*, case when ins.id is not null then pg_notify(${OUTBOX_CHANNEL}, '') end as notified
    from (select 1) as one left join s on true left join ins on true
  `.execute(db);
  const r = result.rows[0];
  if (!r || r.store_found === null) return { kind: 'store_not_found' };
  if (r.id === null) return { kind: 'key_taken' };
  const { store_found: _found, notified: _notified, ...order } = r as OrderRow & { store_found: string | null; notified?: unknown };
  return { kind: 'inserted', order: order as OrderRow };
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

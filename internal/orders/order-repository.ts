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

/** What `placeOrdersOnce` found for one order: the new row, or why there is none. */
export type PlaceOutcome = { kind: 'inserted'; order: OrderRow } | { kind: 'store_not_found' } | { kind: 'key_taken' };

/** One order for `placeOrdersOnce`, with the outbox records that describe it (its id is chosen by the caller). */
export interface OrderToPlace {
  row: {
    id: string;
    store_id: string;
    idempotency_key: string | null;
    request_hash: string | null;
    /** SHA-256 of the order's read token (internal/auth/token.ts), or null for none. */
    read_token_hash: string | null;
    drop_lat: number;
    drop_lon: number;
    h3_cell: string;
    items: unknown[];
    placed_at: Date;
    ready_at: Date;
    promised_at: Date;
  };
  records: readonly OutgoingRecord[];
}

/**
 * POST /orders for one or many orders in ONE statement (one round trip, atomic as any single statement is): per
 * order, checks the store exists, inserts the order unless its idempotency key is taken (`ON CONFLICT DO NOTHING`,
 * race-safe — `ON CONFLICT DO NOTHING` on the unique key: of concurrent inserts with one key exactly one succeeds — also between two orders of one call: the second is skipped), inserts its
 * records into the outbox only when it was inserted (same statement, so same transaction; ids in order, then record
 * order), and queues the relay's `pg_notify` once (delivered on commit). Answers one outcome per order, in order.
 * On `key_taken` read the holder with `findOrderByIdempotencyKey` in a NEW statement: this statement's snapshot may
 * predate the holder's commit, a later one sees it.
 */
export async function placeOrdersOnce(db: Db, orders: readonly OrderToPlace[]): Promise<PlaceOutcome[]> {
  if (orders.length === 0) return [];
  const input = JSON.stringify(
    orders.map(({ row, records }, n) => ({
      ...row,
      n,
      placed_at: row.placed_at.toISOString(),
      ready_at: row.ready_at.toISOString(),
      promised_at: row.promised_at.toISOString(),
      records: records.map((r) => ({ topic: r.topic, key: r.key, event: r.event, headers: r.headers ?? {} })),
    })),
  );
  const result = await sql<OrderRow & { n: number; store_found: string | null }>`
    with input as (
      select * from jsonb_to_recordset(${input}::jsonb) as x(
        n int, id uuid, store_id uuid, idempotency_key text, request_hash text, read_token_hash text, drop_lat float8, drop_lon float8,
        h3_cell text, items jsonb, placed_at timestamptz, ready_at timestamptz, promised_at timestamptz, records jsonb)
    ),
    ins as (
      insert into orders (id, store_id, idempotency_key, request_hash, read_token_hash, drop_lat, drop_lon, h3_cell, items, status, placed_at, ready_at, promised_at, updated_at)
      select i.id, s.id, i.idempotency_key, i.request_hash, i.read_token_hash, i.drop_lat, i.drop_lon, i.h3_cell, i.items, 'placed', i.placed_at, i.ready_at, i.promised_at, i.placed_at
      from input i join stores s on s.id = i.store_id
      order by i.n
      on conflict (idempotency_key) do nothing
      returning *
    ),
    ob as (
      insert into outbox (topic, key, event, headers)
      select r.rec->>'topic', r.rec->>'key', r.rec->'event', r.rec->'headers'
      from input i join ins on ins.id = i.id cross join lateral jsonb_array_elements(i.records) with ordinality as r(rec, k)
      order by i.n, r.k
      returning 1
    ),
    notified as (select pg_notify(${OUTBOX_CHANNEL}, '') as x where exists (select 1 from ins))
    select i.n, s.id as store_found, ins.*
    from input i left join stores s on s.id = i.store_id left join ins on ins.id = i.id
    left join notified on true
    order by i.n
  `.execute(db);
  const outcomes: PlaceOutcome[] = [];
  for (const r of result.rows) {
    if (r.store_found === null) outcomes.push({ kind: 'store_not_found' });
    else if (r.id === null) outcomes.push({ kind: 'key_taken' });
    else {
      const { n: _n, store_found: _found, ...order } = r;
      outcomes.push({ kind: 'inserted', order: order as OrderRow });
    }
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

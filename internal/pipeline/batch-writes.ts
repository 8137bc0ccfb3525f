/**
 * A dispatch round's batch rows and memberships, one statement of each kind for the whole round. Under load a round
 * changes dozens of batches; written one batch at a time (insert or update, delete and insert its memberships, its
 * orders' paths) they were most of the worker's Postgres statements and of its time in socket writes
 * (bench/results/dispatch.md, issue 16). Each statement takes its rows as one jsonb parameter, typed by the table
 * (`jsonb_populate_recordset`), so a round of any size is one statement — no bind-parameter limit.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

type Trx = Transaction<Database>;

/** `rows` as a set of records of `table`'s row type: one jsonb parameter, whatever the number of rows. */
const recordsOf = (table: keyof Database, rows: readonly object[]) =>
  sql`jsonb_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::jsonb)`;

/** A batch row the round opened. */
export interface OpenedBatchRow {
  id: string;
  store_id: string;
  path_id: string;
  status: 'open';
  capacity: number;
  opened_at: Date;
  window_closes_at: Date;
  estimated_cost_s: number;
  latest_departure_at: Date;
  ready_at: Date;
  order_count: number;
  updated_at: Date;
}

/** What a round changes on a batch it already had. */
export type ChangedBatchRow = Pick<
  OpenedBatchRow,
  'id' | 'estimated_cost_s' | 'latest_departure_at' | 'ready_at' | 'order_count' | 'updated_at'
>;

/** One order's place in a batch. */
export interface MembershipRow {
  batch_id: string;
  order_id: string;
  sequence: number;
  detour_s: number;
  added_at: Date;
}

/** Inserts the batches the round opened and updates the ones it changed. */
export async function writeBatchRows(
  trx: Trx,
  opened: readonly OpenedBatchRow[],
  changed: readonly ChangedBatchRow[],
): Promise<void> {
  if (opened.length > 0) {
    await sql`
      insert into batches (id, store_id, path_id, status, capacity, opened_at, window_closes_at, estimated_cost_s,
                           latest_departure_at, ready_at, order_count, updated_at)
      select id, store_id, path_id, status, capacity, opened_at, window_closes_at, estimated_cost_s,
             latest_departure_at, ready_at, order_count, updated_at
      from ${recordsOf('batches', opened)}`.execute(trx);
  }
  if (changed.length > 0) {
    await sql`
      update batches b
      set estimated_cost_s = q.estimated_cost_s, latest_departure_at = q.latest_departure_at, ready_at = q.ready_at,
          order_count = q.order_count, updated_at = q.updated_at
      from ${recordsOf('batches', changed)} q
      where b.id = q.id`.execute(trx);
  }
}

/**
 * Replaces the memberships of `batchIds` with `rows` (every old membership goes first, so an order moving between two
 * of these batches never meets the one-batch-per-order constraint half-way).
 */
export async function replaceMemberships(
  trx: Trx,
  batchIds: readonly string[],
  rows: readonly MembershipRow[],
): Promise<void> {
  if (batchIds.length === 0) return;
  await sql`
    delete from batch_orders
    where batch_id in (select jsonb_array_elements_text(${JSON.stringify(batchIds)}::jsonb)::uuid)`.execute(trx);
  if (rows.length === 0) return;
  await sql`
    insert into batch_orders (batch_id, order_id, sequence, detour_s, added_at)
    select batch_id, order_id, sequence, detour_s, added_at
    from ${recordsOf('batch_orders', rows)}`.execute(trx);
}

/** Sets each order's hot path (`orders.path_id`): the path of the batch it joined. */
export async function setOrderPaths(trx: Trx, rows: ReadonlyArray<{ id: string; path_id: string }>): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    update orders o set path_id = q.path_id
    from ${recordsOf('orders', rows)} q
    where o.id = q.id`.execute(trx);
}

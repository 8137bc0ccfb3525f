/**
 * `path_provision_requests` (migrations/0004_pipeline.sql): one row per (store, cell) whose hot path is being built.
 * Typed here with Kysely's `withTables`, next to the only code that uses it.
 */
import type { ColumnType, Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface PathProvisionRequestsTable {
  store_id: string;
  h3_cell: string;
  requested_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

type Db = Kysely<Database> | Transaction<Database>;
const withRequests = (db: Db) => db.withTables<{ path_provision_requests: PathProvisionRequestsTable }>();

/** Records a pending request; true only for the caller that created it (who then emits `path.provision`). */
export async function requestPath(db: Db, storeId: string, cell: string, at: Date): Promise<boolean> {
  const row = await withRequests(db)
    .insertInto('path_provision_requests')
    .values({ store_id: storeId, h3_cell: cell, requested_at: at })
    .onConflict((oc) => oc.doNothing())
    .returning('h3_cell')
    .executeTakeFirst();
  return row !== undefined;
}

/** Clears the request once the path exists and is indexed. */
export async function clearPathRequest(db: Db, storeId: string, cell: string): Promise<void> {
  await withRequests(db)
    .deleteFrom('path_provision_requests')
    .where('store_id', '=', storeId)
    .where('h3_cell', '=', cell)
    .execute();
}

/** Moves a pending request's time to `at` (a retry was just asked for, or the path cannot be built for now). */
export async function touchPathRequest(
  db: Db,
  storeId: string,
  cell: string,
  at: Date,
  onlyIfBefore?: Date,
): Promise<boolean> {
  let query = withRequests(db)
    .updateTable('path_provision_requests')
    .set({ requested_at: at })
    .where('store_id', '=', storeId)
    .where('h3_cell', '=', cell);
  if (onlyIfBefore) query = query.where('requested_at', '<', onlyIfBefore);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Requests pending since before `before`, oldest first. */
export async function stalePathRequests(
  db: Db,
  before: Date,
  limit: number,
): Promise<Array<{ store_id: string; h3_cell: string }>> {
  return withRequests(db)
    .selectFrom('path_provision_requests')
    .select(['store_id', 'h3_cell'])
    .where('requested_at', '<', before)
    .orderBy('requested_at')
    .limit(limit)
    .execute();
}

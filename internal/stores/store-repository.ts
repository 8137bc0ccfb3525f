import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, StoresTable } from '../db/schema.ts';

export type StoreRow = Selectable<StoresTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** Inserts one store. */
export async function insertStore(db: Db, row: { id: string; name: string; lat: number; lon: number; h3_cell: string; created_at: Date }): Promise<StoreRow> {
  return db.insertInto('stores').values(row).returningAll().executeTakeFirstOrThrow();
}

/** One store by id, or undefined. */
export async function findStore(db: Db, id: string): Promise<StoreRow | undefined> {
  return db.selectFrom('stores').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Stores in creation order (id breaks ties), at most `limit`, after the cursor `after` (a store id) when given. */
export async function listStores(db: Db, limit: number, after?: string): Promise<StoreRow[]> {
  let query = db.selectFrom('stores').selectAll();
  if (after !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '>', eb.selectFrom('stores').select('created_at').where('id', '=', after)),
        eb.and([eb('created_at', '=', eb.selectFrom('stores').select('created_at').where('id', '=', after)), eb('id', '>', after)]),
      ]),
    );
  }
  return query.orderBy('created_at').orderBy('id').limit(limit).execute();
}

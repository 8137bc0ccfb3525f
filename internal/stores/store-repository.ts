import type { Kysely, Selectable, Transaction } from 'kysely';
import { olderThan, pageKeyAt, toPage, type Page, type PageRequest } from '../db/keyset-page.ts';
import type { Database, StoresTable } from '../db/schema.ts';

export type StoreRow = Selectable<StoresTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** Inserts one store. */
export async function insertStore(
  db: Db,
  row: { id: string; name: string; lat: number; lon: number; h3_cell: string; created_at: Date },
): Promise<StoreRow> {
  return db.insertInto('stores').values(row).returningAll().executeTakeFirstOrThrow();
}

/** One store by id, or undefined. */
export async function findStore(db: Db, id: string): Promise<StoreRow | undefined> {
  return db.selectFrom('stores').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Stores newest first (created_at, then id), as the other lists page (internal/db/keyset-page.ts). */
export async function listStores(db: Db, page: PageRequest): Promise<Page<StoreRow>> {
  let query = db.selectFrom('stores as s').selectAll('s').select(pageKeyAt('s.created_at').as('page_at'));
  if (page.after !== undefined) query = query.where(olderThan('s.created_at', 's.id', page.after));
  const rows = await query
    .orderBy('s.created_at', 'desc')
    .orderBy('s.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  return toPage(rows, page.limit, ({ page_at: _at, ...store }) => store);
}

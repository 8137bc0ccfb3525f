import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, RidersTable } from '../db/schema.ts';

export type RiderRow = Selectable<RidersTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** One rider by id; `forUpdate` locks the row until the transaction ends. */
export async function findRider(db: Db, id: string, forUpdate = false): Promise<RiderRow | undefined> {
  const query = db.selectFrom('riders').selectAll().where('id', '=', id);
  return (forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

/** The batch a rider currently carries (assigned or picked up), if any. */
export async function activeBatchOfRider(db: Db, riderId: string): Promise<string | null> {
  const row = await db
    .selectFrom('batches')
    .select('id')
    .where('rider_id', '=', riderId)
    .where('status', 'in', ['assigned', 'picked_up'])
    .executeTakeFirst();
  return row?.id ?? null;
}

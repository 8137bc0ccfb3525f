import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../platform/logger.ts';
import { createDatabase, type DatabaseHandle } from './database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.ts';
import { migrateUp } from './migrate.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';

let embedded: EmbeddedPostgres;
let handle: DatabaseHandle;

beforeAll(async () => {
  embedded = await startEmbeddedPostgres();
  await migrateUp(embedded.url, silentLogger);
  handle = createDatabase(embedded.url, { maxConnections: 8 });
}, scaledMs(60_000));

afterAll(async () => {
  await handle?.close();
  await embedded?.close();
});

describe('embedded Postgres (PGlite over the wire protocol)', () => {
  it('runs the same migrations as the real server', async () => {
    const tables = await sql<{
      tablename: string;
    }>`select tablename from pg_tables where schemaname = 'public'`.execute(handle.db);
    expect(tables.rows.map((t) => t.tablename)).toEqual(
      expect.arrayContaining(['outbox', 'orders', 'batches', 'riders', 'stores']),
    );
  });

  it('keeps concurrent parameterised queries and transactions from different connections apart', async () => {
    // Each query has a different parameter count, so an interleaved Parse/Bind would fail loudly; the transactions
    // running meanwhile must neither see nor block the others for good (pglite-socket's own server deadlocks here).
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        if (i % 4 === 3) {
          return handle.db.transaction().execute(async (trx) => {
            const row = await sql<{ n: number }>`select ${i}::int as n`.execute(trx);
            await sql`select pg_sleep(0.001)`.execute(trx);
            return Number(row.rows[0]!.n) * 10;
          });
        }
        const values = Array.from({ length: (i % 7) + 1 }, (_, k) => i * 10 + k);
        const result = await sql<{ total: number }>`select (${sql.join(
          values.map((v) => sql`${v}::int`),
          sql` + `,
        )}) as total`.execute(handle.db);
        return Number(result.rows[0]!.total);
      }),
    );
    results.forEach((total, i) => {
      const expected =
        i % 4 === 3 ? i * 10 : Array.from({ length: (i % 7) + 1 }, (_, k) => i * 10 + k).reduce((a, b) => a + b, 0);
      expect(total).toBe(expected);
    });
  });

  it('isolates transactions: others wait, a rollback leaves nothing behind', async () => {
    const insertStore = (id: string) =>
      handle.db.insertInto('stores').values({ id, name: 'S', lat: 1, lon: 2, h3_cell: 'x' }).execute();
    const ids = Array.from({ length: 40 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    await Promise.all(
      ids.map((id, i) =>
        handle.db
          .transaction()
          .execute(async (trx) => {
            await trx.insertInto('stores').values({ id, name: 'T', lat: 1, lon: 2, h3_cell: 'x' }).execute();
            const seen = await trx.selectFrom('stores').select('id').where('id', '=', id).executeTakeFirst();
            expect(seen?.id).toBe(id);
            if (i % 2 === 1) throw new Error('roll back');
          })
          .catch((error: Error) => expect(error.message).toBe('roll back')),
      ),
    );
    await insertStore('00000000-0000-4000-9000-000000000001');
    const kept = await handle.db.selectFrom('stores').select('id').where('name', '=', 'T').execute();
    expect(kept.map((r) => r.id).sort()).toEqual(ids.filter((_, i) => i % 2 === 0).sort());
  });
});

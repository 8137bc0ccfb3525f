/** Migrations against a real Postgres: a fresh database per suite. */
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { silentLogger } from '../platform/logger.ts';
import { createDatabase } from './database.ts';
import { migrateUp } from './migrate.ts';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase('migrate');
});

afterAll(async () => {
  await testDb?.drop();
});

describe('migrateUp', () => {
  it('lets processes that start together migrate once: the others wait for the lock and find nothing to do', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => migrateUp(testDb.url, silentLogger)));
    const everyMigration = readdirSync(new URL('../../migrations/', import.meta.url))
      .filter((file) => file.endsWith('.sql'))
      .map((file) => file.replace(/\.sql$/, ''))
      .sort();
    expect(everyMigration[0]).toBe('0001_outbox');
    expect(runs.flat()).toEqual(everyMigration);
    expect(runs.filter((applied) => applied.length === 0)).toHaveLength(2);
    expect(await migrateUp(testDb.url, silentLogger)).toEqual([]);
  });

  it('creates the outbox with its partial index and processed_events with its composite key', async () => {
    await migrateUp(testDb.url, silentLogger);
    const client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
    try {
      const columns = await client.query<{
        table_name: string;
        column_name: string;
        data_type: string;
        is_nullable: string;
      }>(
        `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name IN ('outbox', 'processed_events') ORDER BY table_name, ordinal_position`,
      );
      expect(
        columns.rows.map(
          (c) => `${c.table_name}.${c.column_name} ${c.data_type}${c.is_nullable === 'YES' ? ' null' : ''}`,
        ),
      ).toEqual([
        'outbox.id bigint',
        'outbox.topic text',
        'outbox.key text',
        'outbox.event jsonb',
        'outbox.headers jsonb',
        'outbox.created_at timestamp with time zone',
        'outbox.published_at timestamp with time zone null',
        'outbox.attempts integer',
        'outbox.last_error text null',
        'processed_events.consumer_group text',
        'processed_events.event_id text',
        'processed_events.processed_at timestamp with time zone',
      ]);
      const index = await client.query<{ indexdef: string }>(
        `SELECT indexdef FROM pg_indexes WHERE indexname = 'outbox_unpublished_idx'`,
      );
      expect(index.rows[0]?.indexdef).toMatch(/WHERE \(published_at IS NULL\)/);
      const pk = await client.query<{ def: string }>(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'processed_events'::regclass AND contype = 'p'`,
      );
      expect(pk.rows[0]?.def).toBe('PRIMARY KEY (consumer_group, event_id)');
    } finally {
      await client.end();
    }
  });

  it('gives Kysely typed access: defaults fill in, jsonb round-trips, a duplicate processed event is refused', async () => {
    await migrateUp(testDb.url, silentLogger);
    const { db, close } = createDatabase(testDb.url);
    try {
      const event = {
        id: 'e-1',
        type: 'order.placed',
        occurredAt: '2025-01-01T00:00:00.000Z',
        payload: [1, { a: 'b' }],
      };
      const row = await db
        .insertInto('outbox')
        .values({ topic: 't', key: 'k', event: JSON.stringify(event) })
        .returningAll()
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        topic: 't',
        key: 'k',
        event,
        headers: {},
        attempts: 0,
        published_at: null,
        last_error: null,
      });
      expect(row.created_at).toBeInstanceOf(Date);
      expect(typeof row.id).toBe('string');

      await db.insertInto('processed_events').values({ consumer_group: 'g', event_id: 'e-1' }).execute();
      const again = await db
        .insertInto('processed_events')
        .values({ consumer_group: 'g', event_id: 'e-1' })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      expect(again.numInsertedOrUpdatedRows).toBe(0n);
    } finally {
      await close();
    }
  });
});

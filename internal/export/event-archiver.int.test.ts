/**
 * The archiving consumers on the real Postgres, with the in-process bus: every consumed message lands in
 * `event_archive` raw — a malformed one too, filed under its consumption time — and a redelivered message adds nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../db/database.ts';
import { migrateUp } from '../db/migrate.ts';
import { encodeEvent, type ReceivedMessage } from '../eventbus/event-bus.ts';
import { MemoryEventBus } from '../eventbus/memory-event-bus.ts';
import { record, topics } from '../events/catalog.ts';
import { silentLogger } from '../platform/logger.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { ARCHIVED_TOPICS, archiveMessage, startEventArchiver } from './event-archiver.ts';

let testDb: TestDatabase;
let database: DatabaseHandle;

beforeAll(async () => {
  testDb = await createTestDatabase('event_archive', {
    migrate: async (url) => void (await migrateUp(url, silentLogger)),
  });
  database = createDatabase(testDb.url);
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe('the event archive', () => {
  it('archives every domain topic but rider.location', () => {
    expect(ARCHIVED_TOPICS).not.toContain(topics.riderLocation.name);
    expect(ARCHIVED_TOPICS).toContain(topics.orderPlaced.name);
    expect(ARCHIVED_TOPICS).toHaveLength(Object.keys(topics).length - 1);
  });

  it('keeps consumed messages raw, malformed ones included', async () => {
    const bus = new MemoryEventBus();
    const fixed = Date.parse('2026-11-21T12:00:00Z');
    const archiver = await startEventArchiver({
      db: database.db,
      bus,
      clock: { now: () => fixed },
      logger: silentLogger,
      retry: { maxAttempts: 3, backoffMs: 10 },
    });
    try {
      const ready = record(
        'orderReady',
        'store-1',
        { orderId: 'o-1', storeId: 'store-1', readyMarkedAt: '2026-11-21T11:00:00Z' },
        new Date('2026-11-21T11:00:00Z'),
      );
      await bus.publish(ready.topic, ready.key, ready.event, { 'x-trace': 't1' });
      await bus.publishRaw('batch.updated', 'b-1', '{"id": ');
      const rows = await waitFor(
        async () => {
          const r = await database.db.selectFrom('event_archive').selectAll().orderBy('topic').execute();
          return r.length === 2 ? r : null;
        },
        { timeoutMs: 10_000, what: 'two archived messages' },
      );
      expect(rows.map((r) => [r.topic, r.key, r.value, r.event_id, r.event_type, r.headers])).toEqual([
        ['batch.updated', 'b-1', '{"id": ', null, null, {}],
        ['order.ready', 'store-1', encodeEvent(ready.event), ready.event.id, 'order.ready', { 'x-trace': 't1' }],
      ]);
      expect(rows[0]!.event_at.getTime()).toBe(fixed);
      expect(rows[1]!.occurred_at?.toISOString()).toBe('2026-11-21T11:00:00.000Z');
      expect(rows[1]!.event_at.toISOString()).toBe('2026-11-21T11:00:00.000Z');
      expect(rows[1]!.consumed_at.getTime()).toBe(fixed);
    } finally {
      await archiver.stop();
      await bus.close();
    }
  });

  it('archives a batch in one insert, and dead-letters a message it cannot store on its own', async () => {
    const bus = new MemoryEventBus();
    const archiver = await startEventArchiver({
      db: database.db,
      bus,
      clock: { now: () => Date.now() },
      logger: silentLogger,
      retry: { maxAttempts: 2, backoffMs: 10 },
    });
    const dead: ReceivedMessage[] = [];
    const dlq = await bus.subscribe('path.provisioned.dlq', 'test', async (m) => void dead.push(m));
    try {
      // Published in one turn, so the archiver gets them together; Postgres text cannot hold a NUL character.
      await Promise.all(
        ['{"n":1}', '{"n":2,"bad":"\u0000"}', '{"n":3}'].map((value) => bus.publishRaw('path.provisioned', 'k', value)),
      );
      const rows = await waitFor(
        async () => {
          const r = await database.db
            .selectFrom('event_archive')
            .select('value')
            .where('topic', '=', 'path.provisioned')
            .orderBy('value')
            .execute();
          return r.length === 2 && dead.length === 1 ? r : null;
        },
        { timeoutMs: 10_000, what: 'two archived messages and one dead letter' },
      );
      expect(rows.map((r) => r.value)).toEqual(['{"n":1}', '{"n":3}']);
      const letter = JSON.parse(dead[0]!.value) as { payload: { originalTopic: string; reason: string } };
      expect(letter.payload.originalTopic).toBe('path.provisioned');
      expect(letter.payload.reason).toMatch(/0x00|null character|invalid byte/i);
    } finally {
      await dlq.close();
      await archiver.stop();
      await bus.close();
    }
  });

  it('adds nothing for a redelivery, but keeps other bytes at a reused offset', async () => {
    const message: ReceivedMessage = {
      topic: 'order.updated',
      key: 'k',
      value: '{"a":1}',
      headers: {},
      partition: 2,
      offset: '41',
    };
    expect(await archiveMessage(database.db, message, new Date())).toBe(true);
    expect(await archiveMessage(database.db, { ...message }, new Date())).toBe(false);
    expect(await archiveMessage(database.db, { ...message, value: '{"a":2}' }, new Date())).toBe(true);
    const rows = await database.db.selectFrom('event_archive').select('value').where('offset', '=', '41').execute();
    expect(rows.map((r) => r.value).sort()).toEqual(['{"a":1}', '{"a":2}']);
  });
});

/**
 * The worker as `npm run worker` runs it: composed from configuration against a fresh Postgres database and the
 * test Kafka. An event enqueued in a committed transaction reaches a Kafka consumer through the outbox relay.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../internal/config/config.ts';
import { createDatabase } from '../../internal/db/database.ts';
import { createEventBus } from '../../internal/eventbus/create-event-bus.ts';
import type { Event } from '../../internal/eventbus/event-bus.ts';
import { enqueue } from '../../internal/outbox/outbox.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { deleteTopics, testKafkaBrokers, uniqueTopic } from '../../tests/support/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { composeWorker } from './worker.ts';

let testDb: TestDatabase;
const topic = uniqueTopic('worker.outbox');

beforeAll(async () => {
  testDb = await createTestDatabase('worker');
});

afterAll(async () => {
  await testDb?.drop();
  await deleteTopics([topic]);
});

describe('composeWorker', () => {
  it('migrates, then relays committed outbox events to Kafka until cleanup', async () => {
    const config = loadConfig({
      DATABASE_URL: testDb.url,
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      LOG_LEVEL: 'silent',
    });
    const worker = await composeWorker(config, silentLogger);
    const consumerBus = createEventBus(config, silentLogger).bus;
    const app = createDatabase(testDb.url);
    try {
      await worker.start();
      const received: Event[] = [];
      await consumerBus.subscribe(
        topic,
        uniqueTopic('worker-test'),
        async (m) => void received.push(JSON.parse(m.value) as Event),
      );

      const event: Event = {
        id: randomUUID(),
        type: 'order.placed',
        occurredAt: new Date().toISOString(),
        payload: { order: 1 },
      };
      await app.db.transaction().execute((trx) => enqueue(trx, [{ topic, key: 'order-1', event }]));

      const deadline = Date.now() + 30_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(received).toEqual([event]);
      // The relay stamps published_at in the transaction that published, which may commit just after delivery.
      let row = await app.db.selectFrom('outbox').select(['published_at', 'attempts']).executeTakeFirstOrThrow();
      for (let i = 0; i < 100 && row.published_at === null; i++) {
        await new Promise((r) => setTimeout(r, 50));
        row = await app.db.selectFrom('outbox').select(['published_at', 'attempts']).executeTakeFirstOrThrow();
      }
      expect(row.published_at).toBeInstanceOf(Date);
      expect(row.attempts).toBe(1);
    } finally {
      await consumerBus.close();
      await worker.cleanup();
      await app.close();
    }
  });
});

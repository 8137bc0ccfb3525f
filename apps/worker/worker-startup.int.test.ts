/**
 * The worker started before its broker: start-up waits the broker out (retrying what kafkajs marks retriable) and the
 * worker becomes ready, and does its job, once the broker comes up. Then the broker is killed (-9) under the running
 * worker and restarted: the worker's consumers crash and are replaced, and an event committed to the outbox during
 * the outage is relayed once the broker is back — no exit, no manual step. A private broker is used, so that the
 * shared one on :9092 is never stopped.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../internal/config/config.ts';
import { createDatabase } from '../../internal/db/database.ts';
import { createEventBus } from '../../internal/eventbus/create-event-bus.ts';
import type { Event } from '../../internal/eventbus/event-bus.ts';
import { enqueue } from '../../internal/outbox/outbox.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { pino } from 'pino';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { privateKafka, type PrivateKafka } from '../../tests/support/private-kafka.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { composeWorker } from './worker.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';

let testDb: TestDatabase;
let kafka: PrivateKafka;

beforeAll(async () => {
  [testDb, kafka] = await Promise.all([createTestDatabase('worker_startup'), privateKafka()]);
});

afterAll(async () => {
  await testDb?.drop();
  await kafka?.destroy();
});

describe('worker start-up', () => {
  it(
    'started before the broker, becomes ready when the broker comes up and relays events',
    async () => {
      const config = loadConfig({
        DATABASE_URL: testDb.url,
        KAFKA_BROKERS: kafka.brokers.join(','),
        LOG_LEVEL: 'silent',
      });
      // The worker's log lines (messages only), to wait for its consumers to notice the broker is gone.
      const logged: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line).msg) });
      const worker = await composeWorker(config, logger);
      let ready = false;
      let failure: unknown;
      const starting = worker.start().then(
        () => {
          ready = true;
        },
        (error: unknown) => {
          failure = error;
        },
      );
      try {
        // The broker is not there: start-up must keep waiting, not fail.
        await new Promise((r) => setTimeout(r, 2_000));
        expect(failure).toBeUndefined();
        expect(ready).toBe(false);

        await kafka.start();
        await starting;
        expect(failure).toBeUndefined();
        expect(ready).toBe(true);

        // And it works: an event committed to the outbox reaches a consumer on the broker that came up late.
        const consumerBus = createEventBus(config, silentLogger).bus;
        const db = createDatabase(testDb.url);
        try {
          const topic = `worker-startup.${randomUUID()}`;
          const received: Event[] = [];
          await consumerBus.subscribe(
            topic,
            'worker-startup-test',
            async (m) => void received.push(JSON.parse(m.value) as Event),
          );
          const event: Event = {
            id: randomUUID(),
            type: 'order.placed',
            occurredAt: new Date().toISOString(),
            payload: { order: 1 },
          };
          await db.db.transaction().execute((trx) => enqueue(trx, [{ topic, key: 'order-1', event }]));
          await waitFor(() => received.length > 0, { timeoutMs: 30_000, what: 'the relayed event' });
          expect(received).toEqual([event]);

          // The broker killed under the running worker: its consumers crash and are replaced once it is back.
          await kafka.stop({ hard: true });
          const during: Event = { ...event, id: randomUUID(), payload: { order: 2 } };
          await db.db.transaction().execute((trx) => enqueue(trx, [{ topic, key: 'order-2', event: during }]));
          await waitFor(() => logged.includes('kafka consumer crashed; replacing it'), {
            timeoutMs: 120_000,
            what: "the worker's consumers to notice the broker is gone",
          });
          await kafka.start();
          await waitFor(() => received.some((e) => e.id === during.id), {
            timeoutMs: 120_000,
            what: 'the event committed during the outage, relayed after it',
          });
          await waitFor(() => logged.includes('kafka consumer replaced after a crash'), {
            timeoutMs: 120_000,
            what: "the worker's consumers replaced",
          });
          expect(failure).toBeUndefined();
        } finally {
          await consumerBus.close();
          await db.close();
        }
      } finally {
        await starting;
        await worker.cleanup();
      }
    },
    scaledMs(300_000),
  );
});

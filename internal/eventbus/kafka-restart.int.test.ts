/**
 * The broker killed (-9) and restarted under a running bus: the consumer crashes, is replaced with backoff until the
 * broker is back, and resumes at its committed offset; a publish made during the outage is retried until it lands;
 * nothing is lost and nothing throws out of the process. A private broker (tests/support/private-kafka.ts) is killed,
 * never the shared one on :9092.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateKafka, type PrivateKafka } from '../../tests/support/private-kafka.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { Inbox, makeEvent } from './event-bus.contract.ts';
import type { Event } from './event-bus.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';
import { consume } from './middleware.ts';

let kafka: PrivateKafka;

beforeAll(async () => {
  kafka = await privateKafka();
  await kafka.start();
}, scaledMs(200_000));

afterAll(async () => {
  await kafka?.destroy();
});

/** A pino logger whose lines are kept (messages only), to wait on what the bus reports. */
function recordingLogger() {
  const messages: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void messages.push(JSON.parse(line).msg) });
  return { logger, messages };
}

/**
 * A bus on the private broker that outlasts its restarts: deadlines of minutes, and few kafkajs-level retries, so the
 * consumer crashes soon after the broker goes (what the tests wait for) and the supervisor must bring it back.
 */
function restartingBus(clientId: string, logger: pino.Logger): KafkaEventBus {
  return new KafkaEventBus({
    brokers: kafka.brokers,
    clientId,
    partitions: 2,
    logger,
    redeliveryDelayMs: 50,
    startDeadlineMs: scaledMs(180_000),
    publishDeadlineMs: scaledMs(180_000),
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
}

describe('KafkaEventBus across a broker restart', () => {
  it(
    'replaces a crashed consumer, retries a publish made during the outage, and loses nothing',
    async () => {
      const { logger, messages } = recordingLogger();
      const bus = restartingBus('deliverygo-restart-test', logger);
      const topic = `restart.${randomUUID()}`;
      const plain = new Inbox<string>();
      const viaMiddleware = new Inbox<string>();
      const dead = new Inbox<string>();
      try {
        await bus.subscribe(topic, 'plain', async (m) => plain.push((JSON.parse(m.value) as Event).id));
        // The usual chain, with its retry budget: events published around the outage are handled, none dead-lettered.
        await consume(bus, {
          topic,
          group: 'middleware',
          maxAttempts: 3,
          backoffMs: 50,
          maxBackoffMs: 1_000,
          retryBudgetMs: 300_000,
          logger,
          handler: async (event) => viaMiddleware.push(event.id),
        });
        await bus.subscribe(`${topic}.dlq`, 'dlq-reader', async (m) => dead.push(m.value));
        const before = makeEvent('test.before', {});
        await bus.publish(topic, 'k', before);
        await plain.until((ids) => ids.includes(before.id), 'the event before the outage', 60_000);

        await kafka.stop({ hard: true });
        await waitFor(() => messages.includes('kafka consumer crashed; replacing it'), {
          timeoutMs: 120_000,
          what: 'a consumer to crash with its broker gone',
        });
        const during = makeEvent('test.during', {});
        let published = false;
        const publishing = bus.publish(topic, 'k', during).then(() => {
          published = true;
        });
        await waitFor(() => messages.some((m) => m.includes('transient failure, retrying')), {
          timeoutMs: 60_000,
          what: 'the publish to be retried',
        });
        expect(published).toBe(false);

        await kafka.start();
        await publishing;
        const after = makeEvent('test.after', {});
        await bus.publish(topic, 'k', after);

        const all = [before.id, during.id, after.id];
        await plain.until((ids) => all.every((id) => ids.includes(id)), 'every event, plain consumer', 120_000);
        await viaMiddleware.until((ids) => all.every((id) => ids.includes(id)), 'every event, middleware', 120_000);
        expect(messages).toContain('kafka consumer replaced after a crash');
        // At-least-once: a redelivery is allowed, a loss is not; and the outage sent nothing to the DLQ.
        expect(new Set(plain.items)).toEqual(new Set(all));
        expect(dead.items).toEqual([]);
      } finally {
        await bus.close();
      }
    },
    scaledMs(600_000),
  );

  it(
    'comes back from a fresh broker (data lost): topics are created again, the producer and the consumer resume',
    async () => {
      const { logger, messages } = recordingLogger();
      const bus = restartingBus('deliverygo-fresh-broker-test', logger);
      const topic = `fresh.${randomUUID()}`;
      const received = new Inbox<string>();
      try {
        await bus.subscribe(topic, 'plain', async (m) => received.push((JSON.parse(m.value) as Event).id));
        const before = makeEvent('test.before', {});
        await bus.publish(topic, 'k', before);
        await received.until((ids) => ids.includes(before.id), 'the event before the wipe', 60_000);

        await kafka.wipe();
        await waitFor(() => messages.includes('kafka consumer crashed; replacing it'), {
          timeoutMs: 120_000,
          what: 'the consumer to crash with its broker gone',
        });
        await kafka.start();
        const after = makeEvent('test.after', {});
        await bus.publish(topic, 'k', after);
        await received.until((ids) => ids.includes(after.id), 'the event published to the fresh broker', 120_000);
        expect(messages).toContain('kafka consumer replaced after a crash');
      } finally {
        await bus.close();
      }
    },
    scaledMs(600_000),
  );
});

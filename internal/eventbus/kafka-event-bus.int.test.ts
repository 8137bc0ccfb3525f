import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../platform/logger.ts';
import { testKafka, testKafkaBrokers, uniqueTopic } from '../../tests/support/kafka.ts';
import { eventBusContract, Inbox, makeEvent } from './event-bus.contract.ts';
import { KafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus.ts';
import { consume } from './middleware.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';

// Errors only: the contract makes handlers fail on purpose, and each failure is a warning.
const logger = createLogger('error', 'eventbus-kafka-test');
const quiet = createLogger('silent');

const options = (overrides: Partial<KafkaEventBusOptions> = {}): KafkaEventBusOptions => ({
  brokers: testKafkaBrokers(),
  clientId: 'deliverygo-eventbus-test',
  partitions: 3,
  logger,
  redeliveryDelayMs: 50,
  ...overrides,
});

eventBusContract('kafka', { persistent: true, partitions: 3, waitMs: 30_000 }, () => new KafkaEventBus(options()));

describe('KafkaEventBus', () => {
  const admin = testKafka('deliverygo-eventbus-test-admin').admin();
  afterAll(() => admin.disconnect());

  it('creates a topic on first publish with the configured partition count, and keys spread over them', async () => {
    const bus = new KafkaEventBus(options({ partitions: 5 }));
    const topic = uniqueTopic('eventbus.created');
    try {
      await bus.publishAll(
        Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i}`, event: makeEvent('t', { i }) })),
      );
      await admin.connect();
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0]!.partitions).toHaveLength(5);
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(20);
      expect(offsets.filter((p) => Number(p.high) > 0).length).toBeGreaterThan(1);
    } finally {
      await bus.close();
    }
  });

  it(
    'subscribes to a topic it has only just created, many times in a row, without failing',
    async () => {
      // A new topic's partitions have no leader for a moment ("This server does not host this topic-partition"):
      // kafkajs marks that retriable, and subscribe must wait it out rather than give up.
      const bus = new KafkaEventBus(options());
      try {
        for (let round = 0; round < 12; round++) {
          const topic = uniqueTopic(`eventbus.fresh-${round}`);
          const inbox = new Inbox<string>();
          await bus.subscribe(topic, uniqueTopic('g'), async (m) => void inbox.push(m.value));
          const event = makeEvent('t', { round });
          await bus.publish(topic, 'k', event);
          await inbox.until((items) => items.length > 0, `round ${round}'s event`, 30_000);
          expect(JSON.parse(inbox.items[0]!)).toMatchObject({ id: event.id });
        }
      } finally {
        await bus.close();
      }
    },
    scaledMs(240_000),
  );

  it('fails subscribe with a clear error when the broker cannot be reached before the start deadline', async () => {
    const bus = new KafkaEventBus(
      options({
        logger: quiet,
        brokers: ['127.0.0.1:1'],
        startDeadlineMs: 1_500,
        retry: { retries: 1, initialRetryTime: 100 },
      }),
    );
    try {
      await expect(bus.subscribe(uniqueTopic('eventbus.unreachable'), 'g', async () => {})).rejects.toThrow(
        /cannot consume .* ECONNREFUSED/,
      );
    } finally {
      await bus.close();
    }
  });

  it('rejects publishing once closed', async () => {
    const bus = new KafkaEventBus(options());
    await bus.close();
    await expect(bus.publish(uniqueTopic('eventbus.closed'), 'k', makeEvent('t', {}))).rejects.toMatchObject({
      slug: 'eventbus.closed',
    });
  });

  it('keeps the group session alive while a handler runs longer than the session timeout', async () => {
    // kafkajs heartbeats only between messages; without the adapter's keep-alive the member is evicted mid-handler,
    // its commit fails and the message is delivered a second time.
    const bus = new KafkaEventBus(options({ sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 }));
    const topic = uniqueTopic('eventbus.slow');
    try {
      const slow = makeEvent('t', { slow: true });
      const next = makeEvent('t', { slow: false });
      const seen = new Inbox<string>();
      await bus.subscribe(topic, uniqueTopic('g'), async (m) => {
        const { id } = JSON.parse(m.value) as { id: string };
        seen.push(id);
        if (id === slow.id) await new Promise((resolve) => setTimeout(resolve, 7_500));
      });
      await bus.publish(topic, 'k', slow);
      await bus.publish(topic, 'k', next);
      await seen.until((items) => items.includes(next.id), 'the message after the slow one', 30_000);
      expect(seen.items).toEqual([slow.id, next.id]);
    } finally {
      await bus.close();
    }
  });

  it(
    'a member waiting out an outage does not hold up a rebalance: it gives the delivery up, re-joins, and the event is handled once the outage ends',
    async () => {
      // kafkajs can re-join only between messages. With a rebalance timeout of 60 s, a member stuck in a minutes-long
      // retry would keep a new member waiting that long; the adapter aborts the delivery when the heartbeat says
      // "rebalancing", so the join completes at once and the message, never committed, is delivered again.
      const a = new KafkaEventBus(options({ logger: quiet, rebalanceTimeoutMs: 60_000 }));
      const b = new KafkaEventBus(options({ logger: quiet, rebalanceTimeoutMs: 60_000 }));
      const topic = uniqueTopic('eventbus.rebalance-during-retry');
      const group = uniqueTopic('g');
      let outage = true;
      const attempts = new Inbox<string>();
      const handled = new Inbox<string>();
      const dead = new Inbox<string>();
      const consumeWith = (bus: KafkaEventBus) =>
        consume(bus, {
          topic,
          group,
          maxAttempts: 2,
          backoffMs: 50,
          maxBackoffMs: 500,
          retryBudgetMs: 600_000,
          logger: quiet,
          handler: async (event) => {
            attempts.push(event.id);
            if (outage) throw Object.assign(new Error('Connection is closed.'), { name: 'Error' });
            handled.push(event.id);
          },
        });
      try {
        await a.subscribe(`${topic}.dlq`, uniqueTopic('dlq'), async (m) => dead.push(m.value));
        await consumeWith(a);
        const event = makeEvent('t', { n: 1 });
        await a.publish(topic, 'k', event);
        await attempts.until((items) => items.length >= 3, 'retries during the outage', 30_000);

        const joining = Date.now();
        await consumeWith(b);
        expect(Date.now() - joining).toBeLessThan(scaledMs(30_000));

        outage = false;
        await handled.until((items) => items.includes(event.id), 'the event after the outage', 60_000);
        expect(dead.items).toEqual([]);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    },
    scaledMs(180_000),
  );
});

import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../platform/logger.ts';
import { testKafka, testKafkaBrokers, uniqueTopic } from '../../tests/support/kafka.ts';
import { eventBusContract, Inbox, makeEvent } from './event-bus.contract.ts';
import { KafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus.ts';

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
      await bus.publishAll(Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i}`, event: makeEvent('t', { i }) })));
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

  it('fails subscribe with a clear error when the broker cannot be reached', async () => {
    const bus = new KafkaEventBus(options({ logger: quiet, brokers: ['127.0.0.1:1'], retry: { retries: 1, initialRetryTime: 100 } }));
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

  it('consumes a backlog at a useful rate', async () => {
    const bus = new KafkaEventBus(options());
    const topic = uniqueTopic('eventbus.rate');
    try {
      const total = 2_000;
      await bus.publishAll(Array.from({ length: total }, (_, i) => ({ topic, key: `k${i % 30}`, event: makeEvent('t', { i }) })));
      const done = new Inbox<number>();
      let count = 0;
      const started = performance.now();
      await bus.subscribe(topic, uniqueTopic('g'), async () => {
        if (++count === total) done.push(count);
      });
      await done.until((items) => items.length > 0, 'the whole backlog', 30_000);
      const perSecond = total / ((performance.now() - started) / 1000);
      logger.info({ perSecond }, 'kafka consume rate');
      expect(perSecond).toBeGreaterThan(200);
    } finally {
      await bus.close();
    }
  });
});

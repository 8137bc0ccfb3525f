/**
 * The retry budget against a real outage: a consumer whose handler writes to Redis (through the geo store, with the
 * client options the services use) keeps retrying while Redis is cut off — far beyond BUS_MAX_ATTEMPTS, because the
 * driver's errors are recognised as a dependency outage — and handles the event once Redis is back; nothing is
 * dead-lettered. Then a silent Redis (no reset, no refusal: the command timeout) is waited out the same way. Redis is
 * cut for this test's client only, behind a TCP proxy; the shared server is never touched.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisGeoStore } from '../geostore/redis-geo-store.ts';
import { silentLogger } from '../platform/logger.ts';
import { createTestRedis, type TestRedis } from '../../tests/support/redis.ts';
import { startTcpProxy, type TcpProxy } from '../../tests/support/tcp-proxy.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';
import { Inbox, makeEvent, uniqueName } from './event-bus.contract.ts';
import { deadLetterTopic } from './event-bus.ts';
import { MemoryEventBus } from './memory-event-bus.ts';
import { consume } from './middleware.ts';

let redis: TestRedis;
let proxy: TcpProxy;
let geo: RedisGeoStore;

beforeAll(async () => {
  redis = await createTestRedis();
  const url = new URL(redis.url);
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
  // As internal/app/adapters.ts builds the geo store's client: fail fast while Redis is away, reconnect by itself.
  const client = new Redis(proxy.via(redis.url), {
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
  });
  client.on('error', () => undefined); // the outage is the point; the service logs these at debug
  geo = new RedisGeoStore(client, { prefix: redis.prefix }, true);
});

afterAll(async () => {
  await geo?.close();
  await proxy?.close();
  await redis?.cleanup();
});

describe('retry budget during a Redis outage', () => {
  it(
    'retries a handler past maxAttempts while Redis is cut off or silent, then handles the event; no dead letter',
    async () => {
      const bus = new MemoryEventBus({ logger: silentLogger });
      const topic = uniqueName('outage');
      const attempts = new Inbox<string>();
      const handled = new Inbox<string>();
      const dead = new Inbox<string>();
      await bus.subscribe(deadLetterTopic(topic), 'dlq-reader', async (m) => dead.push(m.value));
      await consume(bus, {
        topic,
        group: 'indexer',
        maxAttempts: 2,
        backoffMs: 20,
        maxBackoffMs: 200,
        retryBudgetMs: 120_000,
        logger: silentLogger,
        handler: async (event) => {
          attempts.push(event.id);
          await geo.indexPath(`path-${event.id}`, ['88283082b9fffff']);
          handled.push(event.id);
        },
      });
      const tries = (id: string) => attempts.items.filter((a) => a === id).length;

      const before = makeEvent('path.provision', {});
      await bus.publish(topic, 'store-1', before);
      await handled.until((ids) => ids.includes(before.id), 'the event before the outage', 10_000);

      for (const [outage, cutOff] of [
        ['cut off (connections reset, then refused)', () => proxy.cut()],
        ['silent (a partition: commands time out)', async () => proxy.blackhole()],
      ] as const) {
        await cutOff();
        const during = makeEvent('path.provision', { outage });
        await bus.publish(topic, 'store-1', during);
        await attempts.until(() => tries(during.id) >= 5, `five attempts while Redis is ${outage}`, 30_000);
        expect(handled.items).not.toContain(during.id);
        await proxy.restore();
        await handled.until((ids) => ids.includes(during.id), `the event once Redis is back (${outage})`, 30_000);
        expect(await geo.cellsOfPath(`path-${during.id}`)).toEqual(['88283082b9fffff']);
      }
      expect(dead.items).toEqual([]);
      await bus.close();
    },
    scaledMs(120_000),
  );
});

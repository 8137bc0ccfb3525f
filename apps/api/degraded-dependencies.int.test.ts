/**
 * Postgres, Redis or Kafka away → the API answers 503 `dependency.unavailable` with `Retry-After` within a few
 * seconds (no hang, no 500), and serves again by itself once the server is back. The outages are made with a TCP
 * proxy in front of the shared Postgres and Redis (cut and restored for this API only) and with a private Kafka
 * broker: the shared servers are never stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../internal/config/config.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { privateKafka, type PrivateKafka } from '../../tests/support/private-kafka.ts';
import { TEST_OPERATOR_AUTH, TEST_OPERATOR_KEY } from '../../tests/support/real-servers-env.ts';
import { createTestRedis, type TestRedis } from '../../tests/support/redis.ts';
import { startTcpProxy, type TcpProxy } from '../../tests/support/tcp-proxy.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { composeApi, type ApiRuntime } from './compose.ts';

interface Answer {
  status: number;
  body: any;
  retryAfter: string | null;
  ms: number;
}

const HERE = { lat: 43.7384, lon: 7.4246 };

/** An API on its own port with `env`; `call` answers status, body, Retry-After and how long the answer took. */
async function startApi(
  env: Record<string, string>,
): Promise<{ api: ApiRuntime; call(method: string, path: string, body?: unknown): Promise<Answer> }> {
  const api = await composeApi(
    loadConfig({ PORT: '0', LOG_LEVEL: 'silent', OPERATOR_KEY: TEST_OPERATOR_KEY, ...env }),
    silentLogger,
  );
  const { port } = await api.start();
  return {
    api,
    async call(method, path, body) {
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { ...TEST_OPERATOR_AUTH, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: text ? JSON.parse(text) : undefined,
        retryAfter: res.headers.get('retry-after'),
        ms: Date.now() - started,
      };
    },
  };
}

const ping = () => ({ ...HERE, recorded_at: new Date().toISOString() });

/** The outage answer: 503, the dependency named, `Retry-After` set, within `budgetMs` (scaled). */
function expectOutage(answer: Answer, dependency: string, budgetMs: number): void {
  expect(answer.status).toBe(503);
  expect(answer.body.error).toMatchObject({ code: 'dependency.unavailable', details: { dependency } });
  expect(Number(answer.retryAfter)).toBeGreaterThan(0);
  expect(answer.ms).toBeLessThan(scaledMs(budgetMs));
}

describe('Postgres and Redis away, then back', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let app: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    [db, redis] = await Promise.all([createTestDatabase('api_degraded'), createTestRedis()]);
    const pgUrl = new URL(db.url);
    const redisUrl = new URL(redis.url);
    [pgProxy, redisProxy] = await Promise.all([
      startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) }),
      startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) }),
    ]);
    app = await startApi({
      DATABASE_URL: pgProxy.via(db.url),
      REDIS_URL: redisProxy.via(redis.url),
      REDIS_KEY_PREFIX: redis.prefix,
    });
  });

  afterAll(async () => {
    await app?.api.cleanup();
    await Promise.all([pgProxy?.close(), redisProxy?.close()]);
    await Promise.all([db?.drop(), redis?.cleanup()]);
  });

  it('answers 503 with Retry-After while Postgres is away, and 2xx again once it is back', async () => {
    expect((await app.call('POST', '/stores', { name: 'Before', ...HERE })).status).toBe(201);
    await pgProxy.cut();
    expectOutage(await app.call('POST', '/stores', { name: 'During', ...HERE }), 'postgres', 5_000);
    expectOutage(await app.call('GET', '/stores'), 'postgres', 5_000);
    expectOutage(await app.call('GET', '/riders'), 'postgres', 5_000);

    await pgProxy.restore();
    const back = await waitFor(
      async () => {
        const res = await app.call('POST', '/stores', { name: 'After', ...HERE });
        expect(res.status).not.toBe(500);
        return res.status === 201 ? res : undefined;
      },
      { timeoutMs: 10_000, what: 'a store to be created after Postgres came back' },
    );
    expect(back.body.name).toBe('After');
    expect((await app.call('GET', '/stores')).body.items.map((s: { name: string }) => s.name)).toEqual([
      'After',
      'Before',
    ]);
  });

  it('answers 503 with Retry-After while Redis is away, and 202 again once it is back', async () => {
    const rider = await app.call('POST', '/riders', { name: 'Ada', ...HERE });
    expect(rider.status).toBe(201);
    const location = `/riders/${rider.body.id}/location`;
    expect((await app.call('POST', location, ping())).status).toBe(202);

    await redisProxy.cut();
    expectOutage(await app.call('POST', location, ping()), 'redis', 5_000);
    expectOutage(await app.call('GET', location), 'redis', 5_000);

    await redisProxy.restore();
    await waitFor(
      async () => {
        const res = await app.call('POST', location, ping());
        expect(res.status).not.toBe(500);
        return res.status === 202;
      },
      { timeoutMs: 15_000, what: 'a ping to be accepted after Redis came back' },
    );
    expect((await app.call('GET', location)).status).toBe(200);
  });

  it('answers 503 within the command timeout while Redis is silent (a partition: no reset, no refusal), and 202 once it answers', async () => {
    const rider = await app.call('POST', '/riders', { name: 'Cy', ...HERE });
    const location = `/riders/${rider.body.id}/location`;
    expect((await app.call('POST', location, ping())).status).toBe(202);

    redisProxy.blackhole();
    // REDIS_COMMAND_TIMEOUT_MS is 2 s: the request must not hang on the silent connection.
    expectOutage(await app.call('POST', location, ping()), 'redis', 5_000);

    await redisProxy.restore();
    await waitFor(
      async () => {
        const res = await app.call('POST', location, ping());
        expect(res.status).not.toBe(500);
        return res.status === 202;
      },
      { timeoutMs: 15_000, what: 'a ping to be accepted after Redis answered again' },
    );
  });
});

describe('Kafka away, then back', () => {
  let db: TestDatabase;
  let kafka: PrivateKafka;
  let app: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    [db, kafka] = await Promise.all([createTestDatabase('api_degraded_kafka'), privateKafka()]);
    await kafka.start();
    // The embedded geo store: only the bus is under test here.
    app = await startApi({ DATABASE_URL: db.url, KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_PARTITIONS: '1' });
  }, scaledMs(240_000));

  afterAll(async () => {
    await app?.api.cleanup();
    await kafka?.destroy();
    await db?.drop();
  });

  it(
    'answers a GPS ping 503 with Retry-After within the request deadline (not the bus deadline), and 202 once the broker is back',
    async () => {
      const rider = await app.call('POST', '/riders', { name: 'Bo', ...HERE });
      expect(rider.status).toBe(201);
      const location = `/riders/${rider.body.id}/location`;
      await waitFor(async () => (await app.call('POST', location, ping())).status === 202, {
        timeoutMs: 60_000,
        what: 'the first ping to be published',
      });

      await kafka.stop({ hard: true });
      // KAFKA_REQUEST_PUBLISH_DEADLINE_MS (3 s) plus slack, far below KAFKA_PUBLISH_DEADLINE_MS (30 s).
      expectOutage(await app.call('POST', location, ping()), 'kafka', 6_000);
      // While that publish is unacknowledged, further pings are refused at once instead of queueing.
      const next = await app.call('POST', location, ping());
      expectOutage(next, 'kafka', 6_000);
      expect(next.ms).toBeLessThan(scaledMs(1_000));
      expect(
        (await app.call('POST', '/riders/locations', { pings: [{ rider_id: rider.body.id, ...ping() }] })).status,
      ).toBe(503);

      await kafka.start();
      await waitFor(
        async () => {
          const res = await app.call('POST', location, ping());
          expect(res.status).not.toBe(500);
          return res.status === 202;
        },
        { timeoutMs: 90_000, what: 'a ping to be accepted after Kafka came back', intervalMs: 500 },
      );
    },
    scaledMs(300_000),
  );
});

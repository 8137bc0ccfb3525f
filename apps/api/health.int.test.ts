/**
 * The API as `npm run api` runs it — composed from configuration, listening on a real port — against a fresh
 * Postgres database and the test Redis and Kafka.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../internal/config/config.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { testKafkaBrokers } from '../../tests/support/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { testRedisUrl } from '../../tests/support/redis.ts';
import { composeApi, type ApiRuntime } from './compose.ts';

interface HealthBody {
  status: 'ok' | 'degraded';
  checks: Record<string, { adapter: string; status: 'up' | 'down'; latency_ms: number; error?: string }>;
}

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase('api_health');
});

afterAll(async () => {
  await testDb?.drop();
});

async function startApi(env: Record<string, string>): Promise<{ api: ApiRuntime; base: string }> {
  const config = loadConfig({ DATABASE_URL: testDb.url, HTTP_ADDR: '127.0.0.1:0', LOG_LEVEL: 'silent', ...env });
  const api = await composeApi(config, silentLogger);
  const { port } = await api.start();
  return { api, base: `http://127.0.0.1:${port}` };
}

describe('GET /health against real servers', () => {
  it('reports postgres (migrated at start), redis and kafka up, the straight-line router in-process', async () => {
    const { api, base } = await startApi({ REDIS_URL: testRedisUrl(), KAFKA_BROKERS: testKafkaBrokers().join(',') });
    try {
      const res = await fetch(`${base}/health`);
      const body = (await res.json()) as HealthBody;
      expect(body.checks.postgres).toMatchObject({ adapter: 'postgres', status: 'up' });
      expect(body.checks.postgres!.latency_ms).toBeGreaterThan(0);
      expect(body.checks.redis).toMatchObject({ adapter: 'redis', status: 'up' });
      expect(body.checks.bus).toMatchObject({ adapter: 'kafka', status: 'up' });
      expect(body.checks.router).toMatchObject({ adapter: 'straight-line', status: 'up' });
      expect(body.status).toBe('ok');
      expect(res.status).toBe(200);

      // composeApi migrated the fresh database before serving.
      const docs = await fetch(`${base}/docs`);
      expect(docs.status).toBe(200);
    } finally {
      await api.cleanup();
    }
    // Intake stopped: the port no longer answers.
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });

  it('answers 503 degraded, naming the dependency, when one is down', async () => {
    // Nothing listens on port 1: Redis is "down" while Postgres is up.
    const { api, base } = await startApi({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const res = await fetch(`${base}/health`);
      const body = (await res.json()) as HealthBody;
      expect(res.status).toBe(503);
      expect(body.status).toBe('degraded');
      expect(body.checks.postgres?.status).toBe('up');
      expect(body.checks.redis).toMatchObject({ adapter: 'redis', status: 'down' });
      expect(body.checks.redis?.error).toBeTruthy();
      expect(body.checks.bus).toMatchObject({ adapter: 'memory', status: 'up' });
    } finally {
      await api.cleanup();
    }
  });
});

/**
 * Redis for integration tests: suites share the server `npm run infra:up` provides and isolate themselves with a
 * unique key prefix, which `cleanup()` deletes.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** Used when TEST_REDIS_URL is unset. */
export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** The Redis server for tests (env TEST_REDIS_URL). */
export function testRedisUrl(): string {
  // Test-only setting: tests/support is allowed to read the environment (see CONTRIBUTING.md).
  return process.env.TEST_REDIS_URL || DEFAULT_TEST_REDIS_URL;
}

export interface TestRedis {
  /**
   * A connected client. It does NOT add the prefix by itself (ioredis' `keyPrefix` does not apply to SCAN/KEYS
   * patterns and would surprise adapters that take a prefix of their own): pass {@link TestRedis.prefix} to the code
   * under test, or build keys with {@link TestRedis.key}.
   */
  redis: Redis;
  /** `test:<random>:` — every key the suite writes must start with it. */
  prefix: string;
  /** The server URL the client is connected to. */
  url: string;
  /** `prefix + name`. */
  key(name: string): string;
  /** Deletes every key under the prefix, then closes the client. Safe to call more than once. */
  cleanup(): Promise<void>;
}

/**
 * Connects to the test Redis and hands out a unique key prefix.
 *
 * @example
 *   const r = await createTestRedis();
 *   afterAll(() => r.cleanup());
 *   await r.redis.set(r.key('rider:1'), 'idle');
 */
export async function createTestRedis(): Promise<TestRedis> {
  const url = testRedisUrl();
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 2 });
  await redis.connect();

  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    try {
      await deleteByPrefix(redis, prefix);
    } finally {
      // quit() resolves on the server's OK, before the socket has closed; wait for 'end' so nothing is left open.
      const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
      await redis.quit().catch(() => redis.disconnect());
      if (redis.status !== 'end') await ended;
    }
  };

  return { redis, prefix, url, key: (name) => prefix + name, cleanup };
}

/** Deletes all keys starting with `prefix` (SCAN, never KEYS, so a big shared server is not blocked). */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  const pattern = `${escapeGlob(prefix)}*`;
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Escapes Redis glob metacharacters so the prefix is matched literally. */
function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]^-]/g, '\\$&');
}

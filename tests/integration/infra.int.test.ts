/**
 * Proves the test-support helpers against the real servers from `npm run infra:up`: if these pass, a suite that
 * uses createTestDatabase / createTestRedis / uniqueTopic + createTopic is isolated and cleans up after itself.
 */
import { Partitioners } from 'kafkajs';
import type { Consumer, KafkaMessage, Producer } from 'kafkajs';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { assertInfraReachable, defaultInfraTargets } from '../support/integration-global-setup.ts';
import { createTopic, deleteTopics, listTopics, testKafka, testKafkaBrokers, uniqueTopic } from '../support/kafka.ts';
import { createTestDatabase, testDatabaseUrl } from '../support/postgres.ts';
import { createTestRedis, deleteByPrefix } from '../support/redis.ts';

/** Runs `sql` on the server's `test` database (not on a test database). */
async function queryAdmin<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const rows = await queryAdmin<{ n: number }>('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [name]);
  return rows[0]?.n === 1;
}

describe('createTestDatabase', () => {
  it('creates a fresh database reachable at its url, and drop() terminates its connections and removes it', async () => {
    const db = await createTestDatabase('Infra Check');
    expect(db.name).toMatch(/^infra_check_[0-9a-f]{12}$/);
    expect(new URL(db.url).pathname).toBe(`/${db.name}`);
    expect(await databaseExists(db.name)).toBe(true);

    const client = new pg.Client({ connectionString: db.url });
    const clientErrors: Error[] = [];
    client.on('error', (error) => clientErrors.push(error));
    await client.connect();
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    expect(rows[0]?.db).toBe(db.name);
    // A fresh database has no tables of ours: nothing leaks in from other suites.
    const tables = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
    expect(tables.rows[0]).toEqual({ n: 0 });
    await client.query('CREATE TABLE t (id int PRIMARY KEY)');
    await client.query('INSERT INTO t VALUES (1), (2)');
    expect((await client.query('SELECT count(*)::int AS n FROM t')).rows[0]).toEqual({ n: 2 });

    // The client above is still connected: drop() must terminate it rather than fail with "being accessed".
    await db.drop();
    expect(await databaseExists(db.name)).toBe(false);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => {});
    await db.drop(); // idempotent
  });

  it('gives every call its own database', async () => {
    const [a, b] = await Promise.all([createTestDatabase('infra_same'), createTestDatabase('infra_same')]);
    try {
      expect(a.name).not.toBe(b.name);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  it('runs the migrate hook on the new database, and drops the database when the hook fails', async () => {
    const db = await createTestDatabase('infra_migrate', {
      migrate: async (url) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query('CREATE TABLE migrated (id int)');
        await client.end();
      },
    });
    try {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query("SELECT to_regclass('public.migrated') IS NOT NULL AS present");
      await client.end();
      expect(rows[0]).toEqual({ present: true });
    } finally {
      await db.drop();
    }

    let failedName = '';
    await expect(
      createTestDatabase('infra_migrate_fail', {
        migrate: async (url) => {
          failedName = new URL(url).pathname.slice(1);
          throw new Error('migration 001 failed');
        },
      }),
    ).rejects.toThrow('migration 001 failed');
    expect(failedName).toMatch(/^infra_migrate_fail_[0-9a-f]{12}$/);
    expect(await databaseExists(failedName)).toBe(false);
  });
});

describe('createTestRedis', () => {
  it('hands out distinct prefixes and cleanup() deletes only its own keys, then closes the client', async () => {
    const mine = await createTestRedis();
    const other = await createTestRedis();
    try {
      expect(mine.prefix).toMatch(/^test:[0-9a-f]{12}:$/);
      expect(other.prefix).not.toBe(mine.prefix);
      expect(mine.key('rider:1')).toBe(`${mine.prefix}rider:1`);

      // More keys than one SCAN page (COUNT 500) so cleanup has to follow the cursor.
      const pipeline = mine.redis.pipeline();
      for (let i = 0; i < 1_200; i++) pipeline.set(mine.key(`k:${i}`), String(i));
      pipeline.hset(mine.key('hash'), 'field', 'value');
      pipeline.geoadd(mine.key('riders'), 77.59, 12.97, 'rider-1');
      await pipeline.exec();
      await other.redis.set(other.key('keep'), 'yes');

      expect(await mine.redis.exists(mine.key('k:0'), mine.key('k:1199'), mine.key('hash'), mine.key('riders'))).toBe(
        4,
      );

      await mine.cleanup();
      expect(mine.redis.status).toBe('end');
      await mine.cleanup(); // idempotent

      const [, left] = await other.redis.scan('0', 'MATCH', `${mine.prefix}*`, 'COUNT', 10_000);
      expect(left).toEqual([]);
      expect(await other.redis.get(other.key('keep'))).toBe('yes');
    } finally {
      await mine.cleanup();
      await other.cleanup();
    }
  });

  it('deleteByPrefix reports how many keys it removed', async () => {
    const r = await createTestRedis();
    try {
      await r.redis.mset(r.key('a'), '1', r.key('b'), '2');
      expect(await deleteByPrefix(r.redis, r.prefix)).toBe(2);
      expect(await deleteByPrefix(r.redis, r.prefix)).toBe(0);
    } finally {
      await r.cleanup();
    }
  });
});

describe('Kafka helpers', () => {
  const topics: string[] = [];
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;

  afterEach(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    consumer = undefined;
    producer = undefined;
  });
  afterAll(async () => {
    await deleteTopics(topics);
  });

  it('names topics uniquely and only with legal characters', () => {
    expect(testKafkaBrokers().length).toBeGreaterThan(0);
    const a = uniqueTopic('orders.placed');
    const b = uniqueTopic('orders.placed');
    expect(a).toMatch(/^orders\.placed-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(uniqueTopic('bad name/with:chars')).toMatch(/^bad-name-with-chars-[0-9a-f]{12}$/);
  });

  it('creates a topic with the requested partitions, carries a message through it, and deletes it', async () => {
    const topic = uniqueTopic('infra-check');
    topics.push(topic);
    await createTopic(topic, 2);
    await expect(createTopic(topic, 2)).rejects.toThrow(/already exists/);

    const admin = testKafka().admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(metadata.topics[0]?.partitions).toHaveLength(2);

    const kafka = testKafka();
    consumer = kafka.consumer({ groupId: uniqueTopic('infra-check-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Promise<{ topic: string; message: KafkaMessage }>((resolve) => {
      void consumer!.run({ eachMessage: async ({ topic: from, message }) => resolve({ topic: from, message }) });
    });

    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'order-1', value: 'hello from infra.int.test' }] });

    const got = await Promise.race([
      received,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no message within 30 s')), 30_000)),
    ]);
    expect(got.topic).toBe(topic);
    expect(got.message.key?.toString()).toBe('order-1');
    expect(got.message.value?.toString()).toBe('hello from infra.int.test');

    await consumer.disconnect();
    consumer = undefined;
    await deleteTopics([topic]);
    // Deletion reaches the broker's metadata cache asynchronously.
    await vi.waitFor(async () => expect(await listTopics()).not.toContain(topic), { timeout: 15_000, interval: 250 });
  });
});

describe('integration global setup', () => {
  it('passes when PostgreSQL, Redis and Kafka answer', async () => {
    await expect(assertInfraReachable(defaultInfraTargets())).resolves.toBeUndefined();
  });

  it('fails (never skips) naming every missing server and the command that starts them', async () => {
    const error = await assertInfraReachable({
      databaseUrl: 'postgres://postgres@127.0.0.1:1/test',
      redisUrl: 'redis://127.0.0.1:1',
      kafkaBrokers: ['127.0.0.1:1'],
      timeoutMs: 2_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('PostgreSQL at postgres://postgres@127.0.0.1:1/test');
    expect(message).toContain('Redis at redis://127.0.0.1:1');
    expect(message).toContain('Kafka at 127.0.0.1:1');
    expect(message).toContain('npm run infra:up');
  });

  it('names only the server that is missing', async () => {
    const targets = defaultInfraTargets();
    const error = await assertInfraReachable({ ...targets, kafkaBrokers: ['127.0.0.1:1'], timeoutMs: 2_000 }).catch(
      (e: unknown) => e,
    );
    const message = (error as Error).message;
    expect(message).toContain('this server does not answer');
    expect(message).toContain('Kafka at 127.0.0.1:1');
    expect(message).not.toContain('PostgreSQL at');
    expect(message).not.toContain('Redis at');
  });
});

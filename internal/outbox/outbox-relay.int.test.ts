/**
 * The transactional outbox against a real Postgres (a fresh database for this suite): what commits is published at
 * least once, in per-key order, across relay crashes; what rolls back is never published.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { createDatabase, type DatabaseHandle } from '../db/database.ts';
import { migrateUp } from '../db/migrate.ts';
import type { Event, EventBus, Headers, OutgoingRecord, Subscription } from '../eventbus/event-bus.ts';
import { MemoryEventBus } from '../eventbus/memory-event-bus.ts';
import { silentLogger } from '../platform/logger.ts';
import { enqueue } from './outbox.ts';
import { OutboxRelay } from './outbox-relay.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';

/** One publication as the broker saw it. */
interface Published {
  topic: string;
  key: string;
  id: string;
}

/**
 * The real in-memory bus, plus a log of what reached it, in order. Recording at the publish boundary is what the
 * outbox promises (at-least-once, per-key order of publication); the first test also checks what a consumer gets.
 */
class RecordingBus implements EventBus {
  readonly log: Published[] = [];
  readonly inner = new MemoryEventBus();
  async publish(topic: string, key: string, event: OutgoingRecord['event'], headers?: Headers): Promise<void> {
    await this.publishAll([{ topic, key, event, ...(headers ? { headers } : {}) }]);
  }
  async publishAll(records: readonly OutgoingRecord[]): Promise<void> {
    await this.inner.publishAll(records);
    for (const r of records) this.log.push({ topic: r.topic, key: r.key, id: r.event.id });
  }
  subscribe(...args: Parameters<EventBus['subscribe']>): Promise<Subscription> {
    return this.inner.subscribe(...args);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A bus wrapper that lets `limit` records through in total, then dies in the middle of a batch and stays dead. */
function crashingAfter(inner: EventBus, limit: number): EventBus & { crashed: Promise<void> } {
  let forwarded = 0;
  let signal!: () => void;
  const crashed = new Promise<void>((resolve) => (signal = resolve));
  return {
    crashed,
    publish: (topic, key, event, headers) => inner.publish(topic, key, event, headers),
    async publishAll(records) {
      const room = Math.max(0, limit - forwarded);
      await inner.publishAll(records.slice(0, room));
      forwarded += Math.min(room, records.length);
      if (records.length > room) {
        signal();
        throw new Error(`bus crashed after ${forwarded} records`);
      }
    },
    subscribe: (...args) => inner.subscribe(...args),
    close: () => inner.close(),
  };
}

/**
 * A bus wrapper for "the relay died between publish and mark": the first batch reaches the broker, then every
 * connection of the relay's pool is killed before it can stamp `published_at`.
 */
function killingConnectionsAfterFirstBatch(
  inner: EventBus,
  kill: () => Promise<void>,
): EventBus & { killed: Promise<void> } {
  let done = false;
  let signal!: () => void;
  const killed = new Promise<void>((resolve) => (signal = resolve));
  return {
    killed,
    publish: (topic, key, event, headers) => inner.publish(topic, key, event, headers),
    async publishAll(records) {
      await inner.publishAll(records);
      if (!done) {
        done = true;
        await kill();
        signal();
      }
    },
    subscribe: (...args) => inner.subscribe(...args),
    close: () => inner.close(),
  };
}

class Rollback extends Error {}

let testDb: TestDatabase;
let app: DatabaseHandle;
let admin: pg.Client;

beforeAll(async () => {
  testDb = await createTestDatabase('outbox_relay', {
    migrate: async (url) => void (await migrateUp(url, silentLogger)),
  });
  app = createDatabase(testDb.url, { applicationName: 'outbox-test-writer' });
  admin = new pg.Client({ connectionString: testDb.url });
  await admin.connect();
  // Stands in for a domain table, to show domain rows and their events commit or roll back together.
  await admin.query('CREATE TABLE test_orders (id text PRIMARY KEY, key text NOT NULL)');
});

afterAll(async () => {
  await admin?.end();
  await app?.close();
  await testDb?.drop();
});

beforeEach(async () => {
  await admin.query('TRUNCATE outbox, test_orders RESTART IDENTITY');
});

const record = (topic: string, key: string, payload: unknown = {}): OutgoingRecord => ({
  topic,
  key,
  event: { id: randomUUID(), type: 'test.happened', occurredAt: new Date().toISOString(), payload },
});

async function unpublishedCount(): Promise<number> {
  const { rows } = await admin.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL');
  return Number(rows[0]!.n);
}

async function waitFor(condition: () => Promise<boolean> | boolean, what: string, budgetMs = 20_000): Promise<void> {
  const deadline = Date.now() + scaledMs(budgetMs);
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Key (or whatever `group` picks) → event ids in the order of their first publication. */
function firstPublicationOrder(
  log: readonly Published[],
  group: (p: Published) => string = (p) => p.key,
): Map<string, string[]> {
  const seen = new Set<string>();
  const order = new Map<string, string[]>();
  for (const p of log) {
    if (seen.has(p.id)) continue;
    seen.add(p.id);
    order.set(group(p), [...(order.get(group(p)) ?? []), p.id]);
  }
  return order;
}

const topicAndKey = (p: Published): string => `${p.topic} ${p.key}`;

/** A tiny deterministic PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('OutboxRelay', () => {
  it('publishes every committed event at least once, in per-key order, across crashes; never a rolled-back one', async () => {
    const broker = new RecordingBus();
    const suffix = randomUUID().slice(0, 8);
    const topics = [`orders.${suffix}`, `riders.${suffix}`];
    // A consumer downstream of the bus, to show the guarantees hold end to end, not only at the publish call.
    const received: Published[] = [];
    const subscriptions = await Promise.all(
      topics.map((topic) =>
        broker.subscribe(topic, 'outbox-test', async (m) => {
          received.push({ topic: m.topic, key: m.key, id: (JSON.parse(m.value) as Event).id });
        }),
      ),
    );

    // 4 writers × 50 events, in transactions of 1–4 events with a domain row each; about one transaction in five
    // rolls back. Each writer owns its keys and writes sequentially, as a domain serialises writes to one aggregate.
    const committed = new Map<string, string[]>(); // key → event ids in commit order
    const committedPerTopic = new Map<string, string[]>(); // "topic key" → event ids in commit order
    const rolledBack = new Set<string>();
    const committedOrders: string[] = [];
    const writer = async (w: number): Promise<void> => {
      const random = prng(w + 1);
      let left = 50;
      let tx = 0;
      while (left > 0) {
        const size = Math.min(left, 1 + Math.floor(random() * 4));
        left -= size;
        const records = Array.from({ length: size }, () =>
          record(topics[Math.floor(random() * 2)]!, `writer${w}-key${Math.floor(random() * 2)}`, { w, tx }),
        );
        const rollback = random() < 0.2;
        const orderId = `order-${w}-${tx++}`;
        try {
          await app.db.transaction().execute(async (trx) => {
            await sql`INSERT INTO test_orders (id, key) VALUES (${orderId}, ${records[0]!.key})`.execute(trx);
            await enqueue(trx, records);
            if (rollback) throw new Rollback();
          });
          committedOrders.push(orderId);
          for (const r of records) {
            committed.set(r.key, [...(committed.get(r.key) ?? []), r.event.id]);
            const tk = topicAndKey({ topic: r.topic, key: r.key, id: r.event.id });
            committedPerTopic.set(tk, [...(committedPerTopic.get(tk) ?? []), r.event.id]);
          }
        } catch (error) {
          if (!(error instanceof Rollback)) throw error;
          for (const r of records) rolledBack.add(r.event.id);
        }
        await new Promise((r) => setImmediate(r));
      }
    };

    // Relay 1: its bus dies after 37 records, part-way through a batch, while the writers are still writing.
    const bus1 = crashingAfter(broker, 37);
    const relay1 = new OutboxRelay({
      db: app.db,
      pool: app.pool,
      bus: bus1,
      logger: silentLogger,
      batchSize: 16,
      pollIntervalMs: 20,
    });
    relay1.start();
    const writing = Promise.all([0, 1, 2, 3].map(writer));
    await bus1.crashed;
    await relay1.stop();
    await writing;

    const committedIds = [...committed.values()].flat();
    expect(committedIds.length + rolledBack.size).toBe(200);
    expect(rolledBack.size).toBeGreaterThan(0);
    expect(await unpublishedCount()).toBeGreaterThan(0);
    const failed = await admin.query<{ n: string }>(
      "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND attempts > 0 AND last_error LIKE '%bus crashed%'",
    );
    expect(Number(failed.rows[0]!.n)).toBeGreaterThan(0); // the failure was recorded on the rows it concerned

    // Relay 2: publishes a batch, then its database connections die before it can mark the batch published.
    const relay2Db = createDatabase(testDb.url, { applicationName: 'outbox-test-relay2' });
    const bus2 = killingConnectionsAfterFirstBatch(broker, async () => {
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'outbox-test-relay2'",
      );
    });
    const relay2 = new OutboxRelay({
      db: relay2Db.db,
      pool: relay2Db.pool,
      bus: bus2,
      logger: silentLogger,
      batchSize: 50,
      backoff: { initialMs: 60_000 },
    });
    const beforeRelay2 = broker.log.length;
    const unpublishedBeforeRelay2 = await unpublishedCount();
    relay2.start();
    await bus2.killed;
    await relay2.stop();
    await relay2Db.close();
    expect(broker.log.length).toBeGreaterThan(beforeRelay2); // it did publish…
    expect(await unpublishedCount()).toBe(unpublishedBeforeRelay2); // …but marked nothing

    // Relay 3: a fresh relay on a healthy bus drains the rest.
    const relay3 = new OutboxRelay({
      db: app.db,
      pool: app.pool,
      bus: broker,
      logger: silentLogger,
      batchSize: 16,
      pollIntervalMs: 20,
    });
    relay3.start();
    await waitFor(async () => (await unpublishedCount()) === 0, 'the outbox to drain');
    await relay3.stop();

    const publishedIds = new Set(broker.log.map((p) => p.id));
    // None lost.
    expect(committedIds.filter((id) => !publishedIds.has(id))).toEqual([]);
    // None from a rolled-back transaction, and nothing that was never enqueued.
    expect([...publishedIds].filter((id) => rolledBack.has(id))).toEqual([]);
    expect(publishedIds.size).toBe(committedIds.length);
    // At-least-once, visibly: the crashed batches went out again.
    expect(broker.log.length).toBeGreaterThan(publishedIds.size);
    // Per-key order of first publication is the commit order.
    const order = firstPublicationOrder(broker.log);
    for (const [key, ids] of committed) expect(order.get(key), `order of ${key}`).toEqual(ids);
    // Domain rows exist exactly for the committed transactions.
    const orders = await admin.query<{ id: string }>('SELECT id FROM test_orders ORDER BY id');
    expect(orders.rows.map((r) => r.id).sort()).toEqual([...committedOrders].sort());

    // The consumer got every publication, and first saw each key's events in commit order. (A bus orders per topic
    // and key — like Kafka partitions — so a consumer of two topics may interleave them; compare per topic.)
    await waitFor(() => received.length === broker.log.length, 'the consumer to catch up');
    await Promise.all(subscriptions.map((sub) => sub.close()));
    await broker.close();
    expect(new Set(received.map((p) => p.id))).toEqual(publishedIds);
    const receivedOrder = firstPublicationOrder(received, topicAndKey);
    for (const [tk, ids] of committedPerTopic) expect(receivedOrder.get(tk), `received order of ${tk}`).toEqual(ids);
  });

  it('wakes on commit through LISTEN/NOTIFY instead of waiting for the next poll', async () => {
    const broker = new RecordingBus();
    const relay = new OutboxRelay({
      db: app.db,
      pool: app.pool,
      bus: broker,
      logger: silentLogger,
      pollIntervalMs: 60_000,
    });
    relay.start();
    try {
      await new Promise((r) => setTimeout(r, 300)); // let it run its first (empty) batch and go to sleep
      const r = record('wake.test', 'k');
      const started = Date.now();
      await app.db.transaction().execute((trx) => enqueue(trx, [r]));
      await waitFor(() => broker.log.some((p) => p.id === r.event.id), 'the notified publish', 5_000);
      expect(Date.now() - started).toBeLessThan(2_000); // a poll would take 60 s
    } finally {
      await relay.stop();
    }
  });

  it('polls when it has no connection to LISTEN on', async () => {
    const broker = new RecordingBus();
    const relay = new OutboxRelay({ db: app.db, bus: broker, logger: silentLogger, pollIntervalMs: 25 });
    relay.start();
    try {
      const records = [record('poll.test', 'a'), record('poll.test', 'a'), record('poll.test', 'b')];
      await app.db.transaction().execute((trx) => enqueue(trx, records));
      await waitFor(() => broker.log.length === 3, 'three publications', 5_000);
      expect(broker.log.map((p) => p.id)).toEqual(records.map((r) => r.event.id));
    } finally {
      await relay.stop();
    }
  });

  it('stop() lets the in-flight batch finish and mark its rows', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inFlight = new Promise<void>((r) => (entered = r));
    const broker = new RecordingBus();
    const slowBus: EventBus = {
      publish: (topic, key, event) => broker.publish(topic, key, event),
      async publishAll(records) {
        entered();
        await gate;
        await broker.publishAll(records);
      },
      subscribe: (...args) => broker.subscribe(...args),
      close: async () => {},
    };
    await app.db.transaction().execute((trx) => enqueue(trx, [record('drain.test', 'k'), record('drain.test', 'k')]));
    const relay = new OutboxRelay({
      db: app.db,
      pool: app.pool,
      bus: slowBus,
      logger: silentLogger,
      pollIntervalMs: 20,
    });
    relay.start();
    await inFlight;
    let stopped = false;
    const stopping = relay.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(stopped).toBe(false); // still waiting for the batch
    release();
    await stopping;
    expect(broker.log).toHaveLength(2);
    expect(await unpublishedCount()).toBe(0);
  });

  it('keeps per-key order with two relays running at once', async () => {
    const broker = new RecordingBus();
    const random = prng(42);
    const slow: EventBus = {
      publish: (topic, key, event) => broker.publish(topic, key, event),
      async publishAll(records) {
        await new Promise((r) => setTimeout(r, 1 + random() * 10));
        await broker.publishAll(records);
      },
      subscribe: (...args) => broker.subscribe(...args),
      close: async () => {},
    };
    // Everything is waiting before the relays start, so both find work at once: without the relay lock the second
    // one would publish rows 8–14 while the first still publishes 1–7, and every batch holds every key.
    const expected = new Map<string, string[]>();
    for (let i = 0; i < 60; i++) {
      const records = Array.from({ length: 5 }, (_, j) => record('two.relays', `k${(i + j) % 5}`));
      await app.db.transaction().execute((trx) => enqueue(trx, records));
      for (const r of records) expected.set(r.key, [...(expected.get(r.key) ?? []), r.event.id]);
    }
    const relays = [1, 2].map(
      () =>
        new OutboxRelay({
          db: app.db,
          pool: app.pool,
          bus: slow,
          logger: silentLogger,
          batchSize: 7,
          pollIntervalMs: 5,
        }),
    );
    for (const r of relays) r.start();
    try {
      await waitFor(async () => (await unpublishedCount()) === 0, 'the outbox to drain');
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
    expect(broker.log).toHaveLength(300); // no failures, so exactly once
    const order = firstPublicationOrder(broker.log);
    for (const [key, ids] of expected) expect(order.get(key), `order of ${key}`).toEqual(ids);
  });
});

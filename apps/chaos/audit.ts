/**
 * What the fault run reports from the truth: Postgres (orders by status, stuck ones, double batching, riders on two
 * active batches, unpublished outbox rows) and Kafka (events parked on the `<topic>.dlq` dead-letter topics).
 */
import { logLevel } from 'kafkajs';
import { kafkaClient } from '../../internal/eventbus/kafka-client.ts';
import pg from 'pg';

export interface StuckOrder {
  id: string;
  status: string;
  /** Seconds since it was placed, when audited. */
  ageS: number;
}

export interface Audit {
  /** Rows in `orders`. */
  rows: number;
  byStatus: Record<string, number>;
  delivered: number;
  /** Cancelled orders by `cancel_reason` (`customer`, `drop_unreachable`, `none`). */
  cancelled: Record<string, number>;
  /** Orders neither delivered nor cancelled. */
  stuck: StuckOrder[];
  /** Orders that appear in more than one batch. */
  ordersInTwoBatches: number;
  /** Riders holding more than one batch in `assigned`/`picked_up`. */
  ridersOnTwoActiveBatches: number;
  /** Batches still `open`, `sealed`, `assigned` or `picked_up`. */
  activeBatches: Record<string, number>;
  unpublishedOutbox: number;
  /** Messages on each dead-letter topic (end offset − start offset, summed over partitions); null if Kafka did not answer. */
  dlq: Record<string, number> | null;
  /** The dead-lettered events themselves (first 50): why each was parked. */
  deadLetters: DeadLetter[];
}

/** One event parked on a dead-letter topic (the `dead_letter` payload of internal/eventbus/middleware.ts). */
export interface DeadLetter {
  topic: string;
  kind: string;
  reason: string;
  attempts: number;
  failedAt: string;
}

/** Open orders by status — the drain's progress. */
export async function openOrders(databaseUrl: string): Promise<Record<string, number>> {
  return withClient(databaseUrl, async (c) => {
    const r = await c.query<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM orders WHERE status NOT IN ('delivered', 'cancelled') GROUP BY status`,
    );
    return Object.fromEntries(r.rows.map((x) => [x.status, Number(x.n)]));
  });
}

/** Orders waiting for a rider: ready or batched, not yet assigned. */
export async function ordersWaitingForRider(databaseUrl: string): Promise<number> {
  return withClient(databaseUrl, async (c) => {
    const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE status IN ('ready', 'batched')`);
    return Number(r.rows[0]?.n ?? 0);
  });
}

/** Orders by status (every status), for the timeline. */
export async function ordersByStatus(databaseUrl: string): Promise<Record<string, number>> {
  return withClient(databaseUrl, async (c) => {
    const r = await c.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM orders GROUP BY status`);
    return Object.fromEntries(r.rows.map((x) => [x.status, Number(x.n)]));
  });
}

/** The whole audit; `brokers` are the run's own Kafka. */
export async function auditRun(databaseUrl: string, brokers: string[]): Promise<Audit> {
  const fromPostgres = await withClient(databaseUrl, async (c) => {
    const count = async (sql: string) => Number((await c.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
    const byStatus = Object.fromEntries(
      (
        await c.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM orders GROUP BY status`)
      ).rows.map((x) => [x.status, Number(x.n)]),
    );
    const cancelled = Object.fromEntries(
      (
        await c.query<{ reason: string; n: string }>(
          `SELECT coalesce(cancel_reason, 'none') AS reason, count(*) AS n FROM orders WHERE status = 'cancelled' GROUP BY 1`,
        )
      ).rows.map((x) => [x.reason, Number(x.n)]),
    );
    const stuck = (
      await c.query<{ id: string; status: string; age_s: number }>(
        `SELECT id, status, extract(epoch FROM now() - placed_at)::float8 AS age_s FROM orders
          WHERE status NOT IN ('delivered', 'cancelled') ORDER BY placed_at`,
      )
    ).rows.map((r) => ({ id: r.id, status: r.status, ageS: Math.round(r.age_s) }));
    const activeBatches = Object.fromEntries(
      (
        await c.query<{ status: string; n: string }>(
          `SELECT status, count(*) AS n FROM batches WHERE status IN ('open', 'sealed', 'assigned', 'picked_up') GROUP BY status`,
        )
      ).rows.map((x) => [x.status, Number(x.n)]),
    );
    return {
      rows: await count('SELECT count(*) AS n FROM orders'),
      byStatus,
      delivered: byStatus.delivered ?? 0,
      cancelled,
      stuck,
      ordersInTwoBatches: await count(
        'SELECT count(*) AS n FROM (SELECT order_id FROM batch_orders GROUP BY order_id HAVING count(DISTINCT batch_id) > 1) t',
      ),
      ridersOnTwoActiveBatches: await count(
        `SELECT count(*) AS n FROM (SELECT rider_id FROM batches WHERE status IN ('assigned', 'picked_up') AND rider_id IS NOT NULL
          GROUP BY rider_id HAVING count(*) > 1) t`,
      ),
      activeBatches,
      unpublishedOutbox: await count('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL'),
    };
  });
  const dlq = await deadLetterCounts(brokers).catch(() => null);
  const parked = Object.entries(dlq ?? {}).filter(([, n]) => n > 0);
  const deadLetters = parked.length > 0 ? await readDeadLetters(brokers, parked).catch(() => []) : [];
  return { ...fromPostgres, dlq, deadLetters };
}

/** Reads (bounded: 50 events, 20 s) the events on the dead-letter topics that hold some, from the beginning. */
async function readDeadLetters(brokers: string[], parked: Array<[string, number]>): Promise<DeadLetter[]> {
  const kafka = kafkaClient({ clientId: 'chaos-audit', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3_000 });
  const consumer = kafka.consumer({ groupId: `chaos-audit-${Date.now()}` });
  const want = Math.min(
    50,
    parked.reduce((sum, [, n]) => sum + n, 0),
  );
  const found: DeadLetter[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: parked.map(([t]) => t), fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 20_000);
      void consumer.run({
        eachMessage: async ({ topic, message }) => {
          if (found.length >= want) return;
          try {
            const p = JSON.parse(message.value?.toString() ?? '{}').payload ?? {};
            found.push({
              topic,
              kind: String(p.kind),
              reason: String(p.reason),
              attempts: Number(p.attempts),
              failedAt: String(p.failedAt),
            });
          } catch {
            found.push({ topic, kind: '?', reason: 'unreadable dead-letter event', attempts: 0, failedAt: '' });
          }
          if (found.length >= want) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  return found.sort((a, b) => a.failedAt.localeCompare(b.failedAt));
}

/** Messages on every `*.dlq` topic of the broker. */
export async function deadLetterCounts(brokers: string[]): Promise<Record<string, number>> {
  const kafka = kafkaClient({
    clientId: 'chaos-audit',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 3 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.endsWith('.dlq')).sort();
    const counts: Record<string, number> = {};
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      counts[topic] = offsets.reduce((sum, p) => sum + (Number(p.high) - Number(p.low)), 0);
    }
    return counts;
  } finally {
    await admin.disconnect();
  }
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000, statement_timeout: 10_000 });
  client.on('error', () => {}); // a server restarting under us: the query fails, the process does not
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => {});
  }
}

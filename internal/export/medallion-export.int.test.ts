/**
 * The medallion export on a day the simulator produced, on the real stack: API and worker as `npm run api` /
 * `npm run worker` compose them (fresh Postgres database, the test Redis, Kafka topics under a random prefix), the
 * simulator driving orders to delivery, the worker's `analytics-archive` consumers filling `event_archive`. Besides the
 * simulator's events, a malformed message, an order update for an order that does not exist, an order far outside its
 * store's area and a republished event go through Kafka. Then `npm run export` (in-process) writes the Parquet tree;
 * DuckDB reads it back and the counts must equal Postgres's; a rerun must write the same bytes.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApi, type ApiRuntime } from '../../apps/api/compose.ts';
import { composeSimulator } from '../../apps/simulator/compose.ts';
import { parseSimulatorArgs } from '../../apps/simulator/options.ts';
import { composeWorker, type WorkerRuntime } from '../../apps/worker/worker.ts';
import { createDatabase, type DatabaseHandle } from '../db/database.ts';
import { createEventBus } from '../eventbus/create-event-bus.ts';
import { encodeEvent, type RawPublisher } from '../eventbus/event-bus.ts';
import { record } from '../events/catalog.ts';
import { silentLogger } from '../platform/logger.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { realServersConfig, realServersEnv, TEST_OPERATOR_KEY } from '../../tests/support/real-servers-env.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { runExportCommand } from './export-command.ts';

const DAY_MS = 86_400_000;
/** Seconds to the millisecond (Postgres and DuckDB interpolate the same ranks; float noise aside). */
const round = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 1_000) / 1_000);
let testDb: TestDatabase;
let database: DatabaseHandle;
let api: ApiRuntime | undefined;
let worker: WorkerRuntime | undefined;
let out: string;
let port: number;
const topicPrefix = `export-${randomBytes(4).toString('hex')}.`;

beforeAll(async () => {
  testDb = await createTestDatabase('export');
  const config = realServersConfig({ databaseUrl: testDb.url, topicPrefix });
  api = await composeApi(config, silentLogger);
  ({ port } = await api.start());
  worker = await composeWorker(config, silentLogger, { dispatch: { waitWindowSeconds: 3 }, sweepIntervalMs: 300 });
  await worker.start();
  database = createDatabase(testDb.url);
  out = await mkdtemp(join(tmpdir(), 'export-int-'));
});

afterAll(async () => {
  await worker?.cleanup();
  await api?.cleanup();
  await database?.close();
  await testDb?.drop();
  if (out) await rm(out, { recursive: true, force: true });
});

/** Every file under `dir` with the SHA-256 of its bytes, by relative path. */
async function hashes(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  const result: Record<string, string> = {};
  for (const file of files.sort())
    result[file.slice(dir.length)] = createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  return result;
}

describe('npm run export', () => {
  it('round-trips a simulated day with the counts of Postgres, quarantines bad events with their reason, and reruns to the same bytes', {
    timeout: scaledMs(330_000),
  }, async () => {
    const startedAt = Date.now();
    const sim = composeSimulator(
      parseSimulatorArgs([
        '--api',
        `http://127.0.0.1:${port}`,
        '--key',
        TEST_OPERATOR_KEY,
        '--riders',
        '4',
        '--stores',
        '2',
        '--center',
        '52.52,13.405',
        '--rate',
        '3',
        '--speed',
        '30',
        '--ping-ms',
        '250',
        '--seed',
        '7',
      ]),
      { logger: silentLogger, progress: () => {} },
    );
    await sim.start();
    try {
      await waitFor(() => sim.tally.delivered >= 2, { timeoutMs: 180_000, what: 'two simulated deliveries' }).catch(
        (error: Error) => {
          throw new Error(`${error.message}; simulator tally ${JSON.stringify(sim.tally)}`);
        },
      );
    } finally {
      await sim.cleanup();
    }
    const db = database.db;

    // Bad and repeated messages, through Kafka like everything else.
    const { bus } = createEventBus(realServersConfig({ databaseUrl: testDb.url, topicPrefix }), silentLogger);
    const store = await db.selectFrom('stores').select(['id', 'lat', 'lon']).executeTakeFirstOrThrow();
    const ghostOrder = randomUUID();
    const farOrder = randomUUID();
    const orphan = record('orderUpdated', ghostOrder, { orderId: ghostOrder, storeId: store.id, status: 'delivered' });
    const now = new Date().toISOString();
    const far = record('orderPlaced', store.id, {
      orderId: farOrder,
      storeId: store.id,
      cell: '871f1d489ffffff',
      drop: { lat: store.lat + 1, lon: store.lon },
      placedAt: now,
      readyAt: now,
      promisedAt: now,
    });
    const rider = await db.selectFrom('riders').select('id').executeTakeFirstOrThrow();
    const repeated = record('riderUpdated', rider.id, { riderId: rider.id, status: 'idle' });
    try {
      await (bus as typeof bus & RawPublisher).publishRaw('order.ready', store.id, '{"id": "broken", "type":');
      await bus.publishAll([orphan, far]);
      // The same bytes twice: what the outbox relay does after a lost acknowledgement.
      await (bus as typeof bus & RawPublisher).publishRaw('rider.updated', repeated.key, encodeEvent(repeated.event));
      await (bus as typeof bus & RawPublisher).publishRaw('rider.updated', repeated.key, encodeEvent(repeated.event));
    } finally {
      await bus.close();
    }

    // The archive has caught up: every order and every delivery Postgres knows, and the injected messages.
    const counts = async () => {
      const pgOrders = await db
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      const pgDelivered = await db
        .selectFrom('orders')
        .where('status', '=', 'delivered')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      const archived = await db
        .selectFrom('event_archive')
        .select((eb) => [
          eb.fn.count<string>('event_id').distinct().filterWhere('topic', '=', 'order.placed').as('placed'),
          eb.fn
            .count<string>('event_id')
            .distinct()
            .filterWhere((w) =>
              w.and([w('topic', '=', 'order.updated'), w(eb.ref('value'), 'like', '%"status":"delivered"%')]),
            )
            .as('delivered'),
          eb.fn.countAll<string>().filterWhere('event_id', 'is', null).as('unreadable'),
          eb.fn.countAll<string>().filterWhere('event_id', '=', repeated.event.id).as('repeats'),
        ])
        .executeTakeFirstOrThrow();
      return {
        orders: Number(pgOrders.n),
        delivered: Number(pgDelivered.n),
        archivedPlaced: Number(archived.placed),
        archivedDelivered: Number(archived.delivered),
        unreadable: Number(archived.unreadable),
        repeats: Number(archived.repeats),
      };
    };
    const settled = await waitFor(
      async () => {
        const c = await counts();
        // +1 placed: the far order is archived but not in Postgres; +1 delivered: the orphan update.
        return c.archivedPlaced === c.orders + 1 &&
          c.archivedDelivered === c.delivered + 1 &&
          c.unreadable === 1 &&
          c.repeats === 2
          ? c
          : null;
      },
      { timeoutMs: 60_000, what: 'the archive to hold every order, delivery and injected message', intervalMs: 200 },
    );
    // Frozen from here: the export and its rerun read the same archive.
    await worker!.cleanup();
    await api!.cleanup();
    expect(settled.orders).toBeGreaterThanOrEqual(2);
    expect(settled.delivered).toBeGreaterThanOrEqual(2);

    const from = new Date(Math.floor(startedAt / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
    const to = new Date((Math.floor(Date.now() / DAY_MS) + 1) * DAY_MS).toISOString().slice(0, 10);
    let errors = '';
    const io = {
      env: realServersEnv({ databaseUrl: testDb.url, topicPrefix }),
      stdout: () => {},
      stderr: (t: string) => {
        errors += t;
      },
    };
    const args = ['--from', from, '--to', to, '--out', out];
    expect(await runExportCommand(args, io), errors).toBe(0);
    const first = await hashes(out);

    const instance = await DuckDBInstance.create(':memory:');
    const duck = await instance.connect();
    const one = async (query: string) => (await duck.runAndReadAll(query)).getRowObjectsJson();
    const parquet = (layer: string) =>
      `read_parquet('${join(out, layer)}/event_date=*/*.parquet', hive_partitioning = true)`;
    try {
      const archive = await db
        .selectFrom('event_archive')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      const [bronze] = await one(`SELECT count(*)::INTEGER AS n FROM ${parquet('bronze')}`);
      expect(bronze!.n).toBe(Number(archive.n));

      // Silver and gold agree with Postgres on orders and deliveries (the far order is quarantined, not in silver).
      const [placed] = await one(
        `SELECT count(*)::INTEGER AS n, count(DISTINCT order_id)::INTEGER AS d FROM ${parquet('silver/order_placed')}`,
      );
      expect(placed).toEqual({ n: settled.orders, d: settled.orders });
      const [delivered] = await one(
        `SELECT count(DISTINCT order_id)::INTEGER AS n FROM ${parquet('silver/order_updated')} WHERE status = 'delivered'`,
      );
      expect(delivered!.n).toBe(settled.delivered);
      const [gold] = await one(
        `SELECT sum(orders_placed)::INTEGER AS placed, sum(orders_delivered)::INTEGER AS delivered FROM ${parquet('gold/daily_store')}`,
      );
      expect(gold).toEqual({ placed: settled.orders, delivered: settled.delivered });
      // Per store and day, as /analytics computes them over the orders table: counts and click-to-door percentiles.
      const expected = await sql<{
        day: string;
        store_id: string;
        placed: number;
        delivered: number;
        p50: number | null;
        p90: number | null;
      }>`
        select to_char(placed_at at time zone 'UTC', 'YYYY-MM-DD') as day, store_id::text, count(*)::int as placed,
          count(delivered_at)::int as delivered,
          percentile_cont(0.5) within group (order by extract(epoch from delivered_at - placed_at)) as p50,
          percentile_cont(0.9) within group (order by extract(epoch from delivered_at - placed_at)) as p90
        from orders group by 1, 2 order by 1, 2`.execute(db);
      const daily = await one(
        `SELECT strftime(event_date, '%Y-%m-%d') AS day, store_id, orders_placed AS placed, orders_delivered AS delivered,
           click_to_door_p50_s AS p50, click_to_door_p90_s AS p90
         FROM ${parquet('gold/daily_store')} WHERE orders_placed > 0 ORDER BY day, store_id`,
      );
      expect(daily.map((d) => ({ ...d, p50: round(d.p50), p90: round(d.p90) }))).toEqual(
        expected.rows.map((r) => ({ ...r, p50: round(r.p50), p90: round(r.p90) })),
      );

      // Each bad message is in quarantine with its reason — and nothing the system itself produced.
      const quarantine = await one(
        `SELECT stage, reason, event_id, topic FROM ${parquet('quarantine')} ORDER BY stage, reason`,
      );
      expect(quarantine).toHaveLength(3);
      expect(quarantine).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            stage: 'schema',
            topic: 'order.ready',
            reason: expect.stringMatching(/^invalid JSON/),
          }),
          expect.objectContaining({
            stage: 'orphans',
            event_id: orphan.event.id,
            reason: `order ${ghostOrder} does not exist`,
          }),
          expect.objectContaining({
            stage: 'service_area',
            event_id: far.event.id,
            reason: expect.stringMatching(
              new RegExp(`^drop .* m from store ${store.id} \\(service radius 15000 m\\)$`),
            ),
          }),
        ]),
      );
      // Nothing vanished: every bronze row is in silver, in quarantine, or a collapsed byte-identical repeat.
      const reports = await Promise.all(
        (await readdir(join(out, 'dq'))).map(async (d) =>
          JSON.parse(await readFile(join(out, 'dq', d, 'report.json'), 'utf8')),
        ),
      );
      const sum = (f: (r: Record<string, unknown>) => number) => reports.reduce((s, r) => s + f(r), 0);
      const silverRows = sum((r) =>
        Object.values(r.silver_events as Record<string, number>).reduce((a, b) => a + b, 0),
      );
      expect(sum((r) => r.duplicates_collapsed as number)).toBe(1);
      expect(silverRows + quarantine.length + 1).toBe(bronze!.n);
      expect(sum((r) => r.bronze_rows as number)).toBe(bronze!.n);
      expect(sum((r) => (r.checks as Record<string, { failed: number }>).schema!.failed)).toBe(1);
    } finally {
      duck.closeSync();
      instance.closeSync();
    }

    // A rerun over the same archive rewrites the same bytes.
    expect(await runExportCommand(args, io), errors).toBe(0);
    expect(await hashes(out)).toEqual(first);
  });
});

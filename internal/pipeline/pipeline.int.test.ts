/**
 * The worker's dispatch round (dispatch-scope.ts) and its consumers' steps, called directly, on both backends: the real
 * Postgres (fresh database) + Redis (own key prefix), and the embedded PGlite + in-memory geo store of `npm start`.
 * Concurrency of rounds, hot paths, sealing, the atomic rider claim, lifecycle transitions, regret. The Kafka wiring is
 * covered by tests/integration/dispatch-chain.int.test.ts.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectConsistentBatches } from '../../tests/support/batch-integrity.ts';
import {
  openPipelineFixture,
  openPipelineStores,
  PIPELINE_BACKENDS,
  type PipelineStores,
} from '../../tests/support/pipeline-backends.ts';
import { MemoryEventBus } from '../eventbus/memory-event-bus.ts';
import { ManualClock } from '../platform/clock.ts';
import type { AppError } from '../platform/errors.ts';
import { OsrmRouter } from '../routing/osrm-router.ts';
import { startOsrmReplayServer } from '../routing/osrm-replay-server.ts';
import { NoRouteError, RoutingUnavailableError, type Router } from '../routing/router.ts';
import { StraightLineRouter } from '../routing/straight-line-router.ts';
import { runScopeRound } from './dispatch-scope.ts';
import { retryStalePathRequests } from './path-provisioner.ts';
import { buildPathTemplate, savePathTemplate } from './path-templates.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { recordRouteEstimate } from './regret-recorder.ts';
import { transitionOrders } from './status-writes.ts';
import { fixtureDeps, insertOrder, insertRider, insertStore, offset } from './test-fixtures.ts';

describe.each(PIPELINE_BACKENDS)('dispatch rounds on %s stores', (backend) => {
  let stores: PipelineStores;
  const clock = new ManualClock(Date.parse('2026-11-22T12:00:00Z'));
  let deps: PipelineDeps;
  let close: (() => Promise<void>) | undefined;
  const paris = { lat: 48.8566, lon: 2.3522 };

  beforeAll(async () => {
    ({ stores, deps, close } = await openPipelineFixture('pipeline', backend, clock));
  });

  afterAll(async () => {
    await close?.();
  });

  const outboxTopics = async (): Promise<string[]> =>
    (await stores.database.db.selectFrom('outbox').select('topic').orderBy('id').execute()).map((r) => r.topic);
  const statusOf = async (table: 'orders' | 'batches' | 'riders', id: string) =>
    (await stores.database.db.selectFrom(table).select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

  it('50 orders within 530 m posted at once fill batches of 3, even with two rounds racing', async () => {
    const store = await insertStore(stores.database.db, paris);
    const area = offset(paris, 1_500, 800);
    const orders = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        insertOrder(stores.database.db, store.id, {
          drop: offset(area, (i % 7) * 50, Math.floor(i / 7) * 50),
          placedAt: clock.now(),
        }),
      ),
    );
    const [a, b] = await Promise.all([runScopeRound(deps, [store.id]), runScopeRound(deps, [store.id])]);
    expect(a.batched + b.batched).toBe(50);

    const perBatch = await expectConsistentBatches(stores.database.db, store.id, 50);
    const sizes = [...perBatch.values()];
    const paths = await stores.database.db
      .selectFrom('path_templates')
      .select('id')
      .where('store_id', '=', store.id)
      .execute();
    // At most one batch per hot path is not full.
    expect(sizes.filter((n) => n < 3).length).toBeLessThanOrEqual(paths.length);
    // Stored drop sequences are 0..n-1 per batch.
    const sequences = await sql<{ seqs: number[] }>`
      select array_agg(bo.sequence order by bo.sequence) as seqs from batch_orders bo join batches b on b.id = bo.batch_id
      where b.store_id = ${store.id} group by bo.batch_id`.execute(stores.database.db);
    for (const { seqs } of sequences.rows) expect(seqs).toEqual(seqs.map((_, i) => i));
    // Full batches sealed at once with their stop plan and events, in the round's transaction.
    const sealed = await stores.database.db
      .selectFrom('batches')
      .select(['id', 'order_count', 'stops', 'refined_cost_s'])
      .where('store_id', '=', store.id)
      .where('status', '=', 'sealed')
      .execute();
    expect(sealed.length).toBe(sizes.filter((n) => n === 3).length);
    for (const s of sealed) {
      expect(s.stops?.[0]?.kind).toBe('pickup');
      expect(s.refined_cost_s).toBeGreaterThan(0);
    }
    const topics = await outboxTopics();
    expect(topics.filter((t) => t === 'routes.refined').length).toBeGreaterThanOrEqual(sealed.length);
    // Every order went through the lifecycle's `batch` step; every path is indexed by every corridor cell.
    const rows = await stores.database.db
      .selectFrom('orders')
      .select(['status', 'path_id', 'h3_cell'])
      .where('store_id', '=', store.id)
      .execute();
    expect(rows.every((o) => o.status === 'batched' && o.path_id !== null)).toBe(true);
    for (const o of orders) expect((await stores.geo.pathsForCell(o.cell)).length).toBeGreaterThan(0);
  });

  it('an order near an existing path joins it without provisioning a new one', async () => {
    const store = await insertStore(stores.database.db, offset(paris, -3_000, 0));
    const first = await insertOrder(stores.database.db, store.id, {
      drop: offset(paris, -3_000, 2_500),
      placedAt: clock.now(),
    });
    await runScopeRound(deps, [store.id]);
    const near = await insertOrder(stores.database.db, store.id, {
      drop: offset(paris, -3_000, 1_250),
      placedAt: clock.now(),
    });
    expect(near.cell).not.toBe(first.cell);
    await runScopeRound(deps, [store.id]);
    expect(
      await stores.database.db.selectFrom('path_templates').select('id').where('store_id', '=', store.id).execute(),
    ).toHaveLength(1);
    const batches = await stores.database.db
      .selectFrom('batch_orders')
      .select('batch_id')
      .where('order_id', 'in', [first.id, near.id])
      .execute();
    expect(new Set(batches.map((b) => b.batch_id)).size).toBe(1);
  });

  it('seals at the ready time, claims the nearest idle rider once, and moves every status through its transition', async () => {
    const store = await insertStore(stores.database.db, offset(paris, 0, -4_000));
    const area = offset(paris, 800, -4_000);
    const placed = [];
    for (let i = 0; i < 2; i++)
      placed.push(
        await insertOrder(stores.database.db, store.id, {
          drop: offset(area, i * 150, 0),
          placedAt: clock.now(),
          prepMinutes: 10,
        }),
      );
    // A rider offline in Postgres but available in the geo store is not the dispatcher's; two idle riders are.
    const ghost = await insertRider(stores.database.db, stores.geo, offset(paris, 0, -3_950), clock.now());
    await stores.database.db.updateTable('riders').set({ status: 'offline' }).where('id', '=', ghost).execute();
    const riderAt = new Map([
      [
        await insertRider(stores.database.db, stores.geo, offset(paris, 5_000, -4_000), clock.now()),
        offset(paris, 5_000, -4_000),
      ],
      [
        await insertRider(stores.database.db, stores.geo, offset(paris, 0, -3_700), clock.now()),
        offset(paris, 0, -3_700),
      ],
    ]);
    const [farRider, nearRider] = [...riderAt.keys()] as [string, string];
    await runScopeRound(deps, [store.id]);
    const batch = await stores.database.db
      .selectFrom('batches')
      .selectAll()
      .where('store_id', '=', store.id)
      .executeTakeFirstOrThrow();
    expect(batch).toMatchObject({ status: 'open', order_count: 2 });

    // Food ready in 10 min; at the ready time the batch seals and the matching commits a rider.
    clock.advance(10 * 60_000);
    for (const [id, at] of riderAt) await stores.geo.updateRiderPosition(id, { ...at, recordedAt: clock.now() }); // still pinging
    const outcomes = await Promise.all([runScopeRound(deps, [store.id]), runScopeRound(deps, [store.id])]);
    expect(outcomes.reduce((n, o) => n + o.assigned, 0)).toBe(1);
    const assigned = await stores.database.db
      .selectFrom('batches')
      .select(['status', 'rider_id', 'seal_reason'])
      .where('id', '=', batch.id)
      .executeTakeFirstOrThrow();
    expect(assigned).toEqual({ status: 'assigned', rider_id: nearRider, seal_reason: 'deadline' });
    expect(await statusOf('riders', nearRider)).toBe('assigned');
    expect(await statusOf('riders', farRider)).toBe('idle');
    expect(await stores.geo.getRiderStatus(nearRider)).toEqual({ status: 'busy', batchId: batch.id });
    for (const p of placed) expect(await statusOf('orders', p.id)).toBe('assigned');
    const topics = await outboxTopics();
    expect(topics).toContain('batches.assigned');
    expect(topics).toContain('rider.updated');
  });

  it('seals when the wait window closes', async () => {
    const store = await insertStore(stores.database.db, offset(paris, 4_000, 4_000));
    const o = await insertOrder(stores.database.db, store.id, {
      drop: offset(paris, 4_500, 4_000),
      placedAt: clock.now(),
      prepMinutes: 30,
      promiseMinutes: 90,
    });
    await runScopeRound(deps, [store.id]);
    const before = await stores.database.db
      .selectFrom('batches')
      .select(['id', 'status'])
      .where('store_id', '=', store.id)
      .executeTakeFirstOrThrow();
    expect(before.status).toBe('open');
    clock.advance(deps.params.waitWindowSeconds * 1000);
    expect((await runScopeRound(deps, [store.id])).sealed).toBe(1);
    const after = await stores.database.db
      .selectFrom('batches')
      .select(['status', 'seal_reason'])
      .where('id', '=', before.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ status: 'sealed', seal_reason: 'window' });
    expect(await statusOf('orders', o.id)).toBe('batched');
  });

  it('refuses an illegal transition with an error instead of writing it', async () => {
    const store = await insertStore(stores.database.db, offset(paris, 7_000, 7_000));
    const o = await insertOrder(stores.database.db, store.id, {
      drop: offset(paris, 7_500, 7_000),
      placedAt: clock.now(),
    });
    const attempt = stores.database.db
      .transaction()
      .execute((trx) => transitionOrders(trx, [o.id], 'assign', { updated_at: new Date(clock.now()) }));
    await expect(attempt).rejects.toMatchObject({ slug: 'order.illegal_transition' } satisfies Partial<AppError>);
    expect(await statusOf('orders', o.id)).toBe('placed');
  });

  it('records the route estimate once per batch', async () => {
    const sealed = await stores.database.db
      .selectFrom('batches')
      .select(['id', 'store_id', 'estimated_cost_s', 'refined_cost_s'])
      .where('status', '=', 'sealed')
      .executeTakeFirstOrThrow();
    const payload = {
      batchId: sealed.id,
      storeId: sealed.store_id,
      sequence: [],
      estimatedCostS: sealed.estimated_cost_s,
      refinedCostS: sealed.refined_cost_s!,
      etas: {},
      readyAt: new Date(clock.now()).toISOString(),
    };
    expect((await recordRouteEstimate(deps, payload)).firstTime).toBe(true);
    expect((await recordRouteEstimate(deps, payload)).firstTime).toBe(false);
  });

  /** The straight-line router whose `route` fails with `failure`. */
  const routeFailing = (failure: () => Error): Router => {
    const straight = new StraightLineRouter();
    return {
      route: async () => {
        throw failure();
      },
      table: straight.table.bind(straight),
      nearest: straight.nearest.bind(straight),
      reachability: straight.reachability.bind(straight),
      close: async () => {},
    };
  };
  const pendingRequests = async (storeId: string) =>
    (
      await sql<{
        n: number;
      }>`select count(*)::int as n from path_provision_requests where store_id = ${storeId}`.execute(stores.database.db)
    ).rows[0]!.n;
  const provisionAsks = async (storeId: string) =>
    (
      await stores.database.db.selectFrom('outbox').select('event').where('topic', '=', 'path.provision').execute()
    ).filter((r) => (r.event.payload as { storeId: string }).storeId === storeId).length;

  it('ends the orders of a cell no road leads to (a permanent answer): cancelled with the reason and an event, never asked again', async () => {
    const store = await insertStore(stores.database.db, offset(paris, -16_000, -6_000));
    const o = await insertOrder(stores.database.db, store.id, {
      drop: offset(paris, -15_000, -6_000),
      placedAt: clock.now(),
    });
    const noRoads = routeFailing(() => new NoRouteError('OSRM NoRoute: Impossible route'));
    expect((await runScopeRound({ ...deps, router: noRoads }, [store.id])).batched).toBe(0);
    const row = await stores.database.db
      .selectFrom('orders')
      .select(['status', 'cancel_reason', 'cancelled_at'])
      .where('id', '=', o.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      status: 'cancelled',
      cancel_reason: 'drop_unreachable',
      cancelled_at: new Date(clock.now()),
    });
    const events = (
      await stores.database.db
        .selectFrom('outbox')
        .select('event')
        .where('topic', '=', 'order.updated')
        .where('key', '=', o.id)
        .execute()
    ).map((r) => r.event.payload);
    expect(events.at(-1)).toMatchObject({
      orderId: o.id,
      status: 'cancelled',
      cancelReason: 'drop_unreachable',
      reason: 'OSRM NoRoute: Impossible route',
    });
    expect(await pendingRequests(store.id)).toBe(0);
    clock.advance(61_000);
    expect(await retryStalePathRequests(deps)).toBe(0);
    expect(await provisionAsks(store.id)).toBe(0);
  });

  it('keeps an order waiting while the router cannot answer (transient: the round fails and the next one asks again)', async () => {
    const store = await insertStore(stores.database.db, offset(paris, -6_000, -6_000));
    const o = await insertOrder(stores.database.db, store.id, {
      drop: offset(paris, -5_000, -6_000),
      placedAt: clock.now(),
    });
    const down = routeFailing(() => new RoutingUnavailableError('OSRM route failed after 3 attempts: HTTP 503'));
    await expect(runScopeRound({ ...deps, router: down }, [store.id])).rejects.toBeInstanceOf(RoutingUnavailableError);
    expect(await statusOf('orders', o.id)).toBe('placed');
    expect(await pendingRequests(store.id)).toBe(0);
    expect((await runScopeRound(deps, [store.id])).batched).toBe(1);
  });
});

describe.each(PIPELINE_BACKENDS)('a drop off the road network on %s stores', (backend) => {
  const clock = new ManualClock(Date.parse('2026-11-20T12:00:00Z'));
  const bus = new MemoryEventBus({ partitions: 1 });
  let stores: PipelineStores;

  beforeAll(async () => {
    stores = await openPipelineStores('pipeline_osrm', backend, clock);
  });

  afterAll(async () => {
    await bus.close();
    await stores?.close();
  });

  it('cancels an order whose own drop the real OSRM snaps 1,104 m away (recorded table), and the round goes on', async () => {
    const osrm = await startOsrmReplayServer();
    const router = new OsrmRouter({ baseUrl: osrm.url });
    try {
      const deps = fixtureDeps({ db: stores.database.db, bus, geoStore: stores.geo, router, clock });
      // The recorded `table-drop-far-from-roads`: a store on Avenue de l'Hermitage and a drop in the sea.
      const store = await insertStore(stores.database.db, { lat: 43.7384, lon: 7.4246 });
      const o = await insertOrder(stores.database.db, store.id, {
        drop: { lat: 43.725, lon: 7.438 },
        placedAt: clock.now(),
      });
      // A hot path covers the drop's cell (built while OSRM was down, by straight line), so the order is in the round.
      const template = await buildPathTemplate(
        new StraightLineRouter(),
        store,
        o.cell,
        deps.params.h3Resolution,
        deps.params.corridorRings,
        'StraightLineRouter',
      );
      await savePathTemplate(stores.database.db, template);
      await stores.geo.indexPath(template.id, template.corridor);
      expect(await runScopeRound(deps, [store.id])).toMatchObject({ batched: 0 });
      expect(osrm.misses).toEqual([]);
      const row = await stores.database.db
        .selectFrom('orders')
        .select(['status', 'cancel_reason'])
        .where('id', '=', o.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'cancelled', cancel_reason: 'drop_unreachable' });
      expect(
        await stores.database.db
          .selectFrom('batch_orders')
          .select('batch_id')
          .where('order_id', '=', o.id)
          .executeTakeFirst(),
      ).toBeUndefined();
    } finally {
      await router.close();
      await osrm.close();
    }
  });
});

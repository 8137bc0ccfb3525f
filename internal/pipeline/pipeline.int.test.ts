/**
 * The dispatch chain's steps against the real Postgres (fresh database) and Redis (own key prefix), called directly:
 * concurrency of batching, hot-path provisioning, sealing, refining, regret and rider assignment. The Kafka wiring is
 * covered by tests/integration/dispatch-chain.int.test.ts.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectConsistentBatches } from '../../tests/support/batch-integrity.ts';
import { createDatabase, type DatabaseHandle } from '../db/database.ts';
import { migrateUp } from '../db/migrate.ts';
import { MemoryEventBus } from '../eventbus/memory-event-bus.ts';
import { RedisGeoStore } from '../geostore/redis-geo-store.ts';
import { ManualClock } from '../platform/clock.ts';
import { silentLogger } from '../platform/logger.ts';
import { OsrmRouter } from '../routing/osrm-router.ts';
import { startOsrmReplayServer } from '../routing/osrm-replay-server.ts';
import { NoRouteError, RoutingUnavailableError, type Router } from '../routing/router.ts';
import { StraightLineRouter } from '../routing/straight-line-router.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { createTestRedis, type TestRedis } from '../../tests/support/redis.ts';
import { onOrderReady, sealDueBatches } from './batch-sealer.ts';
import { batchPlacedOrder, rematchParkedOrders } from './order-batcher.ts';
import { provisionPath, retryStalePathRequests } from './path-provisioner.ts';
import { buildPathTemplate, pathIdOf, savePathTemplate } from './path-templates.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { recordRegret } from './regret-recorder.ts';
import { assignBatch, sweepUnassigned } from './rider-assigner.ts';
import { refineRoute, refineStaleBatches } from './route-refiner.ts';
import { fixtureDeps, insertOrder, insertRider, insertStore, offset } from './test-fixtures.ts';

let testDb: TestDatabase;
let database: DatabaseHandle;
let testRedis: TestRedis;
let geoStore: RedisGeoStore;
const bus = new MemoryEventBus({ logger: silentLogger });
const clock = new ManualClock(Date.parse('2026-11-22T12:00:00Z'));
let deps: PipelineDeps;
const paris = { lat: 48.8566, lon: 2.3522 };

beforeAll(async () => {
  testDb = await createTestDatabase('pipeline', { migrate: (url) => migrateUp(url, silentLogger).then(() => undefined) });
  database = createDatabase(testDb.url, { maxConnections: 20 });
  testRedis = await createTestRedis();
  geoStore = new RedisGeoStore(testRedis.redis, { prefix: testRedis.prefix, clock });
  // The tuned defaults (2 min of service on each side of a hand-over, 5 min bundle delay) cap real batches at 2 drops;
  // a looser delay lets these tests fill batches to the capacity of 3.
  deps = fixtureDeps({ db: database.db, bus, geoStore, router: new StraightLineRouter(), clock, dispatch: { maxBundleDelaySeconds: 900 } });
});

afterAll(async () => {
  await bus.close();
  await database?.close();
  await testRedis?.cleanup();
  await testDb?.drop();
});

async function outboxTopics(): Promise<string[]> {
  const rows = await database.db.selectFrom('outbox').select('topic').orderBy('id').execute();
  return rows.map((r) => r.topic);
}

/** Every pending provision request, served as the path.provision consumer would, then the parked orders re-matched. */
async function provisionPending(storeId: string): Promise<void> {
  const pending = await sql<{ h3_cell: string }>`select h3_cell from path_provision_requests where store_id = ${storeId}`.execute(database.db);
  await Promise.all(pending.rows.map((r) => provisionPath(deps, { storeId, cell: r.h3_cell })));
  // Twice at once, as two deliveries of path.provisioned would: the store lock serialises them.
  await Promise.all([rematchParkedOrders(deps, storeId), rematchParkedOrders(deps, storeId)]);
}

describe('batching', () => {
  it('50 orders posted at once into one area end in correct batches', async () => {
    const store = await insertStore(database.db, paris);
    const area = offset(paris, 1_500, 800);
    const orders = await Promise.all(
      Array.from({ length: 50 }, (_, i) => insertOrder(database.db, store.id, { drop: offset(area, (i % 7) * 40, Math.floor(i / 7) * 40), placedAt: clock.now() })),
    );
    const cells = new Set(orders.map((o) => o.cell));

    // All 50 events handled concurrently (and 10 of them delivered twice).
    const events = orders.map((o, i) => ({ eventId: `evt-${store.id}-${i}`, orderId: o.id }));
    const outcomes = await Promise.all(
      [...events, ...events.slice(0, 10)].map((e) => batchPlacedOrder(deps, 'test.batcher', e.eventId, store.id, e.orderId)),
    );
    expect(outcomes.filter((o) => o.kind === 'skipped' && o.reason === 'duplicate')).toHaveLength(10);
    // No path yet: every order is parked, and each cell asked for its path exactly once.
    expect(outcomes.filter((o) => o.kind === 'parked')).toHaveLength(50);
    expect((await outboxTopics()).filter((t) => t === 'path.provision')).toHaveLength(cells.size);

    await provisionPending(store.id);

    const perBatch = await expectConsistentBatches(database.db, store.id, 50);
    expect(Math.max(...perBatch.values())).toBe(3);
    // Stored drop sequences stay 0..n-1 per batch through insertions in the middle.
    const sequences = await sql<{ seqs: number[] }>`
      select array_agg(bo.sequence order by bo.sequence) as seqs from batch_orders bo join batches b on b.id = bo.batch_id
      where b.store_id = ${store.id} group by bo.batch_id`.execute(database.db);
    for (const { seqs } of sequences.rows) expect(seqs).toEqual(seqs.map((_, i) => i));
    // Full batches sealed at once, with their events in the same transaction.
    const sealed = await database.db.selectFrom('batches').select(['id', 'order_count']).where('store_id', '=', store.id).where('status', '=', 'sealed').execute();
    expect(sealed.length).toBeGreaterThanOrEqual(15);
    expect(sealed.every((b) => b.order_count === 3)).toBe(true);
    const topics = await outboxTopics();
    expect(topics.filter((t) => t === 'routes.refine').length).toBeGreaterThanOrEqual(sealed.length);
    // Every order now travels along a path of its store; paths are indexed by every corridor cell.
    const pathIds = await database.db.selectFrom('orders').select('path_id').where('store_id', '=', store.id).execute();
    expect(pathIds.every((p) => p.path_id !== null)).toBe(true);
    for (const cell of cells) expect(await geoStore.pathsForCell(cell)).toContain(pathIdOf(store.id, cell));
  });

  it('an order near an existing path joins it without provisioning a new one', async () => {
    const store = await insertStore(database.db, offset(paris, -3_000, 0));
    const far = offset(paris, -3_000, 2_500);
    const first = await insertOrder(database.db, store.id, { drop: far, placedAt: clock.now() });
    await batchPlacedOrder(deps, 'test.batcher', `near-1-${store.id}`, store.id, first.id);
    await provisionPending(store.id);
    // Halfway along the way, in another cell: the corridor covers it.
    const near = await insertOrder(database.db, store.id, { drop: offset(paris, -3_000, 1_250), placedAt: clock.now() });
    expect(near.cell).not.toBe(first.cell);
    const outcome = await batchPlacedOrder(deps, 'test.batcher', `near-2-${store.id}`, store.id, near.id);
    expect(outcome.kind).toBe('joined');
  });
});

describe('sealing, refining, regret, assignment', () => {
  it('seals on ready, refines the stops, records regret once, and assigns the nearest rider exactly once', async () => {
    const store = await insertStore(database.db, offset(paris, 0, -4_000));
    const area = offset(paris, 800, -4_000);
    const placed = [];
    for (let i = 0; i < 2; i++) placed.push(await insertOrder(database.db, store.id, { drop: offset(area, i * 150, 0), placedAt: clock.now() }));
    for (const [i, o] of placed.entries()) await batchPlacedOrder(deps, 'test.batcher', `seal-${i}-${store.id}`, store.id, o.id);
    await provisionPending(store.id);
    const batch = await database.db.selectFrom('batches').selectAll().where('store_id', '=', store.id).executeTakeFirstOrThrow();
    expect(batch.status).toBe('open');
    expect(batch.order_count).toBe(2);
    expect(await sealDueBatches(deps)).toBe(0);

    // One order ready: still open. Both: sealed at once ("ready").
    await onOrderReady(deps, { orderId: placed[0]!.id, storeId: store.id, readyMarkedAt: new Date(clock.now()).toISOString() });
    expect((await database.db.selectFrom('batches').select('status').where('id', '=', batch.id).executeTakeFirstOrThrow()).status).toBe('open');
    expect(await onOrderReady(deps, { orderId: placed[1]!.id, storeId: store.id, readyMarkedAt: new Date(clock.now()).toISOString() })).toBe('ready');

    // Not refined yet: the assigner leaves it alone.
    expect((await assignBatch(deps, batch.id)).kind).toBe('skipped');
    const refined = await refineRoute(deps, { batchId: batch.id, storeId: store.id });
    expect(refined.kind).toBe('refined');
    expect((await refineRoute(deps, { batchId: batch.id, storeId: store.id })).kind).toBe('skipped');
    const row = await database.db.selectFrom('batches').select(['stops', 'refined_cost_s', 'estimated_cost_s']).where('id', '=', batch.id).executeTakeFirstOrThrow();
    expect(row.stops?.[0]?.kind).toBe('pickup');
    expect(row.stops?.filter((s) => s.kind === 'drop').map((s) => s.order_id).sort()).toEqual(placed.map((p) => p.id).sort());
    expect(row.refined_cost_s).toBeGreaterThan(0);

    const payload = {
      batchId: batch.id,
      storeId: store.id,
      sequence: placed.map((p) => p.id),
      estimatedCostS: row.estimated_cost_s,
      refinedCostS: row.refined_cost_s!,
      etas: {},
      readyAt: new Date(clock.now()).toISOString(),
    };
    const first = await recordRegret(deps, payload);
    const again = await recordRegret(deps, payload);
    expect(first.firstTime).toBe(true);
    expect(again.firstTime).toBe(false);
    const histogram = await deps.registry.getSingleMetric('dispatch_batch_regret')!.get();
    expect(histogram.values.find((v) => (v as { metricName?: string }).metricName === 'dispatch_batch_regret_count')?.value).toBe(1);

    // No rider: stays sealed. A rider in DB state "offline" but available in Redis: claimed, refused by Postgres, released.
    expect((await assignBatch(deps, batch.id)).kind).toBe('no_rider');
    const ghost = await insertRider(database.db, geoStore, offset(paris, 0, -3_900), clock.now());
    await database.db.updateTable('riders').set({ status: 'offline' }).where('id', '=', ghost).execute();
    expect((await assignBatch(deps, batch.id)).kind).toBe('no_rider');
    expect((await geoStore.getRiderStatus(ghost)).status).toBe('available');
    await geoStore.setRiderAvailability(ghost, 'offline');

    // Two riders 5 km away (found by widening the search) and one near: the near one wins; concurrent assigners agree.
    await insertRider(database.db, geoStore, offset(paris, 5_000, -4_000), clock.now());
    const nearRider = await insertRider(database.db, geoStore, offset(paris, 0, -3_700), clock.now());
    const outcomes = await Promise.all([assignBatch(deps, batch.id), assignBatch(deps, batch.id), sweepUnassigned(deps)]);
    expect(outcomes.filter((o) => typeof o === 'object' && o.kind === 'assigned').length + (outcomes[2] as number)).toBe(1);
    const assigned = await database.db.selectFrom('batches').select(['status', 'rider_id']).where('id', '=', batch.id).executeTakeFirstOrThrow();
    expect(assigned).toEqual({ status: 'assigned', rider_id: nearRider });
    expect((await database.db.selectFrom('riders').select('status').where('id', '=', nearRider).executeTakeFirstOrThrow()).status).toBe('assigned');
    expect(await geoStore.getRiderStatus(nearRider)).toEqual({ status: 'busy', batchId: batch.id });
    const orderStatuses = await database.db.selectFrom('orders').select('status').where('store_id', '=', store.id).execute();
    expect(orderStatuses.every((o) => o.status === 'assigned')).toBe(true);
  });

  it('seals when the wait window closes (sealer loop, with the Clock)', async () => {
    const store = await insertStore(database.db, offset(paris, 4_000, 4_000));
    const o = await insertOrder(database.db, store.id, { drop: offset(paris, 4_500, 4_000), placedAt: clock.now(), prepMinutes: 30, promiseMinutes: 90 });
    await batchPlacedOrder(deps, 'test.batcher', `window-${store.id}`, store.id, o.id);
    await provisionPending(store.id);
    const before = await database.db.selectFrom('batches').select(['id', 'status']).where('store_id', '=', store.id).executeTakeFirstOrThrow();
    expect(before.status).toBe('open');
    clock.advance(deps.params.waitWindowSeconds * 1000);
    expect(await sealDueBatches(deps)).toBeGreaterThanOrEqual(1);
    const after = await database.db.selectFrom('batches').select(['status', 'seal_reason']).where('id', '=', before.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ status: 'sealed', seal_reason: 'window' });
  });

});

describe('safety nets', () => {
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
    (await sql<{ n: number }>`select count(*)::int as n from path_provision_requests where store_id = ${storeId}`.execute(database.db)).rows[0]!.n;
  const provisionAsks = async (storeId: string) =>
    (await database.db.selectFrom('outbox').select('event').where('topic', '=', 'path.provision').execute()).filter(
      (r) => (r.event.payload as { storeId: string }).storeId === storeId,
    ).length;

  it('ends the orders parked for a cell no road leads to (a permanent answer): cancelled with the reason and an event, never asked again', async () => {
    const store = await insertStore(database.db, offset(paris, -16_000, -6_000));
    const o = await insertOrder(database.db, store.id, { drop: offset(paris, -15_000, -6_000), placedAt: clock.now() });
    expect((await batchPlacedOrder(deps, 'test.batcher', `noroad-${store.id}`, store.id, o.id)).kind).toBe('parked');
    expect(await provisionPath({ ...deps, router: routeFailing(() => new NoRouteError('OSRM NoRoute: Impossible route')) }, { storeId: store.id, cell: o.cell })).toBeNull();
    const row = await database.db.selectFrom('orders').select(['status', 'cancel_reason', 'cancelled_at']).where('id', '=', o.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'cancelled', cancel_reason: 'drop_unreachable', cancelled_at: new Date(clock.now()) });
    const events = (await database.db.selectFrom('outbox').select('event').where('topic', '=', 'order.updated').where('key', '=', o.id).execute()).map((r) => r.event.payload);
    expect(events.at(-1)).toMatchObject({ orderId: o.id, status: 'cancelled', cancelReason: 'drop_unreachable', reason: 'OSRM NoRoute: Impossible route' });
    expect(await pendingRequests(store.id)).toBe(0);
    clock.advance(61_000);
    expect(await retryStalePathRequests(deps)).toBe(0);
    expect(await provisionAsks(store.id)).toBe(1);
  });

  it('cancels an order whose own drop the real OSRM snaps 1,104 m away when quoting its batch (recorded table), not retrying', async () => {
    const osrm = await startOsrmReplayServer();
    const router = new OsrmRouter({ baseUrl: osrm.url });
    try {
      // The recorded `table-drop-far-from-roads`: a store on Avenue de l'Hermitage and a drop in the sea.
      const store = await insertStore(database.db, { lat: 43.7384, lon: 7.4246 });
      const o = await insertOrder(database.db, store.id, { drop: { lat: 43.725, lon: 7.438 }, placedAt: clock.now() });
      // A hot path covers the drop's cell (built while OSRM was down, by straight line), so the order is quoted.
      const template = await buildPathTemplate(new StraightLineRouter(), store, o.cell, deps.params.h3Resolution, deps.params.corridorRings, 'StraightLineRouter');
      await savePathTemplate(database.db, template);
      await geoStore.indexPath(template.id, template.corridor);
      const outcome = await batchPlacedOrder({ ...deps, router }, 'test.batcher', `sea-${store.id}`, store.id, o.id);
      expect(outcome).toEqual({ kind: 'unroutable', reason: 'sources[1]: nearest road is 1104 m away (more than 1000 m)' });
      expect(osrm.requests).toHaveLength(1);
      expect(osrm.misses).toEqual([]);
      const row = await database.db.selectFrom('orders').select(['status', 'cancel_reason']).where('id', '=', o.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'cancelled', cancel_reason: 'drop_unreachable' });
      expect(await database.db.selectFrom('batch_orders').select('batch_id').where('order_id', '=', o.id).executeTakeFirst()).toBeUndefined();
    } finally {
      await router.close();
      await osrm.close();
    }
  });

  it('keeps a cell parked while the router cannot answer (transient, retried), and asks again for requests pending too long', async () => {
    const store = await insertStore(database.db, offset(paris, -6_000, -6_000));
    const o = await insertOrder(database.db, store.id, { drop: offset(paris, -5_000, -6_000), placedAt: clock.now() });
    expect((await batchPlacedOrder(deps, 'test.batcher', `stale-${store.id}`, store.id, o.id)).kind).toBe('parked');
    const down = routeFailing(() => new RoutingUnavailableError('OSRM route failed after 3 attempts: HTTP 503'));
    await expect(provisionPath({ ...deps, router: down }, { storeId: store.id, cell: o.cell })).rejects.toBeInstanceOf(RoutingUnavailableError);
    expect(await pendingRequests(store.id)).toBe(1);
    expect((await database.db.selectFrom('orders').select('status').where('id', '=', o.id).executeTakeFirstOrThrow()).status).toBe('placed');

    const asks = () => provisionAsks(store.id);
    expect(await asks()).toBe(1);
    expect(await retryStalePathRequests(deps)).toBe(0);
    clock.advance(61_000);
    expect(await retryStalePathRequests(deps)).toBe(1);
    expect(await retryStalePathRequests(deps)).toBe(0);
    expect(await asks()).toBe(2);
    // With roads again, the retried request provisions the path and the order is batched.
    await provisionPending(store.id);
    expect(await database.db.selectFrom('batch_orders').select('batch_id').where('order_id', '=', o.id).executeTakeFirst()).toBeDefined();
  });

  it('refines a sealed batch whose routes.refine was never handled', async () => {
    const store = await insertStore(database.db, offset(paris, 6_000, -6_000));
    const o = await insertOrder(database.db, store.id, { drop: offset(paris, 6_800, -6_000), placedAt: clock.now() });
    await batchPlacedOrder(deps, 'test.batcher', `unrefined-${store.id}`, store.id, o.id);
    await provisionPending(store.id);
    await onOrderReady(deps, { orderId: o.id, storeId: store.id, readyMarkedAt: new Date(clock.now()).toISOString() });
    const batch = await database.db.selectFrom('batches').select(['id', 'status']).where('store_id', '=', store.id).executeTakeFirstOrThrow();
    expect(batch.status).toBe('sealed');
    const refinedCost = async () =>
      (await database.db.selectFrom('batches').select('refined_cost_s').where('id', '=', batch.id).executeTakeFirstOrThrow()).refined_cost_s;
    await refineStaleBatches(deps); // (earlier tests' sealed batches are stale already; this one is not yet)
    expect(await refinedCost()).toBeNull();
    clock.advance(31_000);
    expect(await refineStaleBatches(deps)).toBe(1);
    const row = await database.db.selectFrom('batches').select('refined_cost_s').where('id', '=', batch.id).executeTakeFirstOrThrow();
    expect(row.refined_cost_s).not.toBeNull();
  });
});

/**
 * The worker's self-healing on both backends (real Postgres + Redis under the suite's own key prefix; embedded PGlite +
 * in-memory geo store): the geo store rebuilt from Postgres after it lost its data, and silent riders' batches given
 * back to dispatch. The dispatch rounds are called directly, as in pipeline.int.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPipelineFixture, PIPELINE_BACKENDS, type PipelineStores } from '../../tests/support/pipeline-backends.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { telemetryDb } from '../telemetry/history-repository.ts';
import { ManualClock } from '../platform/clock.ts';
import { runScopeRound } from './dispatch-scope.ts';
import { reconcileGeoStore } from './geo-reconciler.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { startSelfHealing } from './self-healing.ts';
import { releaseSilentRiders } from './silent-riders.ts';
import { transitionBatch, transitionOrders, transitionRider } from './status-writes.ts';
import { insertOrder, insertRider, insertStore, offset } from './test-fixtures.ts';

const SILENT_MS = 120_000;

describe.each(PIPELINE_BACKENDS)('self-healing on %s stores', (backend) => {
  let stores: PipelineStores;
  const clock = new ManualClock(Date.parse('2026-11-24T12:00:00Z'));
  let deps: PipelineDeps;
  let close: (() => Promise<void>) | undefined;
  const lyon = { lat: 45.764, lon: 4.8357 };

  beforeAll(async () => {
    ({ stores, deps, close } = await openPipelineFixture('self_healing', backend, clock));
  });

  afterAll(async () => {
    await close?.();
  });

  const db = () => stores.database.db;
  const statusOf = async (table: 'orders' | 'batches' | 'riders', id: string) =>
    (await db().selectFrom(table).select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
  const batchOfStore = async (storeId: string) =>
    db()
      .selectFrom('batches')
      .select(['id', 'status', 'rider_id'])
      .where('store_id', '=', storeId)
      .executeTakeFirstOrThrow();
  const silentCheck = () => releaseSilentRiders({ ...deps, silentAfterMs: SILENT_MS });
  /** The released entries of one batch (riders of earlier tests go silent too as the clock moves on). */
  const releasedOf = async (batchId: string) => (await silentCheck()).released.filter((r) => r.batchId === batchId);
  /** Rounds until the store's batch has a rider (an open batch seals at the food's ready time, then is matched). */
  const roundsUntilAssigned = async (storeId: string) => {
    for (let i = 0; i < 3; i++) await runScopeRound(deps, [storeId]);
    return batchOfStore(storeId);
  };

  it('rebuilds hot paths and idle riders from Postgres after the geo store lost everything, and a new order is assigned', async () => {
    const store = await insertStore(db(), lyon);
    const first = await insertOrder(db(), store.id, { drop: offset(lyon, 1_200, 0), placedAt: clock.now() });
    await runScopeRound(deps, [store.id]);
    const paths = await stores.geo.pathsForCell(first.cell);
    expect(paths.length).toBeGreaterThan(0);
    const riderAt = offset(lyon, 100, 0);
    const idle = await insertRider(db(), stores.geo, riderAt, clock.now());
    const offDuty = await insertRider(db(), stores.geo, offset(lyon, 50, 0), clock.now());
    await db().updateTable('riders').set({ status: 'offline' }).where('id', '=', offDuty).execute();
    await stores.geo.setRiderAvailability(offDuty, 'offline');

    // A fresh store has no marker yet: the first check rebuilds (idempotently); the next one costs one read.
    expect((await reconcileGeoStore(deps)).rebuilt).toBe(true);
    expect(await reconcileGeoStore(deps)).toEqual({ rebuilt: false, paths: 0, available: 0, busy: 0, positioned: 0 });

    await stores.flushGeo(); // Redis restarted empty
    expect(await stores.geo.pathsForCell(first.cell)).toEqual([]);
    expect(await stores.geo.getRiderStatus(idle)).toEqual({ status: 'offline', batchId: null });

    const outcome = await reconcileGeoStore(deps);
    expect(outcome).toMatchObject({ rebuilt: true, busy: 0 });
    expect(outcome.paths).toBeGreaterThanOrEqual(paths.length);
    expect(await stores.geo.pathsForCell(first.cell)).toEqual(paths);
    expect(await stores.geo.getRiderStatus(idle)).toEqual({ status: 'available', batchId: null });
    expect(await stores.geo.getRiderStatus(offDuty)).toEqual({ status: 'offline', batchId: null });
    // Its last fix is younger than the TTL: dispatchable at once, at that position.
    const found = await stores.geo.searchAvailable(riderAt, 500, 10);
    expect(found.map((r) => r.riderId)).toEqual([idle]);

    // A new order joins the existing path (no provisioning: the index is back) and gets the rider, no manual step.
    await insertOrder(db(), store.id, { drop: offset(lyon, 1_250, 0), placedAt: clock.now(), prepMinutes: 0 });
    clock.advance(16 * 60_000); // the first order's food is ready too
    await stores.geo.updateRiderPosition(idle, { ...riderAt, recordedAt: clock.now() }); // its device keeps pinging
    const batch = await roundsUntilAssigned(store.id);
    expect(batch).toMatchObject({ status: 'assigned', rider_id: idle });
    expect(
      await db().selectFrom('path_templates').select('id').where('store_id', '=', store.id).execute(),
    ).toHaveLength(paths.length);
  });

  it('the loop notices a flush by itself, rebuilds and pokes dispatch', async () => {
    const store = await insertStore(db(), offset(lyon, -5_000, 0));
    const o = await insertOrder(db(), store.id, { drop: offset(lyon, -4_000, 0), placedAt: clock.now() });
    await runScopeRound(deps, [store.id]);
    const paths = await stores.geo.pathsForCell(o.cell);
    expect(paths.length).toBeGreaterThan(0);
    let pokes = 0;
    const healing = startSelfHealing({
      ...deps,
      settings: { reconcileIntervalMs: 50, riderSilentAfterMs: 3_600_000, silentCheckIntervalMs: 60_000 },
      onRepaired: () => void pokes++,
    });
    try {
      await healing.settled();
      const before = healing.totals.rebuilds;
      await stores.flushGeo();
      await waitFor(
        async () => (await stores.geo.pathsForCell(o.cell)).length > 0 && healing.totals.rebuilds > before,
        { timeoutMs: 10_000, what: 'the paths rebuilt' },
      );
      expect(await stores.geo.pathsForCell(o.cell)).toEqual(paths);
      expect(pokes).toBeGreaterThan(0);
      expect(await deps.registry.getSingleMetricAsString('geostore_rebuilds_total')).toMatch(
        /geostore_rebuilds_total [1-9]/,
      );
    } finally {
      await healing.stop();
    }
  });

  it('gives a silent rider’s not-yet-picked-up batch back to dispatch, which assigns it to another rider', async () => {
    const base = offset(lyon, 0, 8_000);
    const store = await insertStore(db(), base);
    for (let i = 0; i < 2; i++)
      await insertOrder(db(), store.id, {
        drop: offset(base, 900 + i * 100, 0),
        placedAt: clock.now(),
        prepMinutes: 10,
      });
    const nearAt = offset(base, 100, 0);
    const farAt = offset(base, 2_000, 0);
    const near = await insertRider(db(), stores.geo, nearAt, clock.now());
    const far = await insertRider(db(), stores.geo, farAt, clock.now());
    await runScopeRound(deps, [store.id]);
    clock.advance(10 * 60_000);
    await stores.geo.updateRiderPosition(near, { ...nearAt, recordedAt: clock.now() }); // only `near` is live now
    const assigned = await roundsUntilAssigned(store.id);
    expect(assigned).toMatchObject({ status: 'assigned', rider_id: near });
    const assignedAt = clock.now();

    // Heard 90 s after the assignment (live in the geo store): not silent 140 s after it.
    clock.set(assignedAt + 90_000);
    await stores.geo.updateRiderPosition(near, { ...nearAt, recordedAt: clock.now() });
    clock.set(assignedAt + 140_000);
    expect(await releasedOf(assigned.id)).toEqual([]);
    // Heard at +200 s by the GPS history only (the geo position expired at +150 s): not silent at +215 s.
    await telemetryDb(db())
      .insertInto('rider_locations')
      .values({
        rider_id: near,
        recorded_at: new Date(assignedAt + 199_000),
        received_at: new Date(assignedAt + 200_000),
        lat: nearAt.lat,
        lon: nearAt.lon,
      })
      .execute();
    clock.set(assignedAt + 215_000);
    expect(await releasedOf(assigned.id)).toEqual([]);
    expect(await statusOf('batches', assigned.id)).toBe('assigned');

    // Silent for longer than 120 s: the batch goes back to sealed, its orders to batched, the rider to idle.
    clock.set(assignedAt + 321_000);
    await stores.geo.updateRiderPosition(far, { ...farAt, recordedAt: clock.now() }); // another rider is around
    expect(await releasedOf(assigned.id)).toEqual([{ batchId: assigned.id, riderId: near }]);
    expect(await batchOfStore(store.id)).toEqual({ id: assigned.id, status: 'sealed', rider_id: null });
    expect(await statusOf('riders', near)).toBe('idle');
    const orders = await db()
      .selectFrom('batch_orders')
      .innerJoin('orders', 'orders.id', 'batch_orders.order_id')
      .select(['orders.status', 'orders.assigned_at'])
      .where('batch_id', '=', assigned.id)
      .execute();
    expect(orders).toEqual([
      { status: 'batched', assigned_at: null },
      { status: 'batched', assigned_at: null },
    ]);
    const events = await db()
      .selectFrom('outbox')
      .select(['topic', 'event'])
      .where('key', 'in', [assigned.id, near])
      .orderBy('id')
      .execute();
    expect(events.at(-2)?.event.payload).toMatchObject({
      batchId: assigned.id,
      status: 'sealed',
      riderId: null,
      reason: 'rider_silent',
    });
    expect(events.at(-1)).toMatchObject({
      topic: 'rider.updated',
      event: { payload: { riderId: near, status: 'idle' } },
    });
    // The geo store freed it, but it is not dispatched again until its pings resume.
    expect(await stores.geo.getRiderStatus(near)).toEqual({ status: 'available', batchId: null });
    expect(await stores.geo.getRiderPosition(near)).toBeNull();
    // A second check finds nothing more to do.
    expect(await releasedOf(assigned.id)).toEqual([]);

    const reassigned = await roundsUntilAssigned(store.id);
    expect(reassigned).toMatchObject({ id: assigned.id, status: 'assigned', rider_id: far });
    expect(await statusOf('riders', far)).toBe('assigned');

    // A rebuild after a flush restores the busy rider with its batch.
    await stores.flushGeo();
    expect((await reconcileGeoStore(deps)).busy).toBeGreaterThanOrEqual(1);
    expect(await stores.geo.getRiderStatus(far)).toEqual({ status: 'busy', batchId: assigned.id });
  });

  it('keeps a picked-up batch with its silent rider and raises the alert gauge instead', async () => {
    const base = offset(lyon, 0, -8_000);
    const store = await insertStore(db(), base);
    await insertOrder(db(), store.id, { drop: offset(base, 900, 0), placedAt: clock.now(), prepMinutes: 10 });
    const riderAt = offset(base, 100, 0);
    const rider = await insertRider(db(), stores.geo, riderAt, clock.now());
    await runScopeRound(deps, [store.id]);
    clock.advance(10 * 60_000);
    await stores.geo.updateRiderPosition(rider, { ...riderAt, recordedAt: clock.now() });
    const assigned = await roundsUntilAssigned(store.id);
    expect(assigned.rider_id).toBe(rider);
    const now = new Date(clock.now());
    await db()
      .transaction()
      .execute(async (trx) => {
        await transitionBatch(trx, assigned.id, 'pick_up', { picked_up_at: now, updated_at: now });
        const ids = (
          await trx.selectFrom('batch_orders').select('order_id').where('batch_id', '=', assigned.id).execute()
        ).map((r) => r.order_id);
        await transitionOrders(trx, ids, 'pick_up', { picked_up_at: now, updated_at: now });
        await transitionRider(trx, rider, 'pick_up', now);
      });
    const gauge = async () =>
      (await deps.registry.getSingleMetric('dispatch_silent_riders_carrying')?.get())?.values[0]?.value;

    clock.advance(SILENT_MS - 1_000);
    const early = await silentCheck();
    expect(early.carrying).not.toContainEqual({ batchId: assigned.id, riderId: rider });

    clock.advance(2_000);
    const late = await silentCheck();
    expect(late.carrying).toContainEqual({ batchId: assigned.id, riderId: rider });
    expect(late.released).not.toContainEqual(expect.objectContaining({ batchId: assigned.id }));
    expect(await gauge()).toBe(late.carrying.length);
    expect(await statusOf('batches', assigned.id)).toBe('picked_up');
    expect(await statusOf('riders', rider)).toBe('delivering');

    // It is heard again: the gauge drops.
    await stores.geo.updateRiderPosition(rider, { ...riderAt, recordedAt: clock.now() });
    const heard = await silentCheck();
    expect(heard.carrying).not.toContainEqual({ batchId: assigned.id, riderId: rider });
    expect(await gauge()).toBe(heard.carrying.length);
  });
});

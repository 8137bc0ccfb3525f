/**
 * The hindsight job over real stores: delivered batches as the API leaves them, the regret written once their decision
 * window is over, observed once in `dispatch_batch_regret`.
 */
import { randomUUID } from 'node:crypto';
import { latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPipelineFixture, PIPELINE_BACKENDS, type PipelineStores } from '../../tests/support/pipeline-backends.ts';
import { REGRET_WINDOW_SECONDS } from '../dispatch/hindsight-regret.ts';
import { ManualClock } from '../platform/clock.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { computeDueRegrets, HINDSIGHT_HORIZON_MS } from './regret-hindsight.ts';
import { regretHistogram } from './regret-recorder.ts';
import { insertOrder, insertRider, insertStore, offset } from './test-fixtures.ts';

const MIN = 60_000;

describe.each(PIPELINE_BACKENDS)('regret in hindsight on %s stores', (backend) => {
  const t0 = Date.parse('2026-11-22T12:00:00Z');
  const clock = new ManualClock(t0);
  let stores: PipelineStores;
  let deps: PipelineDeps;
  let close: (() => Promise<void>) | undefined;
  const paris = { lat: 48.8566, lon: 2.3522 };

  beforeAll(async () => {
    ({ stores, deps, close } = await openPipelineFixture('regret_hindsight', backend, clock));
  });
  afterAll(async () => {
    await close?.();
  });

  /** One delivered single-order batch, as the delivery service leaves it. */
  async function deliveredBatch(
    storeId: string,
    pathId: string,
    drop: { lat: number; lon: number },
    times: { assigned: number; pickedUp: number; delivered: number },
  ): Promise<{ batchId: string; orderId: string }> {
    const db = stores.database.db;
    const rider = await insertRider(db, stores.geo, paris, clock.now());
    const { id: orderId } = await insertOrder(db, storeId, { drop, placedAt: t0 - 15 * MIN });
    const batchId = randomUUID();
    const at = (ms: number) => new Date(ms);
    await db
      .insertInto('batches')
      .values({
        id: batchId,
        store_id: storeId,
        path_id: pathId,
        status: 'delivered',
        capacity: 3,
        order_count: 1,
        opened_at: at(times.assigned - MIN),
        window_closes_at: at(times.assigned),
        latest_departure_at: at(times.assigned + 10 * MIN),
        ready_at: at(t0),
        sealed_at: at(times.assigned),
        estimated_cost_s: 600,
        refined_cost_s: 600,
        rider_id: rider,
        assigned_at: at(times.assigned),
        picked_up_at: at(times.pickedUp),
        delivered_at: at(times.delivered),
      })
      .execute();
    await db.insertInto('batch_orders').values({ batch_id: batchId, order_id: orderId, sequence: 0 }).execute();
    await db
      .updateTable('orders')
      .set({
        status: 'delivered',
        path_id: pathId,
        ready_marked_at: at(t0),
        batched_at: at(times.assigned),
        assigned_at: at(times.assigned),
        picked_up_at: at(times.pickedUp),
        delivered_at: at(times.delivered),
        delivered_lat: drop.lat,
        delivered_lon: drop.lon,
        delivery_distance_m: 0,
        delivery_closed_batch: true,
      })
      .where('id', '=', orderId)
      .execute();
    return { batchId, orderId };
  }

  /** A hot path from the store toward `drop` (batches reference one). */
  async function pathTemplate(storeId: string, drop: { lat: number; lon: number }): Promise<string> {
    const pathId = `path-${randomUUID()}`;
    await stores.database.db
      .insertInto('path_templates')
      .values({
        id: pathId,
        store_id: storeId,
        h3_cell: latLngToCell(drop.lat, drop.lon, 8),
        h3_resolution: 8,
        target_lat: drop.lat,
        target_lon: drop.lon,
        geometry: JSON.stringify({ type: 'LineString', coordinates: [[drop.lon, drop.lat]] }),
        distance_m: 1500,
        duration_s: 300,
        corridor_cells: [latLngToCell(drop.lat, drop.lon, 8)],
        router: 'straight-line',
      })
      .execute();
    return pathId;
  }

  it('charges the second of two batches to the same building, once, after the window', async () => {
    const db = stores.database.db;
    const store = await insertStore(db, paris);
    const drop = offset(paris, 1_200, 600);
    const pathId = await pathTemplate(store.id, drop);
    // Both riders stand at the store when the food is ready (pickup service 120 s before the recorded pickup).
    const first = await deliveredBatch(store.id, pathId, drop, {
      assigned: t0 - 5 * MIN,
      pickedUp: t0,
      delivered: t0 + 10 * MIN,
    });
    const second = await deliveredBatch(store.id, pathId, drop, {
      assigned: t0 - 4 * MIN,
      pickedUp: t0,
      delivered: t0 + 10 * MIN,
    });

    // The window after the second decision is not over: nothing is due yet.
    clock.set(t0 - 4 * MIN + (REGRET_WINDOW_SECONDS - 1) * 1000);
    expect(await computeDueRegrets(deps)).toBe(1); // the first is due: its own window is over
    clock.set(t0 - 4 * MIN + REGRET_WINDOW_SECONDS * 1000);
    expect(await computeDueRegrets(deps)).toBe(1);
    expect(await computeDueRegrets(deps)).toBe(0); // computed once

    const rows = await db
      .selectFrom('batch_regret')
      .selectAll()
      .where('batch_id', 'in', [first.batchId, second.batchId])
      .execute();
    const byId = new Map(rows.map((r) => [r.batch_id, r]));
    const a = byId.get(first.batchId)!;
    const b = byId.get(second.batchId)!;
    expect(a).toMatchObject({ regret_s: 0, alternative: 'as_executed', merged_with: null, store_id: store.id });
    expect(a.realised_s).toBeGreaterThan(0);
    expect(a.hindsight_best_s).toBe(a.realised_s);
    // The second decision: the first rider could have taken both (one extra hand-over at the same door), the second
    // rider's whole trip was the waste.
    expect(b).toMatchObject({ alternative: 'merge', merged_with: first.batchId, store_id: store.id });
    expect(b.decided_at?.getTime()).toBe(t0 - 4 * MIN);
    expect(b.regret_s).toBeGreaterThan(60);
    expect(b.regret_s! + b.hindsight_best_s!).toBeCloseTo(b.realised_s!, 6);
    expect(b.relative).toBeCloseTo(b.regret_s! / b.realised_s!, 9);
    expect(b.best_trips).toHaveLength(1);
    expect([...b.best_trips![0]!.order_ids].sort()).toEqual([first.orderId, second.orderId].sort());
    // The same realised cost from the recorded drop (10 min after pickup) exists beside the modelled one.
    expect(b.actual_s).toBeGreaterThan(0);

    const metrics = await regretHistogram(deps.registry).get();
    const count = metrics.values.find((v) => v.metricName === 'dispatch_batch_regret_count')?.value;
    expect(count).toBe(2);
  });

  it('leaves batches decided more than a day ago alone', async () => {
    const store = await insertStore(stores.database.db, paris);
    const drop = offset(paris, -900, 400);
    const pathId = await pathTemplate(store.id, drop);
    const old = clock.now() - HINDSIGHT_HORIZON_MS - MIN;
    await deliveredBatch(store.id, pathId, drop, { assigned: old, pickedUp: old + 5 * MIN, delivered: old + 15 * MIN });
    expect(await computeDueRegrets(deps)).toBe(0);
  });
});

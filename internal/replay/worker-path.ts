/**
 * Replays an MDRPLIB instance through the production worker path instead of the in-memory engine: the worker as
 * `composeWorker` builds it (outbox relay, the dispatch consumers, the per-scope rounds) over the embedded adapters —
 * PGlite, the in-process bus (one partition: one scope, the whole city, as the replay sees it), the in-memory geo store —
 * with a Router that answers from the instance's travel model, and a virtual clock the worker obeys.
 *
 * Each simulated minute t, with the clock still at the previous round's instant: couriers whose route ended by t finish
 * it through the lifecycle (pick-up, drops, idle at the last drop), the orders placed at t are written with their
 * `order.placed` events; once the worker has seen them, the clock moves to t and the worker is poked for one round,
 * and the harness waits until it settled. The couriers' routes are what the worker committed (batches.stops).
 *
 * Used by the parity test (the same batches, riders and click-to-door as `replayInstance`) and by the replay bench.
 */
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { composeWorker } from '../../apps/worker/worker.ts';
import type { Adapters } from '../app/adapters.ts';
import { loadConfig } from '../config/config.ts';
import { createDatabase } from '../db/database.ts';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { migrateUp } from '../db/migrate.ts';
import { cellOf } from '../dispatch/hot-paths.ts';
import { record } from '../events/catalog.ts';
import { MemoryEventBus } from '../eventbus/memory-event-bus.ts';
import { MemoryGeoStore } from '../geostore/memory-geo-store.ts';
import { MemoryRateLimiter } from '../ratelimit/memory-rate-limiter.ts';
import { enqueue } from '../outbox/outbox.ts';
import { transitionBatch, transitionOrders } from '../pipeline/status-writes.ts';
import { ManualClock } from '../platform/clock.ts';
import { silentLogger } from '../platform/logger.ts';
import { nextRiderStatus } from '../riders/rider-lifecycle.ts';
import type { Router } from '../routing/router.ts';
import type { MdrpInstance } from './instance.ts';
import { mdrpTravelTime, serviceTimesOf, toGeo } from './travel-model.ts';

const MINUTE = 60_000;
/** Instance minute 0 on the worker's clock: one day after the epoch, so minute −1 is still a valid instant. */
const BASE_MS = 24 * 60 * MINUTE;
const at = (minute: number): number => BASE_MS + minute * MINUTE;

/** One committed rider route, in instance ids. */
export interface WorkerPathAssignment {
  readonly courier: string;
  /** Instance order ids, in drop order. */
  readonly orders: readonly string[];
  readonly assignedAt: number;
  readonly pickupAt: number;
  /** Hand-over time per order (ms since instance minute 0). */
  readonly dropAt: Readonly<Record<string, number>>;
}

export interface WorkerPathResult {
  readonly instance: string;
  readonly assignments: readonly WorkerPathAssignment[];
  /** Mean click-to-door (minutes) of the delivered orders. */
  readonly clickToDoorMinutes: number;
  readonly delivered: number;
  readonly elapsedMs: number;
}

/** A Router over the instance's travel model: straight lines, whole minutes; every point is on the "road". */
export function travelModelRouter(metersPerMinute: number): Router {
  const travel = mdrpTravelTime(metersPerMinute);
  return {
    async route(from, to) {
      return {
        distanceM: travel.distanceMeters(from, to),
        durationS: travel.durationSeconds(from, to),
        geometry: {
          type: 'LineString',
          coordinates: [
            [from.lon, from.lat],
            [to.lon, to.lat],
          ],
        },
      };
    },
    async table(sources, destinations) {
      return {
        durationsS: sources.map((s) => destinations.map((d) => travel.durationSeconds(s, d))),
        distancesM: sources.map((s) => destinations.map((d) => travel.distanceMeters(s, d))),
      };
    },
    async nearest(point) {
      return { point: { lat: point.lat, lon: point.lon }, distanceM: 0 };
    },
    async reachability() {
      return { reachable: true };
    },
    async close() {},
  };
}

/** UUIDs whose order is `index`'s, so the worker lists riders in the instance's courier order (as the replay does). */
const orderedId = (index: number): string => `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;

const waitFor = async (what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`worker path: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** Replays `instance` through the worker (see the module comment). */
export async function replayThroughWorker(instance: MdrpInstance): Promise<WorkerPathResult> {
  const started = performance.now();
  const p = instance.parameters;
  const clock = new ManualClock(0);
  const embedded = await startEmbeddedPostgres();
  const closers: Array<() => Promise<unknown>> = [() => embedded.close()];
  try {
    await migrateUp(embedded.url, silentLogger);
    const database = createDatabase(embedded.url, { maxConnections: 4 });
    closers.unshift(() => database.close());
    const db = database.db;
    const bus = new MemoryEventBus({ logger: silentLogger, partitions: 1 });
    const geo = new MemoryGeoStore({ clock, riderTtlMs: 365 * 24 * 60 * MINUTE });
    const adapters: Adapters = {
      db,
      pool: database.pool,
      bus,
      geo,
      limiter: new MemoryRateLimiter(), // the worker serves no requests
      router: travelModelRouter(p.metersPerMinute),
      kinds: { postgres: 'pglite', bus: 'memory', geo: 'memory', router: 'straight-line' },
      healthChecks: [],
      close: async () => {
        await bus.close();
        await geo.close();
      },
    };
    closers.unshift(() => adapters.close());
    const worker = await composeWorker(loadConfig({ LOG_LEVEL: 'silent' }), silentLogger, {
      adapters,
      clock,
      metrics: new Registry(),
      dispatch: { service: serviceTimesOf(p) },
      // Rounds run when the harness pokes, once per simulated minute (and never twice at one instant).
      sweepIntervalMs: 3e8,
      // The harness drives rider state and positions itself; couriers carry batches for many silent virtual minutes.
      selfHealing: false,
      // A replay measures dispatch; archiving its events for the export is work it does not need.
      archive: false,
    });
    closers.unshift(() => worker.cleanup());

    const storeId = new Map(instance.restaurants.map((r, i) => [r.id, orderedId(1_000_000 + i)]));
    const courierOf = new Map<string, string>();
    const firstMinute = Math.min(
      ...instance.orders.map((o) => o.placementTime),
      ...instance.couriers.map((c) => c.onTime),
    );
    clock.set(at(firstMinute - 1));
    await db
      .insertInto('stores')
      .values(
        instance.restaurants.map((r) => ({
          id: storeId.get(r.id)!,
          name: r.id,
          ...toGeo(r),
          h3_cell: cellOf(toGeo(r), 8),
        })),
      )
      .execute();
    // Couriers on shift from the start (the product has no shift plan): idle where the instance puts them.
    await db
      .insertInto('riders')
      .values(
        instance.couriers.map((c, i) => ({
          id: orderedId(i),
          name: c.id,
          status: 'idle' as const,
          last_lat: toGeo(c).lat,
          last_lon: toGeo(c).lon,
        })),
      )
      .execute();
    for (const [i, c] of instance.couriers.entries()) {
      courierOf.set(orderedId(i), c.id);
      await geo.updateRiderPosition(orderedId(i), { ...toGeo(c), recordedAt: clock.now() });
      await geo.setRiderAvailability(orderedId(i), 'available');
    }
    await worker.start();
    const pipeline = worker.pipeline()!;

    const byMinute = new Map<number, MdrpInstance['orders'][number][]>();
    for (const o of instance.orders) byMinute.set(o.placementTime, [...(byMinute.get(o.placementTime) ?? []), o]);
    const orderUuid = new Map<string, string>();
    const orderName = new Map<string, string>();
    const placement = new Map(instance.orders.map((o) => [o.id, o.placementTime]));
    const assignments: WorkerPathAssignment[] = [];
    /** Routes in flight: when the rider is free again, and what to finish then. */
    const inFlight: Array<{ batchId: string; riderId: string; freeAt: number; last: { lat: number; lon: number } }> =
      [];
    const lastPlacement = Math.max(...instance.orders.map((o) => o.placementTime));
    const lastOff = Math.max(...instance.couriers.map((c) => c.offTime));
    const dropAfterMs = serviceTimesOf(p).dropAfterSeconds * 1000;
    let placedSoFar = 0;

    for (let t = firstMinute; t <= lastOff; t++) {
      const now = new Date(clock.now());
      // 1. Routes that ended by t: pick-up, drops and the rider idle at its last drop, through the lifecycles.
      for (const route of inFlight.filter((r) => r.freeAt <= at(t))) {
        inFlight.splice(inFlight.indexOf(route), 1);
        await db.transaction().execute(async (trx) => {
          const ids = (
            await trx.selectFrom('batch_orders').select('order_id').where('batch_id', '=', route.batchId).execute()
          ).map((r) => r.order_id);
          await transitionBatch(trx, route.batchId, 'pick_up', { picked_up_at: now, updated_at: now });
          await transitionOrders(trx, ids, 'pick_up', { picked_up_at: now, updated_at: now });
          await transitionOrders(trx, ids, 'deliver', { delivered_at: now, updated_at: now });
          await transitionBatch(trx, route.batchId, 'deliver', { delivered_at: now, updated_at: now });
          let status = nextRiderStatus('assigned', 'pick_up')!;
          status = nextRiderStatus(status, 'finish')!;
          await trx
            .updateTable('riders')
            .set({ status, last_lat: route.last.lat, last_lon: route.last.lon, updated_at: now })
            .where('id', '=', route.riderId)
            .where('status', '=', 'assigned')
            .execute();
          await enqueue(trx, [
            record('riderUpdated', route.riderId, { riderId: route.riderId, status, batchId: null }, now),
          ]);
        });
        await geo.updateRiderPosition(route.riderId, { ...route.last, recordedAt: clock.now() });
        await geo.releaseRider(route.riderId, route.batchId);
      }
      // 2. Orders placed at t, in instance order (placed_at a few ms before t keeps that order and hides them until t).
      const placed = byMinute.get(t) ?? [];
      if (placed.length > 0) {
        await db.transaction().execute(async (trx) => {
          const rows = placed.map((o, i) => {
            const id = randomUUID();
            orderUuid.set(o.id, id);
            orderName.set(id, o.id);
            const drop = toGeo(o);
            return {
              id,
              store_id: storeId.get(o.restaurant)!,
              drop_lat: drop.lat,
              drop_lon: drop.lon,
              h3_cell: cellOf(drop, 8),
              items: JSON.stringify([]),
              placed_at: new Date(at(t) - (placed.length - i)),
              ready_at: new Date(at(o.readyTime)),
              promised_at: new Date(at(o.placementTime + p.targetClickToDoor)),
            };
          });
          await trx.insertInto('orders').values(rows).execute();
          await enqueue(
            trx,
            rows.map((r) =>
              record(
                'orderPlaced',
                r.store_id,
                {
                  orderId: r.id,
                  storeId: r.store_id,
                  cell: r.h3_cell,
                  drop: { lat: r.drop_lat, lon: r.drop_lon },
                  placedAt: r.placed_at.toISOString(),
                  readyAt: r.ready_at.toISOString(),
                  promisedAt: r.promised_at.toISOString(),
                },
                now,
              ),
            ),
          );
        });
        placedSoFar += placed.length;
      }
      // 3. Once the worker has seen every store with orders: the clock moves to t, one round.
      const stores = new Set(
        instance.orders.filter((o) => o.placementTime <= t).map((o) => storeId.get(o.restaurant)!),
      );
      await waitFor('the order.placed events', () =>
        [...stores].every((s) => [...pipeline.scopes().values()].some((set) => set.has(s))),
      );
      clock.set(at(t));
      pipeline.poke();
      await pipeline.settled();
      // 4. What the round committed.
      const committed = await db
        .selectFrom('batches')
        .select(['id', 'rider_id', 'assigned_at', 'stops'])
        .where('status', '=', 'assigned')
        .where('assigned_at', '=', new Date(at(t)))
        .orderBy('id')
        .execute();
      for (const b of committed) {
        const stops = b.stops!;
        const drops = stops.filter((s) => s.kind === 'drop');
        const last = drops[drops.length - 1]!;
        inFlight.push({
          batchId: b.id,
          riderId: b.rider_id!,
          freeAt: Date.parse(last.eta) + dropAfterMs,
          last: { lat: last.lat, lon: last.lon },
        });
        assignments.push({
          courier: courierOf.get(b.rider_id!)!,
          orders: drops.map((d) => orderName.get(d.order_id!)!),
          assignedAt: t * MINUTE,
          pickupAt: Date.parse(stops[0]!.eta) - BASE_MS,
          dropAt: Object.fromEntries(drops.map((d) => [orderName.get(d.order_id!)!, Date.parse(d.eta) - BASE_MS])),
        });
      }
      const assignedOrders = assignments.reduce((n, a) => n + a.orders.length, 0);
      if (t >= lastPlacement && assignedOrders === placedSoFar) break;
    }
    const drops = assignments.flatMap((a) => a.orders.map((o) => a.dropAt[o]! / MINUTE - placement.get(o)!));
    return {
      instance: instance.name,
      assignments,
      clickToDoorMinutes: drops.reduce((s, d) => s + d, 0) / Math.max(1, drops.length),
      delivered: drops.length,
      elapsedMs: performance.now() - started,
    };
  } finally {
    for (const close of closers) await close().catch(() => {});
  }
}

/**
 * The first `minutes` of `instance`: its orders placed then, the couriers whose shift starts then — on shift from the
 * start and until well after the slice (the product has no shift plan: a worker only knows riders that are online).
 */
export function sliceInstance(instance: MdrpInstance, minutes: number): MdrpInstance {
  const first = Math.min(...instance.orders.map((o) => o.placementTime));
  const end = first + minutes;
  const couriers = instance.couriers
    .filter((c) => c.onTime < end)
    .map((c) => ({ ...c, onTime: first, offTime: end + 240 }));
  return {
    ...instance,
    name: `${instance.name}[0,${minutes})`,
    orders: instance.orders.filter((o) => o.placementTime < end),
    couriers,
  };
}

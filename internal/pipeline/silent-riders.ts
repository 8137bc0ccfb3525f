/**
 * Riders that stopped sending GPS while they carry a batch. A rider is *silent* when the newest evidence that it is
 * alive is older than `silentAfterMs` on the injected clock; the evidence is the freshest of: its live position in the
 * geo store (`lastSeenAt`, the server's receipt time), the GPS history's `received_at`, `riders.last_seen_at`, and the
 * batch's `assigned_at` / `picked_up_at` (a rider just given a batch had a live position a moment ago).
 *
 * - Batch still `assigned` (food not picked up): the batch goes back to dispatch — batch `release` (assigned → sealed,
 *   rider cleared), its orders `release` (assigned → batched), the rider `release` (assigned → idle) — in one
 *   transaction under the store lock, with `batch.updated`, `order.updated` and `rider.updated` in the outbox. The geo
 *   store then frees the rider (busy → available, no live position, so it is dispatched again only once its pings
 *   resume). The next dispatch round assigns the batch to another rider (`rider.updated` idle pokes the rounds).
 * - Batch `picked_up`: the food is with the rider, so nothing is reassigned; the gauge
 *   `dispatch_silent_riders_carrying` counts such riders (alert on > 0) and each is logged.
 */
import type { Kysely } from 'kysely';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Database } from '../db/schema.ts';
import type { GeoStore } from '../geostore/geo-store.ts';
import { batchUpdated, orderUpdated, riderUpdated } from '../orders/order-events.ts';
import { enqueue } from '../outbox/outbox.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import { markAvailable } from '../riders/rider-availability.ts';
import { latestFixes } from './geo-reconciler.ts';
import { lockStore } from './pipeline-deps.ts';
import { transitionBatch, transitionOrders, transitionRider } from './status-writes.ts';

export interface SilentRiderDeps {
  db: Kysely<Database>;
  geoStore: GeoStore;
  clock: Clock;
  logger: Logger;
  /** Where the gauge and counter are registered. */
  registry: Registry;
  /** A rider whose newest evidence is older than this (clock ms) is silent. */
  silentAfterMs: number;
}

export interface SilentRiderOutcome {
  /** Batches given back to dispatch, with the rider that had them. */
  released: Array<{ batchId: string; riderId: string }>;
  /** Silent riders carrying a picked-up batch (the gauge's value). */
  carrying: Array<{ batchId: string; riderId: string }>;
}

/** The gauge and counter, registered once per registry (workers sharing a registry in tests share them). */
export function silentRiderMetrics(registry: Registry): { carrying: Gauge; released: Counter } {
  const carrying =
    (registry.getSingleMetric('dispatch_silent_riders_carrying') as Gauge | undefined) ??
    new Gauge({
      name: 'dispatch_silent_riders_carrying',
      help: 'Riders silent (no GPS) longer than RIDER_SILENT_AFTER_S while carrying a picked-up batch. Alert on > 0.',
      registers: [registry],
    });
  const released =
    (registry.getSingleMetric('dispatch_silent_rider_releases_total') as Counter | undefined) ??
    new Counter({
      name: 'dispatch_silent_rider_releases_total',
      help: 'Batches given back to dispatch because their rider went silent before the pickup.',
      registers: [registry],
    });
  return { carrying, released };
}

/** One check: releases the not-yet-picked-up batches of silent riders and sets the gauge for the picked-up ones. */
export async function releaseSilentRiders(deps: SilentRiderDeps): Promise<SilentRiderOutcome> {
  const { db, geoStore, clock, logger } = deps;
  const metrics = silentRiderMetrics(deps.registry);
  const now = clock.now();
  const cutoff = now - deps.silentAfterMs;
  const outcome: SilentRiderOutcome = { released: [], carrying: [] };

  const carried = await db
    .selectFrom('batches')
    .innerJoin('riders', 'riders.id', 'batches.rider_id')
    .select([
      'batches.id as batch_id',
      'batches.status',
      'batches.store_id',
      'batches.assigned_at',
      'batches.picked_up_at',
      'riders.id as rider_id',
      'riders.last_seen_at',
    ])
    .where('batches.status', 'in', ['assigned', 'picked_up'])
    .execute();
  const newest = (...times: Array<Date | null>): number =>
    Math.max(...times.map((t) => t?.getTime() ?? Number.NEGATIVE_INFINITY));
  // Cheap evidence first (the rows themselves), then the history, then the geo store, each only for those still suspect.
  let suspects = carried.filter((b) => newest(b.last_seen_at, b.assigned_at, b.picked_up_at) <= cutoff);
  if (suspects.length > 0) {
    const heard = await latestFixes(db, [...new Set(suspects.map((s) => s.rider_id))], cutoff);
    suspects = suspects.filter((s) => !heard.has(s.rider_id));
  }
  const silent: typeof suspects = [];
  for (const s of suspects) {
    const live = await geoStore.getRiderPosition(s.rider_id);
    if (!live || live.lastSeenAt <= cutoff) silent.push(s);
  }

  for (const s of silent) {
    const entry = { batchId: s.batch_id, riderId: s.rider_id };
    if (s.status === 'picked_up') {
      outcome.carrying.push(entry);
      continue;
    }
    if (await releaseBatch(deps, s.store_id, s.batch_id, s.rider_id, new Date(now))) {
      // After the commit: the geo store mirrors Postgres (busy with this batch → available, not live until it pings).
      await markAvailable(geoStore, logger, s.rider_id, null, now, s.batch_id);
      metrics.released.inc();
      outcome.released.push(entry);
    }
  }
  metrics.carrying.set(outcome.carrying.length);
  if (outcome.released.length > 0)
    logger.warn(
      { released: outcome.released, silentAfterMs: deps.silentAfterMs },
      'silent riders lost their batches back to dispatch',
    );
  if (outcome.carrying.length > 0)
    logger.warn(
      { carrying: outcome.carrying, silentAfterMs: deps.silentAfterMs },
      'silent riders carry picked-up batches',
    );
  return outcome;
}

/**
 * The release itself, under the store lock (dispatch rounds of that store wait) and only if the batch is still
 * assigned to that rider (a pickup or another worker's release may have come first): false when nothing was done.
 */
async function releaseBatch(
  deps: SilentRiderDeps,
  storeId: string,
  batchId: string,
  riderId: string,
  now: Date,
): Promise<boolean> {
  return deps.db.transaction().execute(async (trx) => {
    await lockStore(trx, storeId);
    const current = await trx
      .selectFrom('batches')
      .select(['status', 'rider_id'])
      .where('id', '=', batchId)
      .forUpdate()
      .executeTakeFirst();
    if (current?.status !== 'assigned' || current.rider_id !== riderId) return false;
    await transitionBatch(trx, batchId, 'release', { rider_id: null, assigned_at: null, updated_at: now });
    const orderIds = (
      await trx
        .selectFrom('batch_orders')
        .select('order_id')
        .where('batch_id', '=', batchId)
        .orderBy('sequence')
        .execute()
    ).map((r) => r.order_id);
    const statuses = await transitionOrders(trx, orderIds, 'release', { assigned_at: null, updated_at: now });
    const riderStatus = await transitionRider(trx, riderId, 'release', now);
    await enqueue(trx, [
      batchUpdated({ id: batchId, store_id: storeId, status: 'sealed', rider_id: null }, now, {
        orderIds,
        reason: 'rider_silent',
        releasedRiderId: riderId,
      }),
      riderUpdated({ id: riderId, status: riderStatus }, now, { batchId: null, reason: 'silent' }),
      ...orderIds.map((id) =>
        orderUpdated({ id, store_id: storeId, status: statuses.get(id)! }, now, { batchId, riderId: null }),
      ),
    ]);
    return true;
  });
}

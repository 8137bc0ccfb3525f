/**
 * Rider assignment (consumer of `routes.refined` and of `rider.updated` when a rider turns idle, plus a periodic sweep):
 * the available riders nearest the store (geo store radius search, widened 1 → 2 → 4 → 8 km until someone is found),
 * ranked by the domain's priority score, and the best one claimed atomically in the geo store — so two batches can
 * never get the same rider — then made official in Postgres in one transaction with its events. If that transaction
 * fails the claim is released. With no rider the batch stays sealed and is retried; it is never dropped.
 */
import { sql } from 'kysely';
import { rankRiders, batchShape } from '../dispatch/rider-scoring.ts';
import type { Rider } from '../dispatch/types.ts';
import { record } from '../events/catalog.ts';
import type { NearbyRider } from '../geostore/geo-store.ts';
import { enqueue } from '../outbox/outbox.ts';
import { BATCH_COLUMNS, loadBatchOrders, loadStore, toDomainBatch, toDomainStore } from './batch-rows.ts';
import { toGeoPoint } from './domain-boundary.ts';
import { DEFAULT_SEARCH_RADII_M, type PipelineDeps } from './pipeline-deps.ts';
import { fetchTravelTime } from './router-travel-time.ts';

export type AssignOutcome =
  | { kind: 'assigned'; riderId: string; radiusM: number; score: number }
  | { kind: 'no_rider' }
  | { kind: 'skipped'; reason: string };

/** The rider was not idle in Postgres although the geo store had it available. */
class RiderNotIdle extends Error {}
/** Another assigner got the batch first. */
class BatchTaken extends Error {}

/** Riders within the smallest radius that has any, nearest first. */
async function searchRiders(deps: PipelineDeps, center: { lat: number; lon: number }): Promise<{ riders: NearbyRider[]; radiusM: number }> {
  const radii = deps.searchRadiiM ?? DEFAULT_SEARCH_RADII_M;
  for (const radiusM of radii) {
    const riders = await deps.geoStore.searchAvailable(center, radiusM, deps.params.candidateRiders);
    if (riders.length > 0) return { riders, radiusM };
  }
  return { riders: [], radiusM: radii[radii.length - 1] ?? 0 };
}

/** Tries to give sealed, refined batch `batchId` a rider now. */
export async function assignBatch(deps: PipelineDeps, batchId: string): Promise<AssignOutcome> {
  const { db, geoStore, router, params, clock, logger } = deps;
  const batchRow = await db
    .selectFrom('batches')
    .select([...BATCH_COLUMNS, 'batches.refined_cost_s'])
    .where('id', '=', batchId)
    .executeTakeFirst();
  if (!batchRow) return { kind: 'skipped', reason: 'unknown batch' };
  if (batchRow.status !== 'sealed') return { kind: 'skipped', reason: `batch is ${batchRow.status}` };
  if (batchRow.refined_cost_s === null) return { kind: 'skipped', reason: 'route not refined yet' };
  const store = await loadStore(db, batchRow.store_id);
  if (!store) return { kind: 'skipped', reason: 'unknown store' };
  const orders = (await loadBatchOrders(db, [batchId])).get(batchId) ?? [];

  const { riders: nearby, radiusM } = await searchRiders(deps, { lat: store.lat, lon: store.lon });
  if (nearby.length === 0) {
    logger.debug({ batchId, storeId: store.id }, 'no available rider near the store; the batch waits');
    return { kind: 'no_rider' };
  }
  const now = clock.now();
  const domainStore = toDomainStore(store);
  const batch = toDomainBatch(batchRow, orders);
  const riders: Rider[] = nearby.map((r) => ({ id: r.riderId, location: toGeoPoint(r.position), availableAt: now, shiftEndsAt: Infinity }));
  const travel = await fetchTravelTime(router, [domainStore.location, ...batch.orders.map((o) => o.drop), ...riders.map((r) => r.location)]);
  const shape = batchShape(domainStore, batch.readyAt, batch.orders, travel, params);
  const ranked = rankRiders(riders, shape, now, travel, params);

  for (const fit of ranked) {
    const riderId = fit.rider.id;
    if (!(await geoStore.claimRider(riderId, batchId))) continue; // someone else took it a moment ago
    try {
      await commitAssignment(deps, batchId, batchRow.store_id, orders.map((o) => o.id), riderId, now);
    } catch (error) {
      await geoStore.releaseRider(riderId, batchId).catch((releaseError: unknown) => {
        logger.error({ err: releaseError, riderId, batchId }, 'could not release a claimed rider');
      });
      if (error instanceof RiderNotIdle) continue;
      if (error instanceof BatchTaken) return { kind: 'skipped', reason: 'assigned concurrently' };
      throw error;
    }
    logger.info({ batchId, riderId, radiusM, score: fit.score, slackS: fit.slackSeconds, orders: orders.length }, 'batch assigned');
    return { kind: 'assigned', riderId, radiusM, score: fit.score };
  }
  return { kind: 'no_rider' };
}

async function commitAssignment(
  deps: PipelineDeps,
  batchId: string,
  storeId: string,
  orderIds: string[],
  riderId: string,
  nowMs: number,
): Promise<void> {
  const now = new Date(nowMs);
  await deps.db.transaction().execute(async (trx) => {
    const rider = await trx
      .updateTable('riders')
      .set({ status: 'assigned', updated_at: now })
      .where('id', '=', riderId)
      .where('status', '=', 'idle')
      .executeTakeFirst();
    if (Number(rider.numUpdatedRows) !== 1) throw new RiderNotIdle(riderId);
    const batch = await trx
      .updateTable('batches')
      .set({ status: 'assigned', rider_id: riderId, assigned_at: now, updated_at: now })
      .where('id', '=', batchId)
      .where('status', '=', 'sealed')
      .executeTakeFirst();
    if (Number(batch.numUpdatedRows) !== 1) throw new BatchTaken(batchId);
    await trx
      .updateTable('orders')
      .set({ status: 'assigned', assigned_at: now, updated_at: now })
      .where('id', 'in', orderIds)
      .where('status', 'in', ['placed', 'cooking', 'ready', 'batched'])
      .execute();
    await enqueue(trx, [
      record('batchUpdated', batchId, { batchId, storeId, status: 'assigned', riderId, orderIds }, now),
      record('riderUpdated', riderId, { riderId, status: 'assigned', batchId }, now),
      ...orderIds.map((orderId) => record('orderUpdated', orderId, { orderId, storeId, status: 'assigned', batchId, riderId }, now)),
    ]);
  });
}

/**
 * Offers riders to the sealed, refined batches still without one, oldest ready first. Run periodically and whenever a
 * rider turns idle. Answers how many got a rider.
 */
export async function sweepUnassigned(deps: PipelineDeps, limit = 50): Promise<number> {
  const waiting = await deps.db
    .selectFrom('batches')
    .select('id')
    .where('status', '=', 'sealed')
    .where('refined_cost_s', 'is not', null)
    .orderBy('ready_at')
    .orderBy('sealed_at')
    .limit(limit)
    .execute();
  let assigned = 0;
  for (const { id } of waiting) {
    const outcome = await assignBatch(deps, id);
    if (outcome.kind === 'assigned') assigned++;
  }
  return assigned;
}

/** Sealed batches still waiting for a rider (for tests and metrics). */
export async function countUnassigned(deps: Pick<PipelineDeps, 'db'>): Promise<number> {
  const row = await deps.db
    .selectFrom('batches')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('status', '=', 'sealed')
    .executeTakeFirstOrThrow();
  return row.n;
}

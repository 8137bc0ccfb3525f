/**
 * Rider assignment (consumer of `routes.refined` and of `rider.updated` when a rider turns idle, plus a periodic sweep):
 * the available riders nearest the store (geo store radius search, widened 1 → 2 → 4 → 8 km until someone is found),
 * ranked by the domain's priority score, and the best one claimed atomically in the geo store — so two batches can
 * never get the same rider — then made official in Postgres in one transaction with its events. If that transaction
 * fails the claim is released. With no rider the batch stays sealed and is retried; it is never dropped.
 */
import { sql } from 'kysely';
import { batchShape, rankRiders, type RiderFit } from '../dispatch/rider-scoring.ts';
import type { Batch, Rider } from '../dispatch/types.ts';
import { record } from '../events/catalog.ts';
import type { NearbyRider } from '../geostore/geo-store.ts';
import { enqueue } from '../outbox/outbox.ts';
import { BATCH_COLUMNS, loadBatchOrders, loadStore, toDomainBatch, toDomainStore, type StoreRow } from './batch-rows.ts';
import { DEFAULT_SEARCH_RADII_M, type PipelineDeps } from './pipeline-deps.ts';
import { fetchTravelTime } from './router-travel-time.ts';

export type AssignOutcome =
  | { kind: 'assigned'; riderId: string; radiusM: number; score: number }
  | { kind: 'no_rider' }
  | { kind: 'skipped'; reason: string };

/** Tries to give sealed, refined batch `batchId` a rider now. */
export async function assignBatch(deps: PipelineDeps, batchId: string): Promise<AssignOutcome> {
  const { db, geoStore, logger } = deps;
  // The rider claimed in Redis and not yet committed in Postgres: released if the transaction does not commit.
  let pendingClaim: string | undefined;
  try {
    const outcome = await db.transaction().execute(async (trx) => {
      // One assigner per batch at a time: the others skip it instead of claiming riders they would have to give back,
      // and the best-ranked rider is not lost to a worse one that happened to commit first.
      const batchRow = await trx
        .selectFrom('batches')
        .select([...BATCH_COLUMNS, 'batches.refined_cost_s'])
        .where('id', '=', batchId)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!batchRow) return { kind: 'skipped', reason: 'unknown batch or being assigned' } as const;
      if (batchRow.status !== 'sealed') return { kind: 'skipped', reason: `batch is ${batchRow.status}` } as const;
      if (batchRow.refined_cost_s === null) return { kind: 'skipped', reason: 'route not refined yet' } as const;
      const store = await loadStore(trx, batchRow.store_id);
      if (!store) return { kind: 'skipped', reason: 'unknown store' } as const;
      const orders = (await loadBatchOrders(trx, [batchId])).get(batchId) ?? [];
      const ranked = await rankNearbyRiders(deps, store, toDomainBatch(batchRow, orders));
      if (!ranked) {
        logger.debug({ batchId, storeId: store.id }, 'no available rider near the store; the batch waits');
        return { kind: 'no_rider' } as const;
      }
      const now = new Date(deps.clock.now());
      for (const fit of ranked.fits) {
        const riderId = fit.rider.id;
        if (!(await geoStore.claimRider(riderId, batchId))) continue; // taken a moment ago by another batch
        pendingClaim = riderId;
        const rider = await trx
          .updateTable('riders')
          .set({ status: 'assigned', updated_at: now })
          .where('id', '=', riderId)
          .where('status', '=', 'idle')
          .executeTakeFirst();
        if (Number(rider.numUpdatedRows) !== 1) {
          // Available in the geo store but not idle in Postgres (the truth): give it back, try the next one.
          await release(deps, riderId, batchId);
          pendingClaim = undefined;
          continue;
        }
        const orderIds = orders.map((o) => o.id);
        await trx.updateTable('batches').set({ status: 'assigned', rider_id: riderId, assigned_at: now, updated_at: now }).where('id', '=', batchId).execute();
        await trx
          .updateTable('orders')
          .set({ status: 'assigned', assigned_at: now, updated_at: now })
          .where('id', 'in', orderIds)
          .where('status', 'in', ['placed', 'cooking', 'ready', 'batched'])
          .execute();
        await enqueue(trx, [
          record('batchUpdated', batchId, { batchId, storeId: store.id, status: 'assigned', riderId, orderIds }, now),
          record('riderUpdated', riderId, { riderId, status: 'assigned', batchId }, now),
          ...orderIds.map((orderId) => record('orderUpdated', orderId, { orderId, storeId: store.id, status: 'assigned', batchId, riderId }, now)),
        ]);
        logger.info({ batchId, riderId, radiusM: ranked.radiusM, score: fit.score, slackS: fit.slackSeconds, orders: orders.length }, 'batch assigned');
        return { kind: 'assigned', riderId, radiusM: ranked.radiusM, score: fit.score } as const;
      }
      return { kind: 'no_rider' } as const;
    });
    pendingClaim = undefined; // committed
    return outcome;
  } catch (error) {
    if (pendingClaim) await release(deps, pendingClaim, batchId);
    throw error;
  }
}

/** Riders within the smallest radius that has any, nearest first. */
async function searchRiders(deps: PipelineDeps, center: { lat: number; lon: number }): Promise<{ riders: NearbyRider[]; radiusM: number }> {
  const radii = deps.searchRadiiM ?? DEFAULT_SEARCH_RADII_M;
  for (const radiusM of radii) {
    const riders = await deps.geoStore.searchAvailable(center, radiusM, deps.params.candidateRiders);
    if (riders.length > 0) return { riders, radiusM };
  }
  return { riders: [], radiusM: radii[radii.length - 1] ?? 0 };
}

async function release(deps: PipelineDeps, riderId: string, batchId: string): Promise<void> {
  await deps.geoStore.releaseRider(riderId, batchId).catch((error: unknown) => {
    deps.logger.error({ err: error, riderId, batchId }, 'could not release a claimed rider');
  });
}

/** The available riders nearest the store, ranked by the domain's priority score for `batch`; null when none. */
async function rankNearbyRiders(deps: PipelineDeps, store: StoreRow, batch: Batch): Promise<{ fits: RiderFit[]; radiusM: number } | null> {
  const { riders: nearby, radiusM } = await searchRiders(deps, { lat: store.lat, lon: store.lon });
  if (nearby.length === 0) return null;
  const now = deps.clock.now();
  const domainStore = toDomainStore(store);
  const riders: Rider[] = nearby.map((r) => ({ id: r.riderId, location: r.position, availableAt: now, shiftEndsAt: Infinity }));
  const travel = await fetchTravelTime(deps.router, [domainStore.location, ...batch.orders.map((o) => o.drop), ...riders.map((r) => r.location)]);
  const shape = batchShape(domainStore, batch.readyAt, batch.orders, travel, deps.params);
  return { fits: rankRiders(riders, shape, now, travel, deps.params), radiusM };
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

/**
 * The batcher (consumer of `order.placed`, keyed by store id; and of `path.provisioned`, to re-match parked orders).
 *
 * An order's candidate paths are its store's hot paths whose corridor covers its drop cell. With none, the order is
 * parked (accepted, waiting) and `path.provision` is asked for once per store+cell. Otherwise the order joins the open
 * batch on those paths where inserting its drop costs the least detour — seconds from a Router table, through the
 * domain's insertion rules — or opens a new batch on the best path. Everything for one store runs under the store's
 * advisory lock, so 50 simultaneous orders end in consistent batches (and `batch_orders.order_id` is UNIQUE anyway).
 */
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { bestInsertion, evaluateSequence } from '../dispatch/batching.ts';
import { haversineMeters } from '../dispatch/travel-time.ts';
import type { Batch, Order } from '../dispatch/types.ts';
import { record } from '../events/catalog.ts';
import { enqueue } from '../outbox/outbox.ts';
import {
  BATCH_COLUMNS,
  loadStore,
  ORDER_COLUMNS,
  toDomainBatch,
  toDomainOrder,
  toDomainStore,
  type BatchRow,
  type OrderRow,
  type StoreRow,
} from './batch-rows.ts';
import { pipelineSealReason, sealBatch } from './batch-sealing.ts';
import { candidatePaths } from './path-templates.ts';
import { lockStore, type PipelineDeps } from './pipeline-deps.ts';
import { requestPath } from './provision-requests.ts';
import { fetchTravelTime } from './router-travel-time.ts';
import { cancelUnreachableOrders } from '../orders/unreachable-orders.ts';
import { isPointOffNetwork } from '../routing/router.ts';

export type MatchOutcome =
  | { kind: 'joined'; batchId: string; detourS: number; sealed: boolean }
  | { kind: 'opened'; batchId: string; sealed: boolean }
  | { kind: 'parked'; provisionRequested: boolean }
  /** The router says the order's drop is off the road network: the order ended cancelled (`drop_unreachable`). */
  | { kind: 'unroutable'; reason: string }
  | { kind: 'skipped'; reason: 'duplicate' | 'not_found' | 'already_batched' | 'not_open' };

/**
 * At most this many open batches — those with a drop nearest the new order's — are quoted per order. A busy store
 * can hold hundreds of open batches; quoting them all would need a Router table over every one of their drops.
 */
export const MAX_CANDIDATE_BATCHES = 8;

/** Order statuses that may still join a batch. */
const MATCHABLE = ['placed', 'cooking', 'ready'] as const;

/** Handles one `order.placed`: idempotent per (group, event id) and per order. */
export async function batchPlacedOrder(
  deps: PipelineDeps,
  group: string,
  eventId: string,
  storeId: string,
  orderId: string,
  cell?: string,
): Promise<MatchOutcome> {
  // The hot-path index is read while the transaction waits for the store lock; an empty answer is re-read under it.
  const pathIds = cell ? deps.geoStore.pathsForCell(cell) : undefined;
  pathIds?.catch(() => undefined);
  return deps.db.transaction().execute(async (trx) => {
    if (!(await lockStoreAndMarkProcessed(trx, storeId, group, eventId))) return { kind: 'skipped', reason: 'duplicate' };
    const found = await loadUnbatchedOrder(trx, orderId);
    if (!found) return { kind: 'skipped', reason: found === null ? 'already_batched' : 'not_found' };
    const { store, order } = found;
    if (!(MATCHABLE as readonly string[]).includes(order.status)) return { kind: 'skipped', reason: 'not_open' };
    return matchOrder(trx, deps, store, order, order.h3_cell === cell ? await pathIds : undefined);
  });
}

/**
 * Takes the store lock and records the event as processed, in one round trip: the lock is taken first (the insert
 * reads the CTE), so the duplicate check is serialised with everything else of the store. False for a duplicate.
 */
async function lockStoreAndMarkProcessed(trx: Transaction<Database>, storeId: string, group: string, eventId: string): Promise<boolean> {
  const result = await sql<{ event_id: string }>`
    with store_lock as (select pg_advisory_xact_lock(hashtext(${storeId})))
    insert into processed_events (consumer_group, event_id)
    select ${group}, ${eventId} from store_lock
    on conflict do nothing
    returning event_id`.execute(trx);
  return result.rows.length === 1;
}

/**
 * Re-matches every parked order of `storeId` (after a hot path appeared), oldest first, each as if just placed.
 * Orders still without a path stay parked; their own request is still pending, so nothing is asked twice.
 */
export async function rematchParkedOrders(deps: PipelineDeps, storeId: string): Promise<MatchOutcome[]> {
  return deps.db.transaction().execute(async (trx) => {
    await lockStore(trx, storeId);
    const store = await loadStore(trx, storeId);
    if (!store) return [];
    const parked = await trx
      .selectFrom('orders')
      .leftJoin('batch_orders', 'batch_orders.order_id', 'orders.id')
      .select(ORDER_COLUMNS)
      .where('orders.store_id', '=', storeId)
      .where('orders.status', 'in', MATCHABLE)
      .where('batch_orders.order_id', 'is', null)
      .orderBy('orders.placed_at')
      .orderBy('orders.id')
      .execute();
    const outcomes: MatchOutcome[] = [];
    for (const order of parked) outcomes.push(await matchOrder(trx, deps, store, order));
    return outcomes;
  });
}

/**
 * The `limit` batches with a drop nearest `order`'s drop (great-circle metres, a cheap pre-filter only: the choice
 * among them is made on Router seconds), oldest first among equals.
 */
function nearestBatches(batches: Batch[], order: Order, limit: number): Batch[] {
  if (batches.length <= limit) return batches;
  const nearest = (b: Batch) => Math.min(...b.orders.map((o) => haversineMeters(o.drop, order.drop)));
  return batches
    .map((b) => ({ b, d: nearest(b) }))
    .sort((x, y) => x.d - y.d)
    .slice(0, limit)
    .map((x) => x.b);
}

/** The order with its store (one query), undefined when unknown, null when it is in a batch already. */
async function loadUnbatchedOrder(trx: Transaction<Database>, orderId: string): Promise<{ order: OrderRow; store: StoreRow } | null | undefined> {
  const row = await trx
    .selectFrom('orders')
    .innerJoin('stores', 'stores.id', 'orders.store_id')
    .leftJoin('batch_orders', 'batch_orders.order_id', 'orders.id')
    .select([...ORDER_COLUMNS, 'batch_orders.batch_id', 'stores.lat as store_lat', 'stores.lon as store_lon'])
    .where('orders.id', '=', orderId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { batch_id, store_lat, store_lon, ...order } = row;
  return batch_id === null ? { order, store: { id: order.store_id, lat: store_lat, lon: store_lon } } : null;
}

/** Places one unbatched order (caller holds the store lock). */
async function matchOrder(
  trx: Transaction<Database>,
  deps: PipelineDeps,
  store: StoreRow,
  order: OrderRow,
  indexedPathIds?: readonly string[],
): Promise<MatchOutcome> {
  const { params, clock, logger } = deps;
  const now = clock.now();
  let paths = await candidatePaths(trx, deps.geoStore, store.id, order.h3_cell, indexedPathIds);
  // An answer read before the store lock may predate a path provisioned meanwhile: ask the index again, now that
  // the provisioner (which clears its request under this lock) cannot slip in between the read and the request.
  if (paths.length === 0 && indexedPathIds) paths = await candidatePaths(trx, deps.geoStore, store.id, order.h3_cell);
  if (paths.length === 0) {
    const provisionRequested = await requestPath(trx, store.id, order.h3_cell, new Date(now));
    if (provisionRequested) {
      await enqueue(trx, [record('pathProvision', store.id, { storeId: store.id, cell: order.h3_cell, orderId: order.id }, new Date(now))]);
    }
    logger.debug({ orderId: order.id, storeId: store.id, cell: order.h3_cell, provisionRequested }, 'order parked until its hot path exists');
    return { kind: 'parked', provisionRequested };
  }

  // The open, not yet full batches on those paths with their orders, in one query; the batch rows stay locked.
  const flat = await trx
    .selectFrom('batches')
    .innerJoin('batch_orders', 'batch_orders.batch_id', 'batches.id')
    .innerJoin('orders', 'orders.id', 'batch_orders.order_id')
    .select([
      ...BATCH_COLUMNS,
      'orders.id as o_id',
      'orders.store_id as o_store_id',
      'orders.drop_lat as o_drop_lat',
      'orders.drop_lon as o_drop_lon',
      'orders.h3_cell as o_h3_cell',
      'orders.status as o_status',
      'orders.placed_at as o_placed_at',
      'orders.ready_at as o_ready_at',
      'orders.ready_marked_at as o_ready_marked_at',
      'orders.promised_at as o_promised_at',
    ])
    .where('batches.store_id', '=', store.id)
    .where('batches.status', '=', 'open')
    .where(
      'batches.path_id',
      'in',
      paths.map((p) => p.id),
    )
    .whereRef('batches.order_count', '<', 'batches.capacity')
    .orderBy('batches.opened_at')
    .orderBy('batches.id')
    .orderBy('batch_orders.sequence')
    .forUpdate(['batches'])
    .execute();
  const openRows: BatchRow[] = [];
  const ordersByBatch = new Map<string, OrderRow[]>();
  for (const r of flat) {
    let members = ordersByBatch.get(r.id);
    if (!members) {
      ordersByBatch.set(r.id, (members = []));
      openRows.push({
        id: r.id,
        store_id: r.store_id,
        path_id: r.path_id,
        status: r.status,
        capacity: r.capacity,
        opened_at: r.opened_at,
        window_closes_at: r.window_closes_at,
        latest_departure_at: r.latest_departure_at,
        ready_at: r.ready_at,
        estimated_cost_s: r.estimated_cost_s,
      });
    }
    members.push({
      id: r.o_id,
      store_id: r.o_store_id,
      drop_lat: r.o_drop_lat,
      drop_lon: r.o_drop_lon,
      h3_cell: r.o_h3_cell,
      status: r.o_status,
      placed_at: r.o_placed_at,
      ready_at: r.o_ready_at,
      ready_marked_at: r.o_ready_marked_at,
      promised_at: r.o_promised_at,
    });
  }
  const domainStore = toDomainStore(store);
  const domainOrder = toDomainOrder(order);
  const batches = nearestBatches(
    openRows.map((row) => toDomainBatch(row, ordersByBatch.get(row.id) ?? [])),
    domainOrder,
    MAX_CANDIDATE_BATCHES,
  );
  let travel;
  try {
    travel = await fetchTravelTime(deps.router, [domainStore.location, domainOrder.drop, ...batches.flatMap((b) => b.orders.map((o) => o.drop))]);
  } catch (error) {
    // The router's permanent answer about this order's own drop: retrying cannot help, so the order ends with its reason.
    if (!isPointOffNetwork(error, domainOrder.drop)) throw error;
    await cancelUnreachableOrders(trx, [order.id], error.message, new Date(now));
    logger.warn({ orderId: order.id, storeId: store.id, err: error.message }, 'order drop is off the road network: cancelled as drop_unreachable');
    return { kind: 'unroutable', reason: error.message };
  }
  const rowById = new Map(openRows.map((r) => [r.id, r]));
  const quote = bestInsertion(batches, domainOrder, domainStore, travel, params);

  let batchRow: BatchRow;
  let members: OrderRow[];
  let outcome: MatchOutcome;
  if (quote) {
    const batch: Batch = quote.batch;
    const base = rowById.get(batch.id)!;
    batchRow = {
      ...base,
      latest_departure_at: new Date(quote.evaluation.latestDepartureAt),
      ready_at: new Date(quote.evaluation.readyAt),
      estimated_cost_s: base.estimated_cost_s + quote.detourSeconds,
    };
    await trx
      .insertInto('batch_orders')
      .values({ batch_id: batch.id, order_id: order.id, sequence: quote.position, detour_s: quote.detourSeconds, added_at: new Date(now) })
      .execute();
    // Renumber the drop sequence the insertion chose, in one statement.
    if (quote.position < batch.orders.length) {
      const cases = sql.join(quote.sequence.map((o, i) => sql`when ${o.id}::uuid then ${i}::int`), sql` `);
      await trx
        .updateTable('batch_orders')
        .set({ sequence: sql<number>`case order_id ${cases} end` })
        .where('batch_id', '=', batch.id)
        .where(
          'order_id',
          'in',
          quote.sequence.map((o) => o.id),
        )
        .execute();
    }
    await trx
      .updateTable('batches')
      .set({
        // Counted from the rows, never incremented: a count that cannot drift from batch_orders.
        order_count: sql<number>`(select count(*) from batch_orders where batch_id = ${batch.id})::int`,
        latest_departure_at: batchRow.latest_departure_at,
        ready_at: batchRow.ready_at,
        estimated_cost_s: batchRow.estimated_cost_s,
        updated_at: new Date(now),
      })
      .where('id', '=', batch.id)
      .execute();
    const rowsById = new Map([...(ordersByBatch.get(batch.id) ?? []), order].map((o) => [o.id, o]));
    members = quote.sequence.map((o) => rowsById.get(o.id)!);
    outcome = { kind: 'joined', batchId: batch.id, detourS: quote.detourSeconds, sealed: false };
  } else {
    // A new batch on the path aimed at the order's own cell when there is one, else the shortest covering path.
    const path = paths.find((p) => p.h3_cell === order.h3_cell) ?? [...paths].sort((a, b) => a.duration_s - b.duration_s)[0]!;
    const evaluation = evaluateSequence(domainStore, [domainOrder], travel, params);
    batchRow = {
      id: randomUUID(),
      store_id: store.id,
      path_id: path.id,
      status: 'open',
      capacity: params.batchCapacity,
      opened_at: new Date(now),
      window_closes_at: new Date(now + params.waitWindowSeconds * 1000),
      latest_departure_at: new Date(evaluation.latestDepartureAt),
      ready_at: new Date(evaluation.readyAt),
      estimated_cost_s: evaluation.routeSeconds,
    };
    await trx
      .insertInto('batches')
      .values({ ...batchRow, status: 'open', order_count: 1, updated_at: new Date(now) })
      .execute();
    await trx
      .insertInto('batch_orders')
      .values({ batch_id: batchRow.id, order_id: order.id, sequence: 0, detour_s: evaluation.routeSeconds, added_at: new Date(now) })
      .execute();
    members = [order];
    outcome = { kind: 'opened', batchId: batchRow.id, sealed: false };
  }
  // The order lifecycle's `batch` step: placed / cooking / ready → batched.
  await trx
    .updateTable('orders')
    .set({ status: 'batched', path_id: batchRow.path_id, batched_at: new Date(now), updated_at: new Date(now) })
    .where('id', '=', order.id)
    .execute();
  await enqueue(trx, [
    record('orderUpdated', order.id, { orderId: order.id, storeId: store.id, status: 'batched', batchId: batchRow.id, riderId: null }, new Date(now)),
  ]);

  // Seal at once when full (or already due); the sealer loop catches the rest.
  const reason = pipelineSealReason(batchRow, members, now, params);
  if (reason) outcome.sealed = await sealBatch(trx, batchRow, members, reason, now);
  logger.debug({ orderId: order.id, storeId: store.id, ...outcome }, 'order batched');
  return outcome;
}

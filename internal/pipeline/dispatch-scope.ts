/**
 * One dispatch round of the live worker for one scope (the stores behind one Kafka partition of the store-keyed topics):
 *
 *   1. hot paths — the first order whose drop no path of its store covers gets one, built through the Router
 *      (path-provisioner.ts), until every order is covered (the core's `nextMissingPath`, as in the replay);
 *   2. snapshot — under the scope's store locks: orders not yet batched, batches without a rider, riders (idle ones at
 *      their live geo-store position; busy ones where and when their current batch ends), from Postgres and the geo store;
 *   3. decisions — `dispatchRound` (internal/dispatch/dispatch-round.ts), the same pure function the replay runs;
 *   4. apply — in the same transaction: batches and memberships, every status change through its transition function
 *      (status-writes.ts), the atomic rider claim (geo store, then Postgres idle → assigned), and the events (outbox).
 *      A claim lost to another worker leaves that batch sealed for the next round; a failed transaction gives every
 *      claim of the round back.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Database, StoredStop } from '../db/schema.ts';
import { dispatchRound, nextMissingPath, type RoundDecisions } from '../dispatch/dispatch-round.ts';
import { cellOf, type HotPath } from '../dispatch/hot-paths.ts';
import type { Batch, GeoPoint, Order, Plan, Rider, StopPlan, Store } from '../dispatch/types.ts';
import { record } from '../events/catalog.ts';
import { batchUpdated, orderUpdated, riderUpdated } from '../orders/order-events.ts';
import { withTraceHeaders } from '../platform/tracing.ts';
import { enqueue } from '../outbox/outbox.ts';
import {
  BATCH_COLUMNS,
  loadBatchOrders,
  ORDER_COLUMNS,
  toDomainBatch,
  toDomainOrder,
  type OrderRow,
} from './batch-rows.ts';
import { provisionPath } from './path-provisioner.ts';
import { clearPathRequest, requestPath } from './provision-requests.ts';
import { lockStore, type PipelineDeps } from './pipeline-deps.ts';
import { fetchTravelTimes } from './router-travel-time.ts';
import type { TravelTime } from '../dispatch/travel-time.ts';
import { cancelUnreachableOrders } from '../orders/unreachable-orders.ts';
import { isPointOffNetwork } from '../routing/router.ts';
import { claimRiderRow, transitionBatch, transitionOrders } from './status-writes.ts';
import {
  replaceMemberships,
  setOrderPaths,
  writeBatchRows,
  type ChangedBatchRow,
  type MembershipRow,
  type OpenedBatchRow,
} from './batch-writes.ts';
import { readyWaitSeconds, recordRound, type RoundObservations } from './dispatch-metrics.ts';

type Trx = Transaction<Database>;

/** What a round did, for logs, tests and benchmarks. */
export interface ScopeRoundOutcome {
  readonly batched: number;
  readonly sealed: number;
  readonly merged: number;
  readonly assigned: number;
  /** Committed plans whose rider another worker claimed first. */
  readonly claimsLost: number;
  readonly decisions: RoundDecisions | null;
}

const EMPTY: ScopeRoundOutcome = { batched: 0, sealed: 0, merged: 0, assigned: 0, claimsLost: 0, decisions: null };

/** Statuses of an order that may still join a batch. */
const UNBATCHED = ['placed', 'cooking', 'ready'] as const;

/** Orders of the scope not in a batch yet, placed by `now` (a round never decides on an order from its future). */
async function loadUnbatchedOrders(
  db: PipelineDeps['db'] | Trx,
  storeIds: readonly string[],
  now: number,
): Promise<OrderRow[]> {
  return db
    .selectFrom('orders')
    .leftJoin('batch_orders', 'batch_orders.order_id', 'orders.id')
    .select(ORDER_COLUMNS)
    .where('orders.store_id', 'in', [...storeIds])
    .where('orders.status', 'in', UNBATCHED)
    .where('batch_orders.order_id', 'is', null)
    .where('orders.placed_at', '<=', new Date(now))
    .orderBy('orders.placed_at')
    .orderBy('orders.id')
    .execute();
}

async function loadPaths(db: PipelineDeps['db'] | Trx, storeIds: readonly string[]): Promise<HotPath[]> {
  const rows = await db
    .selectFrom('path_templates')
    .select(['id', 'store_id', 'h3_cell', 'corridor_cells'])
    .where('store_id', 'in', [...storeIds])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, storeId: r.store_id, targetCell: r.h3_cell, cells: new Set(r.corridor_cells) }));
}

/**
 * Builds the missing hot paths of the scope's unbatched orders, in arrival order (the core picks which). An order whose
 * path cannot be built (no road) is left out of this round and stays unbatched.
 */
async function provisionMissingPaths(deps: PipelineDeps, storeIds: readonly string[]): Promise<void> {
  const orders = (await loadUnbatchedOrders(deps.db, storeIds, deps.clock.now())).map(toDomainOrder);
  if (orders.length === 0) return;
  const paths = await loadPaths(deps.db, storeIds);
  let pending: Order[] = orders;
  for (
    let missing = nextMissingPath(pending, paths, deps.params);
    missing;
    missing = nextMissingPath(pending, paths, deps.params)
  ) {
    // One builder per (store, cell): a round that finds the request already pending (another round, another worker, or
    // a build that failed) leaves those orders for a later round; path.provisioned or the stale-request sweep brings them.
    const mine = await requestPath(deps.db, missing.storeId, missing.cell, new Date(deps.clock.now()));
    const id = mine
      ? await provisionPath(deps, { storeId: missing.storeId, cell: missing.cell, orderId: missing.orderId }).catch(
          async (error: unknown) => {
            await clearPathRequest(deps.db, missing.storeId, missing.cell); // the Router is unavailable: the next round asks again
            throw error;
          },
        )
      : null;
    const row = id
      ? await deps.db
          .selectFrom('path_templates')
          .select(['id', 'store_id', 'h3_cell', 'corridor_cells'])
          .where('id', '=', id)
          .executeTakeFirst()
      : undefined;
    if (row) {
      paths.push({ id: row.id, storeId: row.store_id, targetCell: row.h3_cell, cells: new Set(row.corridor_cells) });
    } else {
      // No road toward that cell (or an unknown store): its orders sit this round out.
      const { storeId, cell } = missing;
      pending = pending.filter((o) => !(o.storeId === storeId && cellOf(o.drop, deps.params.h3Resolution) === cell));
    }
  }
}

interface Loaded {
  stores: Map<string, Store>;
  paths: HotPath[];
  orders: Order[];
  batches: Batch[];
  /** Batch ids present before the round, and the detour each member was added with. */
  existing: Map<string, Map<string, number>>;
  riders: Rider[];
}

/** The scope's snapshot, read inside `trx` after the store locks. */
async function loadSnapshot(trx: Trx, deps: PipelineDeps, storeIds: readonly string[], now: number): Promise<Loaded> {
  const storeRows = await trx
    .selectFrom('stores')
    .select(['id', 'lat', 'lon'])
    .where('id', 'in', [...storeIds])
    .execute();
  const stores = new Map(storeRows.map((s) => [s.id, { id: s.id, location: { lat: s.lat, lon: s.lon } }]));
  const paths = await loadPaths(trx, storeIds);
  const orders = (await loadUnbatchedOrders(trx, storeIds, now)).map(toDomainOrder);
  const batchRows = await trx
    .selectFrom('batches')
    .select(BATCH_COLUMNS)
    .where('store_id', 'in', [...storeIds])
    .where('status', 'in', ['open', 'sealed'])
    .orderBy('opened_at')
    .orderBy('id')
    .forUpdate()
    .execute();
  const members = await loadBatchOrders(
    trx,
    batchRows.map((b) => b.id),
  );
  const detours = await (batchRows.length === 0
    ? Promise.resolve([])
    : trx
        .selectFrom('batch_orders')
        .select(['batch_id', 'order_id', 'detour_s'])
        .where(
          'batch_id',
          'in',
          batchRows.map((b) => b.id),
        )
        .execute());
  const existing = new Map<string, Map<string, number>>(batchRows.map((b) => [b.id, new Map()]));
  for (const d of detours) existing.get(d.batch_id)?.set(d.order_id, d.detour_s);
  const batches: Batch[] = [];
  for (const row of batchRows) {
    const live = (members.get(row.id) ?? []).filter((o) => o.status !== 'cancelled');
    if (live.length > 0) batches.push(toDomainBatch(row, live));
  }
  return { stores, paths, orders, batches, existing, riders: await loadRiders(trx, deps, now) };
}

/**
 * Riders as the core sees them: idle ones (Postgres says idle, the geo store has a live position and says available)
 * free now where they are; busy ones free where and when their batch's last drop ends. No shift ends in the product.
 */
async function loadRiders(trx: Trx, deps: PipelineDeps, now: number): Promise<Rider[]> {
  const rows = await trx
    .selectFrom('riders')
    .leftJoin('batches', (j) =>
      j.onRef('batches.rider_id', '=', 'riders.id').on('batches.status', 'in', ['assigned', 'picked_up']),
    )
    .select(['riders.id', 'riders.status', 'batches.stops'])
    .where('riders.status', 'in', ['idle', 'assigned', 'delivering'])
    .orderBy('riders.id')
    .execute();
  const dropAfterMs = deps.params.service.dropAfterSeconds * 1000;
  const idle = rows.filter((r) => r.status === 'idle');
  const positions = await Promise.all(idle.map((r) => deps.geoStore.getRiderPosition(r.id)));
  const riders: Rider[] = [];
  idle.forEach((r, i) => {
    const p = positions[i];
    if (p && p.status === 'available')
      riders.push({ id: r.id, location: { lat: p.lat, lon: p.lon }, availableAt: now, shiftEndsAt: Infinity });
  });
  for (const r of rows) {
    if (r.status === 'idle' || !r.stops || r.stops.length === 0) continue;
    const last = r.stops[r.stops.length - 1]!;
    riders.push({
      id: r.id,
      location: { lat: last.lat, lon: last.lon },
      availableAt: Math.max(now + 1, Date.parse(last.eta) + dropAfterMs),
      shiftEndsAt: Infinity,
    });
  }
  // One order for every round (ties in the matching are broken by it): by id.
  return riders.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The stored stops of a stop plan (timed as if picked up at the ready time). */
function plannedStops(batch: Batch, store: Store, plan: StopPlan): StoredStop[] {
  const byId = new Map(batch.orders.map((o) => [o.id, o]));
  return [
    { kind: 'pickup', order_id: null, ...store.location, eta: new Date(batch.readyAt).toISOString() },
    ...plan.sequence.map((id) => ({
      kind: 'drop' as const,
      order_id: id,
      ...byId.get(id)!.drop,
      eta: new Date(plan.etas[id]!).toISOString(),
    })),
  ];
}

/**
 * Keeps the first drop ETA quoted for each order of `stops` (`orders.first_eta_at`, set once): what
 * /analytics/eta-accuracy holds the actual drop against, whatever later plans say.
 */
async function quoteFirstEtas(trx: Transaction<Database>, stops: readonly StoredStop[]): Promise<void> {
  const drops = stops.filter((s) => s.kind === 'drop' && s.order_id).map((s) => ({ id: s.order_id, eta: s.eta }));
  if (drops.length === 0) return;
  await sql`
    update orders o set first_eta_at = q.eta
    from jsonb_to_recordset(${JSON.stringify(drops)}::jsonb) as q(id uuid, eta timestamptz)
    where o.id = q.id and o.first_eta_at is null`.execute(trx);
}

/** The stored stops of a rider's plan (its own times). */
function riderStops(plan: Plan, store: Store): StoredStop[] {
  return [
    { kind: 'pickup', order_id: null, ...store.location, eta: new Date(plan.pickupAt).toISOString() },
    ...plan.drops.map((d) => ({
      kind: 'drop' as const,
      order_id: d.orderId,
      ...d.location,
      eta: new Date(d.dropAt).toISOString(),
    })),
  ];
}

/**
 * Runs one round for the scope `storeIds`. Answers what it did. Safe to run concurrently with other workers' rounds:
 * rounds over the same stores serialise on the store locks, riders are claimed atomically, an order is in one batch.
 */
export async function runScopeRound(deps: PipelineDeps, storeIds: readonly string[]): Promise<ScopeRoundOutcome> {
  const scope = [...new Set(storeIds)].sort();
  if (scope.length === 0) return EMPTY;
  await provisionMissingPaths(deps, scope);
  const claimed: Array<{ riderId: string; batchId: string }> = [];
  const observed: RoundObservations = { sealedSizes: [], assignments: [] };
  try {
    const outcome = await deps.db.transaction().execute(async (trx) => {
      for (const storeId of scope) await lockStore(trx, storeId); // sorted: two rounds never wait on each other in a cycle
      const now = deps.clock.now();
      const loaded = await loadSnapshot(trx, deps, scope, now);
      if (loaded.orders.length === 0 && loaded.batches.length === 0) return EMPTY;
      const travel = await roundTravelTime(trx, deps, loaded, now);
      if (!travel) return EMPTY; // every order of the round ended as unreachable
      const snapshot = {
        now,
        stores: loaded.stores,
        paths: loaded.paths,
        orders: loaded.orders,
        batches: loaded.batches,
        plans: new Map<string, StopPlan>(),
        riders: loaded.riders,
      };
      const decisions = dispatchRound(snapshot, travel, deps.params, randomUUID);
      return apply(trx, deps, loaded, decisions, now, claimed, observed);
    });
    recordRound(deps.registry, observed); // committed: what the round did now counts
    if (outcome.assigned + outcome.sealed + outcome.batched > 0) {
      deps.logger.debug({ scope: scope.length, ...outcome, decisions: undefined }, 'dispatch round applied');
    }
    return outcome;
  } catch (error) {
    await Promise.all(claimed.map((c) => deps.geoStore.releaseRider(c.riderId, c.batchId).catch(() => false)));
    throw error;
  }
}

/**
 * The travel times between every point of the round. When the router answers that an unbatched order's own drop is off
 * the road network (a permanent answer), that order ends — cancelled as `drop_unreachable`, with its event — and the
 * round goes on without it, rather than failing for every order of the scope on each round.
 */
async function roundTravelTime(
  trx: Trx,
  deps: PipelineDeps,
  loaded: Loaded,
  now: number,
): Promise<TravelTime | undefined> {
  for (;;) {
    if (loaded.orders.length === 0 && loaded.batches.length === 0) return undefined;
    // One table per store (its location and its drops) and one riders → stores: the pairs the core asks for.
    const perStore = new Map<string, GeoPoint[]>([...loaded.stores.values()].map((s) => [s.id, [s.location]]));
    for (const o of [...loaded.orders, ...loaded.batches.flatMap((b) => b.orders)])
      perStore.get(o.storeId)?.push(o.drop);
    try {
      return await fetchTravelTimes(deps.router, [...perStore.values()], {
        from: loaded.riders.map((r) => r.location),
        to: [...loaded.stores.values()].map((s) => s.location),
      });
    } catch (error) {
      const offNetwork = loaded.orders.filter((o) => isPointOffNetwork(error, o.drop));
      if (offNetwork.length === 0) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      const ended = await cancelUnreachableOrders(
        trx,
        offNetwork.map((o) => o.id),
        reason,
        new Date(now),
      );
      deps.logger.warn(
        { orders: ended, err: reason },
        'order drop is off the road network: cancelled as drop_unreachable',
      );
      loaded.orders = loaded.orders.filter((o) => !offNetwork.includes(o));
    }
  }
}

async function apply(
  trx: Trx,
  deps: PipelineDeps,
  loaded: Loaded,
  decisions: RoundDecisions,
  nowMs: number,
  claimed: Array<{ riderId: string; batchId: string }>,
  observed: RoundObservations,
): Promise<ScopeRoundOutcome> {
  const now = new Date(nowMs);
  const { params } = deps;
  const events = [];
  const detourOf = new Map(decisions.batched.map((b) => [b.orderId, b.detourSeconds]));
  const sealedPlans = new Map(decisions.sealed.map((p) => [p.batchId, p]));
  const committedBy = new Map(decisions.committed.map((p) => [p.batchId, p]));

  // 1. Absorbed batches (scarcity merges) are retired first: their memberships move to the batch that absorbed them.
  for (const m of decisions.merged) {
    if (!loaded.existing.has(m.absorbed)) continue; // opened and absorbed within this round: never written
    await trx.deleteFrom('batch_orders').where('batch_id', '=', m.absorbed).execute();
    await transitionBatch(trx, m.absorbed, 'merge', { order_count: 0, seal_reason: 'merged', updated_at: now });
    const row = await trx
      .selectFrom('batches')
      .select(['id', 'store_id', 'status', 'rider_id'])
      .where('id', '=', m.absorbed)
      .executeTakeFirstOrThrow();
    events.push(batchUpdated(row, now, { mergedInto: m.into }));
  }

  // 2. Every changed batch: its row (new or updated), its memberships in sequence, and its newcomers → batched — one
  //    statement of each kind for the round (batch-writes.ts).
  const opened: OpenedBatchRow[] = [];
  const updated: ChangedBatchRow[] = [];
  const memberships: MembershipRow[] = [];
  const newcomerPaths: Array<{ id: string; path_id: string }> = [];
  for (const batch of decisions.changed) {
    const known = loaded.existing.get(batch.id);
    const values = {
      id: batch.id,
      estimated_cost_s: batch.estimatedCostSeconds,
      latest_departure_at: new Date(batch.latestDepartureAt),
      ready_at: new Date(batch.readyAt),
      order_count: batch.orders.length,
      updated_at: now,
    };
    if (!known) {
      opened.push({
        ...values,
        store_id: batch.storeId,
        path_id: batch.pathId,
        status: 'open',
        capacity: params.batchCapacity,
        opened_at: new Date(batch.openedAt),
        window_closes_at: new Date(batch.openedAt + params.waitWindowSeconds * 1000),
      });
    } else {
      updated.push(values);
    }
    for (const [sequence, o] of batch.orders.entries()) {
      const detour = detourOf.get(o.id);
      memberships.push({
        batch_id: batch.id,
        order_id: o.id,
        sequence,
        detour_s: known?.get(o.id) ?? detour ?? 0,
        added_at: now,
      });
      if (detour !== undefined) newcomerPaths.push({ id: o.id, path_id: batch.pathId });
    }
  }
  await writeBatchRows(trx, opened, updated);
  await replaceMemberships(
    trx,
    decisions.changed.map((b) => b.id),
    memberships,
  );
  const statuses = await transitionOrders(
    trx,
    newcomerPaths.map((o) => o.id),
    'batch',
    { batched_at: now, updated_at: now },
  );
  await setOrderPaths(trx, newcomerPaths);

  for (const batch of decisions.changed) {
    const store = loaded.stores.get(batch.storeId)!;
    for (const o of batch.orders) {
      if (!detourOf.has(o.id)) continue;
      events.push(
        orderUpdated({ id: o.id, store_id: batch.storeId, status: statuses.get(o.id)! }, now, {
          batchId: batch.id,
          riderId: null,
        }),
      );
    }

    // Sealed this round (the core's rule, or a merge, or a rider committed to an open batch).
    const plan = sealedPlans.get(batch.id);
    if (plan) {
      const current = await trx
        .selectFrom('batches')
        .select('status')
        .where('id', '=', batch.id)
        .executeTakeFirstOrThrow();
      const stops = plannedStops(batch, store, plan);
      const sealValues = { stops: JSON.stringify(stops), refined_cost_s: plan.refinedCostSeconds, updated_at: now };
      await quoteFirstEtas(trx, stops);
      if (current.status === 'open') {
        await transitionBatch(trx, batch.id, 'seal', {
          ...sealValues,
          sealed_at: now,
          seal_reason: batch.sealReason ?? 'deadline',
        });
      } else {
        await trx.updateTable('batches').set(sealValues).where('id', '=', batch.id).execute(); // re-sealed after a merge
      }
      const orderIds = batch.orders.map((o) => o.id);
      observed.sealedSizes.push(orderIds.length);
      events.push(
        record(
          'batchesAssigned',
          batch.storeId,
          {
            batchId: batch.id,
            storeId: batch.storeId,
            pathId: batch.pathId,
            orderIds,
            sealedAt: now.toISOString(),
            reason: batch.sealReason ?? 'deadline',
            estimatedCostS: plan.estimatedCostSeconds,
          },
          now,
        ),
        record(
          'routesRefined',
          batch.id,
          {
            batchId: batch.id,
            storeId: batch.storeId,
            sequence: [...plan.sequence],
            estimatedCostS: plan.estimatedCostSeconds,
            refinedCostS: plan.refinedCostSeconds,
            etas: Object.fromEntries(plan.sequence.map((id) => [id, new Date(plan.etas[id]!).toISOString()])),
            readyAt: new Date(batch.readyAt).toISOString(),
          },
          now,
        ),
        batchUpdated({ id: batch.id, store_id: batch.storeId, status: 'sealed', rider_id: null }, now, { orderIds }),
      );
    }
  }

  // 3. Committed plans: the atomic claim (geo store, then Postgres), then batch and orders → assigned.
  let assigned = 0;
  let claimsLost = 0;
  for (const plan of committedBy.values()) {
    const batch = decisions.changed.find((b) => b.id === plan.batchId)!;
    const store = loaded.stores.get(batch.storeId)!;
    const orderIds = batch.orders.map((o) => o.id);
    // The assignment continues its orders' traces (order-traces.ts); its events carry that span on to their consumers.
    const span = deps.orderTraces?.startAssign(orderIds, {
      'deliverygo.batch.id': plan.batchId,
      'deliverygo.rider.id': plan.riderId,
      'deliverygo.batch.orders': orderIds.length,
    });
    if (!(await deps.geoStore.claimRider(plan.riderId, plan.batchId))) {
      claimsLost++;
      span?.end('claim lost');
      continue;
    }
    claimed.push({ riderId: plan.riderId, batchId: plan.batchId });
    if (!(await claimRiderRow(trx, plan.riderId, now))) {
      await deps.geoStore.releaseRider(plan.riderId, plan.batchId);
      claimed.pop();
      claimsLost++;
      span?.end('claim lost');
      continue;
    }
    const assignedStops = riderStops(plan, store);
    await transitionBatch(trx, plan.batchId, 'assign', {
      rider_id: plan.riderId,
      assigned_at: now,
      stops: JSON.stringify(assignedStops),
      updated_at: now,
    });
    await quoteFirstEtas(trx, assignedStops);
    const statuses = await transitionOrders(trx, orderIds, 'assign', { assigned_at: now, updated_at: now });
    const ready = await trx.selectFrom('orders').select('ready_marked_at').where('id', 'in', orderIds).execute();
    observed.assignments.push({ readyWaitsS: ready.map((o) => readyWaitSeconds(o.ready_marked_at, now.getTime())) });
    const planEvents = [
      batchUpdated({ id: plan.batchId, store_id: batch.storeId, status: 'assigned', rider_id: plan.riderId }, now, {
        orderIds,
      }),
      riderUpdated({ id: plan.riderId, status: 'assigned' }, now, { batchId: plan.batchId }),
      ...orderIds.map((id) =>
        orderUpdated({ id, store_id: batch.storeId, status: statuses.get(id)! }, now, {
          batchId: plan.batchId,
          riderId: plan.riderId,
        }),
      ),
    ];
    events.push(
      ...(span ? planEvents.map((r) => ({ ...r, headers: withTraceHeaders(r.headers, span.context) })) : planEvents),
    );
    span?.end();
    assigned++;
  }
  if (events.length > 0) await enqueue(trx, events);
  return {
    batched: decisions.batched.length,
    sealed: decisions.sealed.length,
    merged: decisions.merged.length,
    assigned,
    claimsLost,
    decisions,
  };
}

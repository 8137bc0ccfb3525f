/**
 * One dispatch round: every decision of the dispatcher, once, as a pure function over a snapshot of one dispatch scope
 * (its stores' hot paths, the orders not yet batched, the open and sealed batches still without a rider, the riders and
 * the clock's time), with travel times from the TravelTime port. It answers the decisions; it does no I/O.
 *
 * Both drivers call it: the live worker (internal/pipeline/dispatch-scope.ts) loads the snapshot of a Kafka partition's
 * stores from Postgres and the geo store, calls `dispatchRound` and applies the decisions in one transaction; the MDRPLIB
 * replay (internal/replay/replay-runner.ts, through `DispatchEngine`) keeps the snapshot in memory and calls it once per
 * simulated minute. Hence the replay's figures are the product's figures.
 *
 * A round, in order:
 *   1. batching — each new order, in arrival order, joins the open batch of its store on a hot path covering its drop
 *      cell where it adds the least detour (capacity, same store, wait window, bundle delay: batching.ts), or opens one;
 *   2. sealing — full, wait window closed, or waiting longer would make someone late (sealing.ts), stops ordered
 *      (route-optimizer.ts);
 *   3. bundle merging when orders due outnumber riders (scarcity.ts);
 *   4. matching — batches whose food is ready within the horizon × riders, Hungarian on the rider score
 *      (assignment.ts, rider-scoring.ts); due matches are committed, an open batch committed now seals ('deadline').
 */
import { assignBatches, type AssignableBatch, type Match } from './assignment.ts';
import { bestInsertion, evaluateSequence } from './batching.ts';
import { candidatePaths, cellOf, type HotPath } from './hot-paths.ts';
import type { DispatchParams } from './params.ts';
import { optimizeStops } from './route-optimizer.ts';
import { routeSeconds } from './route-timing.ts';
import { planMerges, targetBundleSize } from './scarcity.ts';
import { sealDue } from './sealing.ts';
import type { TravelTime } from './travel-time.ts';
import type { Batch, Order, Plan, Rider, StopPlan, Store } from './types.ts';

const S = 1000;

/**
 * What one round sees. `batches` are updated in place (the round's result is their new state), so a driver that keeps
 * its snapshot in memory (the replay) simply keeps the same objects; `plans` holds the stop plans of sealed batches.
 */
export interface DispatchSnapshot {
  readonly now: number;
  readonly stores: ReadonlyMap<string, Store>;
  /** Hot paths of the scope's stores, in the order `candidatePaths` should see them (oldest first). */
  readonly paths: readonly HotPath[];
  /** Orders not in any batch yet, in arrival order. Each needs a covering hot path (see `nextMissingPath`). */
  readonly orders: readonly Order[];
  /** Batches without a rider (open or sealed). */
  readonly batches: Batch[];
  /** Stop plans of sealed batches, by batch id; a sealed batch without one is re-planned. */
  readonly plans: Map<string, StopPlan>;
  readonly riders: readonly Rider[];
}

/** Where an order went. */
export interface BatchingDecision {
  readonly orderId: string;
  readonly batchId: string;
  readonly pathId: string;
  readonly cell: string;
  /** True when it joined an existing batch. */
  readonly joined: boolean;
  /** Seconds the order added to its batch's route. */
  readonly detourSeconds: number;
}

/** Two pending batches of one store became one (rider scarcity). */
export interface MergeDecision {
  readonly into: string;
  readonly absorbed: string;
}

export interface RoundDecisions {
  readonly now: number;
  readonly batched: readonly BatchingDecision[];
  /** Batches merged under scarcity; the absorbed batch's orders are now in `into`. */
  readonly merged: readonly MergeDecision[];
  /** Batches sealed in this round, with their stop plans (the last plan of a batch sealed, then merged, wins). */
  readonly sealed: readonly StopPlan[];
  /** Rider plans to execute now; their batches left the snapshot. */
  readonly committed: readonly Plan[];
  /** Matches kept for a later round (rider busy, or too early to leave): not binding. */
  readonly reserved: readonly Match[];
  /** Batches without any feasible rider this round. */
  readonly waiting: readonly string[];
  /** Every batch that changed (orders, status, times), in its new state, including committed ones. */
  readonly changed: readonly Batch[];
}

/** Ids for new batches: the worker's are UUIDs, the replay's a counter. */
export type NewBatchId = () => string;

/**
 * The first order (in arrival order) whose drop cell no hot path of its store covers, or null: the driver builds that
 * path (the worker through the Router, the replay from the instance's straight lines), adds it and asks again. Building
 * them one at a time, in order, lets a path built for one order cover the next ones, so both drivers build the same paths.
 */
export function nextMissingPath(
  orders: readonly Order[],
  paths: readonly HotPath[],
  params: DispatchParams,
): { readonly orderId: string; readonly storeId: string; readonly cell: string } | null {
  for (const order of orders) {
    const cell = cellOf(order.drop, params.h3Resolution);
    if (!paths.some((p) => p.storeId === order.storeId && p.cells.has(cell)))
      return { orderId: order.id, storeId: order.storeId, cell };
  }
  return null;
}

/**
 * Batching decision for one order: inserts it into the cheapest open batch on its paths (updating `snapshot.batches`),
 * or opens one. Null when no path covers its cell or its store is not in the scope.
 */
export function placeOrder(
  snapshot: Pick<DispatchSnapshot, 'now' | 'stores' | 'paths' | 'batches'>,
  order: Order,
  travel: TravelTime,
  params: DispatchParams,
  newBatchId: NewBatchId,
  changed: Set<Batch> = new Set(),
): BatchingDecision | null {
  const store = snapshot.stores.get(order.storeId);
  if (!store) return null;
  const cell = cellOf(order.drop, params.h3Resolution);
  const paths = candidatePaths(
    snapshot.paths.filter((p) => p.storeId === store.id),
    cell,
  );
  if (paths.length === 0) return null;
  const pathIds = new Set(paths.map((p) => p.id));
  const open = snapshot.batches.filter((b) => b.status === 'open' && b.storeId === store.id && pathIds.has(b.pathId));
  const quote = bestInsertion(open, order, store, travel, params);
  if (quote) {
    const { batch, evaluation } = quote;
    batch.orders = [...quote.sequence];
    batch.estimatedCostSeconds += quote.detourSeconds;
    batch.latestDepartureAt = evaluation.latestDepartureAt;
    batch.readyAt = evaluation.readyAt;
    changed.add(batch);
    return {
      orderId: order.id,
      batchId: batch.id,
      pathId: batch.pathId,
      cell,
      joined: true,
      detourSeconds: quote.detourSeconds,
    };
  }
  // A new batch on the path aimed at the order's own cell when there is one, else the oldest covering path.
  const path = paths.find((p) => p.targetCell === cell) ?? paths[0]!;
  const evaluation = evaluateSequence(store, [order], travel, params);
  const batch: Batch = {
    id: newBatchId(),
    storeId: store.id,
    pathId: path.id,
    orders: [order],
    openedAt: snapshot.now,
    status: 'open',
    estimatedCostSeconds: evaluation.routeSeconds,
    latestDepartureAt: evaluation.latestDepartureAt,
    readyAt: evaluation.readyAt,
  };
  snapshot.batches.push(batch);
  changed.add(batch);
  return {
    orderId: order.id,
    batchId: batch.id,
    pathId: batch.pathId,
    cell,
    joined: false,
    detourSeconds: evaluation.routeSeconds,
  };
}

/**
 * When orders due outnumber riders available, merges pending batches of one store (scarcity.ts) so one rider carries
 * what would otherwise need several. A merged batch is re-sealed (its stop plan recomputed) when either was sealed.
 */
function mergeUnderScarcity(
  snapshot: DispatchSnapshot,
  travel: TravelTime,
  params: DispatchParams,
  seal: (batch: Batch) => void,
  changed: Set<Batch>,
): MergeDecision[] {
  const { now, riders } = snapshot;
  const { size } = targetBundleSize(snapshot.batches, riders, now, params);
  if (size < 2) return [];
  const byStore = new Map<string, Batch[]>();
  for (const batch of snapshot.batches) {
    if (batch.readyAt - now > params.scarcityWindowSeconds * S) continue;
    const list = byStore.get(batch.storeId) ?? [];
    list.push(batch);
    byStore.set(batch.storeId, list);
  }
  const decisions: MergeDecision[] = [];
  for (const [storeId, list] of byStore) {
    if (list.length < 2) continue;
    const store = snapshot.stores.get(storeId)!;
    const touched = new Set<Batch>();
    for (const m of planMerges(store, list, size, now, travel, params)) {
      const { into, absorbed } = m;
      into.orders = [...m.sequence];
      into.estimatedCostSeconds = routeSeconds(store.location, into.orders, travel, params.service);
      const evaluation = evaluateSequence(store, into.orders, travel, params);
      into.readyAt = evaluation.readyAt;
      into.latestDepartureAt = evaluation.latestDepartureAt;
      if (absorbed.status === 'sealed' && into.status === 'open') {
        into.status = 'sealed';
        into.sealedAt = now;
        into.sealReason = absorbed.sealReason ?? 'deadline';
      }
      snapshot.batches.splice(snapshot.batches.indexOf(absorbed), 1);
      snapshot.plans.delete(absorbed.id);
      changed.delete(absorbed);
      changed.add(into);
      touched.add(into);
      decisions.push({ into: into.id, absorbed: absorbed.id });
    }
    for (const batch of touched) if (batch.status === 'sealed') seal(batch);
  }
  return decisions;
}

/** Runs one round over `snapshot` (see the module comment) and answers its decisions. */
export function dispatchRound(
  snapshot: DispatchSnapshot,
  travel: TravelTime,
  params: DispatchParams,
  newBatchId: NewBatchId,
): RoundDecisions {
  const { now, riders } = snapshot;
  const changed = new Set<Batch>();
  const batched: BatchingDecision[] = [];
  for (const order of snapshot.orders) {
    const decision = placeOrder(snapshot, order, travel, params, newBatchId, changed);
    if (decision) batched.push(decision);
  }

  const sealedPlans = new Map<string, StopPlan>();
  const seal = (batch: Batch) => {
    const plan = optimizeStops(batch, snapshot.stores.get(batch.storeId)!, travel, params);
    snapshot.plans.set(batch.id, plan);
    sealedPlans.set(batch.id, plan);
    changed.add(batch);
  };
  for (const batch of sealDue(snapshot.batches, now, params)) seal(batch);
  const merged = params.scarceBundleDelaySeconds > 0 ? mergeUnderScarcity(snapshot, travel, params, seal, changed) : [];
  for (const id of merged.map((m) => m.absorbed)) sealedPlans.delete(id);

  const items: AssignableBatch[] = [];
  for (const batch of snapshot.batches) {
    if (batch.readyAt - now > params.horizonSeconds * S) continue;
    const store = snapshot.stores.get(batch.storeId)!;
    let plan = snapshot.plans.get(batch.id);
    if (batch.status === 'sealed' && !plan) {
      plan = optimizeStops(batch, store, travel, params);
      snapshot.plans.set(batch.id, plan);
    }
    items.push({ batch, store, plan: plan ?? optimizeStops(batch, store, travel, params) });
  }
  // Scarce round: rank riders with the scarce score (nearest wins); otherwise the plentiful one.
  const scarce = targetBundleSize(snapshot.batches, riders, now, params).ratio > params.scarcityThreshold;
  const result = assignBatches(
    items,
    riders,
    now,
    travel,
    scarce ? { ...params, scoring: params.scarceScoring } : params,
  );
  for (const plan of result.committed) {
    const batch = snapshot.batches.find((b) => b.id === plan.batchId)!;
    if (batch.status === 'open') {
      batch.status = 'sealed';
      batch.sealedAt = now;
      batch.sealReason = 'deadline';
      seal(batch);
    }
    changed.add(batch);
    snapshot.batches.splice(snapshot.batches.indexOf(batch), 1);
    snapshot.plans.delete(plan.batchId);
  }
  return {
    now,
    batched,
    merged,
    sealed: [...sealedPlans.values()],
    committed: result.committed,
    reserved: result.reserved,
    waiting: result.waiting,
    changed: [...changed],
  };
}

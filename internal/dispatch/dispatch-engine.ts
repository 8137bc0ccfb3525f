/**
 * The dispatcher's state machine for one city: stores, hot paths, open and sealed batches. It is the single entry point
 * both the Kafka workers (wall clock, one event at a time) and the replay harness (virtual clock, every simulated
 * minute) drive: `submitOrder` on each new order, `round(riders)` on each dispatch tick. No I/O: time comes from the
 * Clock port and travel times from the TravelTime port.
 */
import type { Clock } from '../platform/clock.ts';
import { conflict, invalidInput, notFound } from '../platform/errors.ts';
import { assignBatches, type AssignableBatch, type Match } from './assignment.ts';
import { bestInsertion, evaluateSequence } from './batching.ts';
import { buildHotPath, candidatePaths, cellOf, type HotPath } from './hot-paths.ts';
import { resolveDispatchParams, type DispatchParams, type DispatchParamsInput } from './params.ts';
import { optimizeStops } from './route-optimizer.ts';
import { planMerges, targetBundleSize } from './scarcity.ts';
import { routeSeconds } from './route-timing.ts';
import { sealDue } from './sealing.ts';
import type { TravelTime } from './travel-time.ts';
import type { Batch, Order, Plan, Rider, StopPlan, Store } from './types.ts';

const S = 1000;

export interface DispatchEngineDeps {
  readonly clock: Clock;
  readonly travel: TravelTime;
  readonly params?: DispatchParamsInput;
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

export interface RoundResult {
  readonly now: number;
  /** Batches sealed in this round, with their optimized stop plans. */
  readonly sealed: readonly StopPlan[];
  /** Rider plans committed in this round; their batches left the engine. */
  readonly committed: readonly Plan[];
  readonly reserved: readonly Match[];
  /** Sealed batches that found no feasible rider this round. */
  readonly waiting: readonly string[];
}

export class DispatchEngine {
  readonly params: DispatchParams;
  private readonly stores = new Map<string, Store>();
  private readonly storeCells = new Map<string, string>();
  private readonly paths = new Map<string, HotPath[]>();
  private readonly batches = new Map<string, Batch>();
  private readonly plans = new Map<string, StopPlan>();
  private readonly orderBatch = new Map<string, string>();
  private nextPath = 1;
  private nextBatch = 1;

  constructor(private readonly deps: DispatchEngineDeps) {
    this.params = resolveDispatchParams(deps.params);
  }

  /** Registers (or moves) a pickup point. */
  upsertStore(store: Store): void {
    this.stores.set(store.id, store);
    this.storeCells.set(store.id, cellOf(store.location, this.params.h3Resolution));
    if (!this.paths.has(store.id)) this.paths.set(store.id, []);
  }

  /** Batches not yet given to a rider. */
  pendingBatches(): readonly Batch[] {
    return [...this.batches.values()];
  }

  /** Number of orders waiting for a rider. */
  pendingOrderCount(): number {
    return this.orderBatch.size;
  }

  /**
   * Indexes the order into its H3 cell, matches it to a hot path of its store and inserts it into the open batch with
   * the smallest feasible detour, or opens a new batch.
   */
  submitOrder(order: Order): BatchingDecision {
    const store = this.stores.get(order.storeId);
    if (!store) throw notFound('dispatch.store_not_found', `store ${order.storeId} is unknown`, { field: 'storeId' });
    if (this.orderBatch.has(order.id)) throw conflict('dispatch.order_duplicate', `order ${order.id} is already pending`, { field: 'id' });
    if (!(order.readyAt >= order.placedAt)) {
      throw invalidInput('dispatch.order_invalid', 'readyAt must not be before placedAt', { field: 'readyAt' });
    }
    const { params } = this;
    const cell = cellOf(order.drop, params.h3Resolution);
    const storePaths = this.paths.get(store.id)!;
    let paths = candidatePaths(storePaths, cell);
    const pathIds = new Set(paths.map((p) => p.id));
    const open = [...this.batches.values()].filter((b) => b.status === 'open' && pathIds.has(b.pathId));
    const quote = bestInsertion(open, order, store, this.deps.travel, params);
    if (quote) {
      const { batch, evaluation } = quote;
      batch.orders = [...quote.sequence];
      batch.estimatedCostSeconds += quote.detourSeconds;
      batch.latestDepartureAt = evaluation.latestDepartureAt;
      batch.readyAt = evaluation.readyAt;
      this.orderBatch.set(order.id, batch.id);
      return { orderId: order.id, batchId: batch.id, pathId: batch.pathId, cell, joined: true, detourSeconds: quote.detourSeconds };
    }
    if (paths.length === 0) {
      const path = buildHotPath(`p${this.nextPath++}`, store.id, this.storeCells.get(store.id)!, cell, params.corridorRings);
      storePaths.push(path);
      paths = [path];
    }
    const evaluation = evaluateSequence(store, [order], this.deps.travel, params);
    const batch: Batch = {
      id: `b${this.nextBatch++}`,
      storeId: store.id,
      pathId: paths[0]!.id,
      orders: [order],
      openedAt: this.deps.clock.now(),
      status: 'open',
      estimatedCostSeconds: evaluation.routeSeconds,
      latestDepartureAt: evaluation.latestDepartureAt,
      readyAt: evaluation.readyAt,
    };
    this.batches.set(batch.id, batch);
    this.orderBatch.set(order.id, batch.id);
    return { orderId: order.id, batchId: batch.id, pathId: batch.pathId, cell, joined: false, detourSeconds: evaluation.routeSeconds };
  }

  /**
   * When orders due outnumber riders available, merges pending batches of one store (scarcity.ts) so one rider carries
   * what would otherwise need several. Merged batches are re-sealed (their stop plan recomputed) when either was sealed.
   */
  private mergeUnderScarcity(riders: readonly Rider[], now: number, seal: (batch: Batch) => StopPlan): void {
    const { params } = this;
    const { size } = targetBundleSize(this.batches.values(), riders, now, params);
    if (size < 2) return;
    const byStore = new Map<string, Batch[]>();
    for (const batch of this.batches.values()) {
      if (batch.readyAt - now > params.scarcityWindowSeconds * S) continue;
      const list = byStore.get(batch.storeId) ?? [];
      list.push(batch);
      byStore.set(batch.storeId, list);
    }
    for (const [storeId, list] of byStore) {
      if (list.length < 2) continue;
      const store = this.stores.get(storeId)!;
      const merges = planMerges(store, list, size, now, this.deps.travel, params);
      const touched = new Set<Batch>();
      for (const m of merges) {
        const { into, absorbed } = m;
        into.orders = [...m.sequence];
        into.estimatedCostSeconds = routeSeconds(store.location, into.orders, this.deps.travel, params.service);
        const evaluation = evaluateSequence(store, into.orders, this.deps.travel, params);
        into.readyAt = evaluation.readyAt;
        into.latestDepartureAt = evaluation.latestDepartureAt;
        if (absorbed.status === 'sealed' && into.status === 'open') {
          into.status = 'sealed';
          into.sealedAt = now;
          into.sealReason = absorbed.sealReason ?? 'deadline';
        }
        for (const o of absorbed.orders) this.orderBatch.set(o.id, into.id);
        this.batches.delete(absorbed.id);
        this.plans.delete(absorbed.id);
        touched.add(into);
      }
      for (const batch of touched) if (batch.status === 'sealed') seal(batch);
    }
  }

  /**
   * One dispatch round at the clock's current time: seal due batches (and optimize their stops), then match the batches
   * whose food is ready within the horizon to `riders`, committing the matches that are due. An open batch whose match
   * is due seals now ('deadline': waiting longer would make its orders late).
   */
  round(riders: readonly Rider[]): RoundResult {
    const now = this.deps.clock.now();
    const { params } = this;
    const sealed: StopPlan[] = [];
    const seal = (batch: Batch) => {
      const plan = optimizeStops(batch, this.stores.get(batch.storeId)!, this.deps.travel, params);
      this.plans.set(batch.id, plan);
      sealed.push(plan);
      return plan;
    };
    for (const batch of sealDue(this.batches.values(), now, params)) seal(batch);
    if (params.scarceBundleDelaySeconds > 0) this.mergeUnderScarcity(riders, now, seal);
    const items: AssignableBatch[] = [];
    for (const batch of this.batches.values()) {
      if (batch.readyAt - now > params.horizonSeconds * S) continue;
      const store = this.stores.get(batch.storeId)!;
      const plan = batch.status === 'sealed' ? this.plans.get(batch.id)! : optimizeStops(batch, store, this.deps.travel, params);
      items.push({ batch, store, plan });
    }
    // Scarce round: rank riders with the scarce score (nearest wins); otherwise the plentiful one.
    const scarce = targetBundleSize(this.batches.values(), riders, now, params).ratio > params.scarcityThreshold;
    const result = assignBatches(items, riders, now, this.deps.travel, scarce ? { ...params, scoring: params.scarceScoring } : params);
    for (const plan of result.committed) {
      const batch = this.batches.get(plan.batchId)!;
      if (batch.status === 'open') {
        batch.status = 'sealed';
        batch.sealedAt = now;
        batch.sealReason = 'deadline';
        seal(batch);
      }
      for (const order of batch.orders) this.orderBatch.delete(order.id);
      this.batches.delete(plan.batchId);
      this.plans.delete(plan.batchId);
    }
    return { now, sealed, committed: result.committed, reserved: result.reserved, waiting: result.waiting };
  }
}

/**
 * An in-memory driver of the dispatch core (dispatch-round.ts) for one city: it keeps the snapshot — stores, hot paths,
 * batches without a rider — between rounds, where the live worker reloads it from Postgres each round. The MDRPLIB replay
 * uses it under a virtual clock: `submitOrder` on each new order, `round(riders)` on each simulated minute. Missing hot
 * paths are built from straight lines (the instance's travel model has no roads), through the same corridor rule as the
 * worker's Router paths. No I/O.
 */
import type { Clock } from '../platform/clock.ts';
import { conflict, invalidInput, notFound } from '../platform/errors.ts';
import {
  dispatchRound,
  nextMissingPath,
  placeOrder,
  type BatchingDecision,
  type RoundDecisions,
} from './dispatch-round.ts';
import { cellCentre, hotPathFromRoute, straightLine, type HotPath } from './hot-paths.ts';
import { resolveDispatchParams, type DispatchParams, type DispatchParamsInput } from './params.ts';
import type { TravelTime } from './travel-time.ts';
import type { Batch, Order, Rider, StopPlan, Store } from './types.ts';

export type { BatchingDecision } from './dispatch-round.ts';
export type RoundResult = RoundDecisions;

export interface DispatchEngineDeps {
  readonly clock: Clock;
  readonly travel: TravelTime;
  readonly params?: DispatchParamsInput;
}

export class DispatchEngine {
  readonly params: DispatchParams;
  private readonly stores = new Map<string, Store>();
  private readonly paths: HotPath[] = [];
  private readonly batches: Batch[] = [];
  private readonly plans = new Map<string, StopPlan>();
  private readonly pending = new Set<string>();
  private nextBatch = 1;
  private readonly newBatchId = () => `b${this.nextBatch++}`;

  constructor(private readonly deps: DispatchEngineDeps) {
    this.params = resolveDispatchParams(deps.params);
  }

  /** Registers (or moves) a pickup point. */
  upsertStore(store: Store): void {
    this.stores.set(store.id, store);
  }

  /** Batches not yet given to a rider. */
  pendingBatches(): readonly Batch[] {
    return this.batches;
  }

  /** Number of orders waiting for a rider. */
  pendingOrderCount(): number {
    return this.pending.size;
  }

  /** Places `order` at once (the core's batching step), building its hot path first if none covers its drop. */
  submitOrder(order: Order): BatchingDecision {
    const store = this.stores.get(order.storeId);
    if (!store) throw notFound('dispatch.store_not_found', `store ${order.storeId} is unknown`, { field: 'storeId' });
    if (this.pending.has(order.id))
      throw conflict('dispatch.order_duplicate', `order ${order.id} is already pending`, { field: 'id' });
    if (!(order.readyAt >= order.placedAt)) {
      throw invalidInput('dispatch.order_invalid', 'readyAt must not be before placedAt', { field: 'readyAt' });
    }
    const { params } = this;
    for (
      let missing = nextMissingPath([order], this.paths, params);
      missing;
      missing = nextMissingPath([order], this.paths, params)
    ) {
      const line = straightLine(store.location, cellCentre(missing.cell));
      this.paths.push(hotPathFromRoute(store.id, missing.cell, line, params.h3Resolution, params.corridorRings));
    }
    const snapshot = { now: this.deps.clock.now(), stores: this.stores, paths: this.paths, batches: this.batches };
    const decision = placeOrder(snapshot, order, this.deps.travel, params, this.newBatchId)!;
    this.pending.add(order.id);
    return decision;
  }

  /** One dispatch round at the clock's current time over the pending batches (see dispatchRound). */
  round(riders: readonly Rider[]): RoundResult {
    const snapshot = {
      now: this.deps.clock.now(),
      stores: this.stores,
      paths: this.paths,
      orders: [],
      batches: this.batches,
      plans: this.plans,
      riders,
    };
    const result = dispatchRound(snapshot, this.deps.travel, this.params, this.newBatchId);
    for (const plan of result.committed) for (const drop of plan.drops) this.pending.delete(drop.orderId);
    return result;
  }
}

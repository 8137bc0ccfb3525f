/**
 * Stop ordering for a sealed batch: one pickup, then the drops. Cheapest insertion builds a sequence, 2-opt improves it.
 * The objective is what customers feel: the sum of ETAs plus a penalty per second late. Returns per-order ETAs and the
 * refined route cost, and the regret against the cost the batching step estimated.
 */
import type { DispatchParams } from './params.ts';
import { latestReady, routeSeconds, timeDrops } from './route-timing.ts';
import type { TravelTime } from './travel-time.ts';
import type { Batch, Order, Store, StopPlan } from './types.ts';

const S = 1000;

/** Objective (seconds) of a drop sequence picked up at `readyAt`. */
export function sequenceObjective(
  store: Store,
  readyAt: number,
  sequence: readonly Order[],
  travel: TravelTime,
  params: DispatchParams,
): number {
  const leave = readyAt + params.service.pickupAfterSeconds * S;
  const drops = timeDrops(store.location, leave, sequence, travel, params.service);
  let total = 0;
  sequence.forEach((order, i) => {
    const eta = drops[i]!.dropAt;
    total += (eta - readyAt) / S + (params.latePenaltyWeight * Math.max(0, eta - order.promisedAt)) / S;
  });
  return total;
}

/** Orders the drops of `orders` with cheapest insertion followed by 2-opt. */
export function orderDrops(
  store: Store,
  orders: readonly Order[],
  travel: TravelTime,
  params: DispatchParams,
): Order[] {
  const readyAt = latestReady(orders);
  const cost = (seq: readonly Order[]) => sequenceObjective(store, readyAt, seq, travel, params);
  // Insertion: nearest drops first, each at its cheapest position.
  const byDistance = [...orders].sort(
    (a, b) => travel.durationSeconds(store.location, a.drop) - travel.durationSeconds(store.location, b.drop),
  );
  let sequence: Order[] = [];
  for (const order of byDistance) {
    let best: Order[] | null = null;
    let bestCost = Infinity;
    for (let p = 0; p <= sequence.length; p++) {
      const candidate = [...sequence.slice(0, p), order, ...sequence.slice(p)];
      const c = cost(candidate);
      if (c < bestCost) {
        bestCost = c;
        best = candidate;
      }
    }
    sequence = best!;
  }
  // 2-opt: reverse segments while it helps.
  let current = cost(sequence);
  let improved = true;
  while (improved) {
    improved = false;
    for (let i = 0; i < sequence.length - 1; i++) {
      for (let j = i + 1; j < sequence.length; j++) {
        const candidate = [...sequence.slice(0, i), ...sequence.slice(i, j + 1).reverse(), ...sequence.slice(j + 1)];
        const c = cost(candidate);
        if (c < current - 1e-9) {
          sequence = candidate;
          current = c;
          improved = true;
        }
      }
    }
  }
  return sequence;
}

/** Optimizes a batch's stops, reorders `batch.orders` to match, and returns the timed plan. */
export function optimizeStops(batch: Batch, store: Store, travel: TravelTime, params: DispatchParams): StopPlan {
  const sequence = orderDrops(store, batch.orders, travel, params);
  batch.orders = sequence;
  const readyAt = latestReady(sequence);
  const drops = timeDrops(
    store.location,
    readyAt + params.service.pickupAfterSeconds * S,
    sequence,
    travel,
    params.service,
  );
  const etas: Record<string, number> = {};
  for (const d of drops) etas[d.orderId] = d.dropAt;
  const refinedCostSeconds = routeSeconds(store.location, sequence, travel, params.service);
  const estimated = batch.estimatedCostSeconds;
  return {
    batchId: batch.id,
    storeId: batch.storeId,
    sequence: sequence.map((o) => o.id),
    refinedCostSeconds,
    estimatedCostSeconds: estimated,
    regret: estimated > 0 ? (refinedCostSeconds - estimated) / estimated : 0,
    etas,
  };
}

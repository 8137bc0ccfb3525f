/**
 * Batching: where does a new order go? It may join an open batch of its store on a hot path covering its drop cell,
 * at the cheapest feasible position (detour in seconds, from the TravelTime port), or it opens a new batch.
 */
import type { DispatchParams } from './params.ts';
import { latestReady, routeSeconds, soloEta, timeDrops } from './route-timing.ts';
import type { TravelTime } from './travel-time.ts';
import type { Batch, Order, Store } from './types.ts';

const S = 1000;

/** How a drop sequence would play out if a rider picked it up at the latest ready time. */
export interface SequenceEvaluation {
  readonly feasible: boolean;
  /** Seconds from leaving the store to leaving the last drop. */
  readonly routeSeconds: number;
  readonly readyAt: number;
  readonly latestDepartureAt: number;
  /** ETA per order in sequence order (ms). */
  readonly etas: readonly number[];
}

/**
 * Checks a drop sequence against the bundling rules: nobody is delayed by more than `maxBundleDelaySeconds` versus going
 * alone, and nobody becomes later than promised (beyond what it would be alone) by more than `latenessToleranceSeconds`.
 */
export function evaluateSequence(
  store: Store,
  sequence: readonly Order[],
  travel: TravelTime,
  params: DispatchParams,
): SequenceEvaluation {
  const readyAt = latestReady(sequence);
  const leaveStoreAt = readyAt + params.service.pickupAfterSeconds * S;
  const drops = timeDrops(store.location, leaveStoreAt, sequence, travel, params.service);
  let feasible = true;
  let latestDepartureAt = Infinity;
  const etas: number[] = [];
  sequence.forEach((order, i) => {
    const eta = drops[i]!.dropAt;
    etas.push(eta);
    latestDepartureAt = Math.min(latestDepartureAt, order.promisedAt - (eta - leaveStoreAt));
    if (sequence.length > 1) {
      const alone = soloEta(order, store.location, travel, params.service);
      const lateness = Math.max(0, eta - order.promisedAt);
      const latenessAlone = Math.max(0, alone - order.promisedAt);
      if (eta - alone > params.maxBundleDelaySeconds * S) feasible = false;
      if (lateness - latenessAlone > params.latenessToleranceSeconds * S) feasible = false;
    }
  });
  return {
    feasible,
    routeSeconds: routeSeconds(store.location, sequence, travel, params.service),
    readyAt,
    latestDepartureAt,
    etas,
  };
}

export interface InsertionQuote {
  readonly batch: Batch;
  /** Index in the drop sequence where the order goes. */
  readonly position: number;
  /** How much longer the route gets, seconds. */
  readonly detourSeconds: number;
  readonly sequence: readonly Order[];
  readonly evaluation: SequenceEvaluation;
}

/**
 * Cheapest feasible insertion of `order` into `batch`, or null when it does not fit (other store, full, not open,
 * detour too long, would make someone late).
 */
export function quoteInsertion(
  batch: Batch,
  order: Order,
  store: Store,
  travel: TravelTime,
  params: DispatchParams,
): InsertionQuote | null {
  if (batch.status !== 'open' || batch.storeId !== order.storeId || store.id !== order.storeId) return null;
  if (batch.orders.length >= params.batchCapacity) return null;
  const before = routeSeconds(store.location, batch.orders, travel, params.service);
  let best: InsertionQuote | null = null;
  for (let position = 0; position <= batch.orders.length; position++) {
    const sequence = [...batch.orders.slice(0, position), order, ...batch.orders.slice(position)];
    const evaluation = evaluateSequence(store, sequence, travel, params);
    const detourSeconds = evaluation.routeSeconds - before;
    if (!evaluation.feasible || detourSeconds > params.maxDetourSeconds) continue;
    if (best === null || detourSeconds < best.detourSeconds)
      best = { batch, position, detourSeconds, sequence, evaluation };
  }
  return best;
}

/** The best quote among candidate batches (lowest detour), or null. */
export function bestInsertion(
  batches: Iterable<Batch>,
  order: Order,
  store: Store,
  travel: TravelTime,
  params: DispatchParams,
): InsertionQuote | null {
  let best: InsertionQuote | null = null;
  for (const batch of batches) {
    const quote = quoteInsertion(batch, order, store, travel, params);
    if (quote && (best === null || quote.detourSeconds < best.detourSeconds)) best = quote;
  }
  return best;
}

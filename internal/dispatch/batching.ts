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
  if (store.id !== order.storeId || !takesOrderOf(batch, order, params)) return null;
  const before = routeSeconds(store.location, batch.orders, travel, params.service);
  let best: InsertionQuote | null = null;
  for (let position = 0; position <= batch.orders.length; position++) {
    const quote = quotePosition(batch, position, before, order, store, travel, params);
    if (quote && (best === null || quote.detourSeconds < best.detourSeconds)) best = quote;
  }
  return best;
}

/** Whether `batch` may still take `order`: open, of the order's store, not full. */
function takesOrderOf(batch: Batch, order: Order, params: DispatchParams): boolean {
  return batch.status === 'open' && batch.storeId === order.storeId && batch.orders.length < params.batchCapacity;
}

/**
 * `order` inserted at `position` of `batch`, evaluated exactly (`routeBefore`: the batch's route seconds without it),
 * or null when that makes someone late or the detour too long.
 */
function quotePosition(
  batch: Batch,
  position: number,
  routeBefore: number,
  order: Order,
  store: Store,
  travel: TravelTime,
  params: DispatchParams,
): InsertionQuote | null {
  const sequence = [...batch.orders.slice(0, position), order, ...batch.orders.slice(position)];
  const evaluation = evaluateSequence(store, sequence, travel, params);
  const detourSeconds = evaluation.routeSeconds - routeBefore;
  if (!evaluation.feasible || detourSeconds > params.maxDetourSeconds) return null;
  return { batch, position, detourSeconds, sequence, evaluation };
}

/**
 * How many insertion candidates (batch × position) the search evaluates exactly before it looks at the rest. A
 * candidate's lower bound is its detour from three table lookups (prev → order → next replaces prev → next, plus the
 * drop service); the exact evaluation (ETAs, the bundling rules, ~3n lookups and two arrays) is what costs. Eight covers
 * two or three open batches of the default capacity (3: up to 4 positions each): the MDRPLIB seed-4 day stacked four
 * times on the same restaurants settles 97.6 % of its searches within them, without sorting the rest. It is not a
 * cap: when the first eight do not settle it (all infeasible, or one of the rest may still be cheaper), the search
 * goes on in bound order, so the decision is always the exhaustive search's.
 */
export const INSERTION_CANDIDATES = 8;

/**
 * Slack subtracted from the incremental detour to make it a strict lower bound of the exact detour, which is computed as
 * a difference of two route sums and may differ from it in the last bits (seconds; floating-point error is ~1e-12 s).
 */
const BOUND_SLACK_SECONDS = 1e-6;

interface Candidate {
  readonly batch: Batch;
  readonly position: number;
  /** Lower bound of the detour (seconds). */
  readonly bound: number;
  /** Order of the exhaustive search (batch, then position): breaks ties between equal detours the same way. */
  readonly rank: number;
}

const byBound = (a: Candidate, b: Candidate) => a.bound - b.bound || a.rank - b.rank;

/**
 * Margin (ms) by which a candidate must break a bundling rule before the search drops it unevaluated: the exact
 * evaluation adds the same times in another order (epoch milliseconds, last-bit differences of ~1e-3 ms at most).
 */
const RULE_SLACK_MS = 1;

/**
 * The two bundling rules of `evaluateSequence` for one order of a candidate sequence whose drop is reached
 * `toDropSeconds` after leaving the store, the store left once everything is ready (`readyAt`). Exact for that order
 * (same formula, other addition order), so a candidate it refuses is one the full evaluation would refuse: the search
 * skips those without the full evaluation, and its decisions stay the exhaustive search's.
 */
function bundleRules(newOrder: Order, store: Store, travel: TravelTime, params: DispatchParams) {
  const { pickupAfterSeconds, dropBeforeSeconds } = params.service;
  const maxDelayMs = params.maxBundleDelaySeconds * S + RULE_SLACK_MS;
  const toleranceMs = params.latenessToleranceSeconds * S + RULE_SLACK_MS;
  const newOrderSolo = soloEta(newOrder, store.location, travel, params.service);
  return {
    allows(order: Order, readyAt: number, toDropSeconds: number): boolean {
      const alone = order === newOrder ? newOrderSolo : soloEta(order, store.location, travel, params.service);
      const eta = readyAt + (pickupAfterSeconds + toDropSeconds + dropBeforeSeconds) * S;
      // Written as the evaluation's own comparisons, so a NaN decides the same way there and here.
      if (eta - alone > maxDelayMs) return false;
      return !(Math.max(0, eta - order.promisedAt) - Math.max(0, alone - order.promisedAt) > toleranceMs);
    },
  };
}

/**
 * The best quote among candidate batches: the lowest detour, ties to the first batch and position in iteration order;
 * null when none fits. Same result as `quoteInsertion` on every batch, but a candidate is evaluated exactly only when it
 * passes the bundling rules computed from its legs (`bundleRules`: most do not, and a batch of a busy store has
 * hundreds of them) and its detour lower bound can still beat the best found, cheapest bound first
 * (INSERTION_CANDIDATES). bench/insertion-search.bench.ts measures it.
 */
export function bestInsertion(
  batches: Iterable<Batch>,
  order: Order,
  store: Store,
  travel: TravelTime,
  params: DispatchParams,
): InsertionQuote | null {
  if (store.id !== order.storeId) return null;
  const open = [...batches];
  const service = params.service.dropBeforeSeconds + params.service.dropAfterSeconds;
  const candidates: Candidate[] = [];
  const rules = bundleRules(order, store, travel, params);
  /** Per order of the batch at hand: seconds from leaving the store to reaching its drop, and the leg into it. */
  const toDrop: number[] = [];
  const legs: number[] = [];
  let rank = 0;
  for (const batch of open) {
    if (!takesOrderOf(batch, order, params)) continue;
    const { orders } = batch;
    const readyAt = Math.max(latestReady(orders), order.readyAt);
    let reach = 0;
    for (let j = 0; j < orders.length; j++) {
      legs[j] = travel.durationSeconds(j === 0 ? store.location : orders[j - 1]!.drop, orders[j]!.drop);
      toDrop[j] = reach + legs[j]!;
      reach = toDrop[j]! + service;
    }
    for (let position = 0; position <= orders.length; position++, rank++) {
      const prev = position === 0 ? store.location : orders[position - 1]!.drop;
      const reachPrev = position === 0 ? 0 : toDrop[position - 1]! + service;
      const toOrder = travel.durationSeconds(prev, order.drop);
      // The bundling rules, exactly as `evaluateSequence` applies them but from the legs at hand: the new order's
      // first (it needs only the leg to it, and behind a drop most positions fail it: a drop's service is most of
      // the allowed delay), then — for a detour within bounds — every other order of the sequence. A candidate that
      // passes them all is feasible (within RULE_SLACK_MS), so the exact evaluations below are only the few that
      // decide between feasible ones. (A batch without orders makes a sequence of one: no rules.)
      if (orders.length > 0 && !rules.allows(order, readyAt, reachPrev + toOrder)) continue;
      let detour = toOrder + service;
      if (position < orders.length)
        detour += travel.durationSeconds(order.drop, orders[position]!.drop) - legs[position]!;
      // An unroutable leg (Infinity, NaN) has no usable bound: the exhaustive search decides, as it always did.
      if (!Number.isFinite(detour)) return exhaustiveInsertion(open, order, store, travel, params);
      const bound = detour - BOUND_SLACK_SECONDS;
      if (bound > params.maxDetourSeconds) continue;
      // Orders before the position keep their legs (only a later `readyAt` moves them); orders after it move by the detour.
      let allowed = true;
      for (let j = 0; j < orders.length && allowed; j++) {
        allowed = rules.allows(orders[j]!, readyAt, j < position ? toDrop[j]! : toDrop[j]! + detour);
      }
      if (allowed) candidates.push({ batch, position, bound, rank });
    }
  }
  // The INSERTION_CANDIDATES lowest bounds first (a partial selection); the rest are sorted only if those do not settle it.
  const head: Candidate[] = [];
  for (const c of candidates) {
    if (head.length === INSERTION_CANDIDATES && byBound(c, head[head.length - 1]!) >= 0) continue;
    let i = Math.min(head.length, INSERTION_CANDIDATES - 1);
    while (i > 0 && byBound(c, head[i - 1]!) < 0) i--;
    head.splice(i, 0, c);
    if (head.length > INSERTION_CANDIDATES) head.pop();
  }
  let best: InsertionQuote | null = null;
  let bestRank = Infinity;
  // Route seconds before the insertion, only for the batches evaluated exactly (most never are).
  const before = new Map<Batch, number>();
  /** Evaluates `c` exactly; false once no candidate from `c` on (in bound order) can beat the best. */
  const consider = (c: Candidate): boolean => {
    if (best !== null && c.bound > best.detourSeconds) return false;
    let routeBefore = before.get(c.batch);
    if (routeBefore === undefined) {
      routeBefore = routeSeconds(store.location, c.batch.orders, travel, params.service);
      before.set(c.batch, routeBefore);
    }
    const quote = quotePosition(c.batch, c.position, routeBefore, order, store, travel, params);
    if (
      quote &&
      (best === null ||
        quote.detourSeconds < best.detourSeconds ||
        (quote.detourSeconds === best.detourSeconds && c.rank < bestRank))
    ) {
      best = quote;
      bestRank = c.rank;
    }
    return true;
  };
  for (const c of head) if (!consider(c)) return best;
  if (candidates.length <= head.length) return best;
  candidates.sort(byBound);
  for (let i = head.length; i < candidates.length; i++) if (!consider(candidates[i]!)) break;
  return best;
}

/** Every position of every batch (`quoteInsertion`): the reference `bestInsertion` equals. */
function exhaustiveInsertion(
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

/**
 * Regret of one batch decision, in hindsight (docs/dispatch-quality.md, "Regret"): the cost the decision realised minus
 * the cost of the best decision for the same orders once the facts are known — actual ready times, when each rider
 * actually stood at the store, which riders were actually free, and the router's travel times.
 *
 * Every cost, the decision's own included, is timed by the same model (route-timing.ts, the TravelTime port), so a
 * rider who simply rode slower than the router does not count as a bad dispatch decision; the cost of the recorded
 * timestamps is returned beside it (`actualS`) to show that execution gap.
 *
 * Alternatives searched, each within the batch capacity:
 * - the same orders in another drop order (exhaustive up to {@link MAX_EXHAUSTIVE_DROPS} drops);
 * - the same orders split over the batch's rider and the riders free around the decision (any partition);
 * - the same orders merged with an earlier batch of the same store decided within {@link REGRET_WINDOW_SECONDS}
 *   (any re-split of both batches' orders over both riders and the free ones). The merge is charged to the later
 *   decision only, and the earlier batch is credited with its own best plan, so no saving is counted twice.
 */
import type { ServiceTimes } from './params.ts';
import { timeDrops } from './route-timing.ts';
import type { TravelTime } from './travel-time.ts';
import type { GeoPoint } from './types.ts';

const S = 1000;

/** What one second of each kind costs in the regret objective (the result is "weighted seconds"). */
export interface RegretWeights {
  /** A second of rider time, from the rider's arrival at the store to leaving the last drop. */
  readonly riderSecond: number;
  /** A second a customer waits between the food being ready and the hand-over (ready-to-door). */
  readonly customerSecond: number;
  /** A second of hand-over after the promised time, on top of the waiting second. */
  readonly lateSecond: number;
}

/** Rider and customer seconds weigh the same; lateness counts three times in all (1 waiting + 2 late). */
export const REGRET_WEIGHTS: RegretWeights = { riderSecond: 1, customerSecond: 1, lateSecond: 2 };

/**
 * The decision window: batches of the same store decided at most this long before a batch are its merge partners, and
 * riders who became free at most this long before or after its decision count as free for it.
 */
export const REGRET_WINDOW_SECONDS = 600;

/** Drop orders of a group are enumerated exhaustively up to this size (7! = 5 040 orders). */
export const MAX_EXHAUSTIVE_DROPS = 7;

/** At most this many orders in one hindsight problem (the plan search walks subsets: 3ⁿ steps per rider). */
export const MAX_HINDSIGHT_ORDERS = 10;

/** Free riders considered per batch: those who could be at the store first. */
export const MAX_FREE_RIDERS = 3;

/** An order as known after delivery. */
export interface HindsightOrder {
  readonly id: string;
  readonly drop: GeoPoint;
  /** When the food was actually ready (the store's "ready" mark; the kitchen's estimate without one), ms. */
  readonly readyAt: number;
  readonly promisedAt: number;
  /** Recorded hand-over time (ms), for `actualS`; null when unknown. */
  readonly deliveredAt: number | null;
}

/** A batch as it was executed. */
export interface ExecutedTrip {
  readonly batchId: string;
  readonly riderId: string;
  /** When the rider was committed (ms). */
  readonly decidedAt: number;
  /** When the rider actually stood at the store (ms): the recorded pickup minus the pickup service before it. */
  readonly atStoreAt: number;
  /** The drops in the order the rider made them. */
  readonly sequence: readonly HindsightOrder[];
}

/** A rider that was free around the decision (its last drop before, no other batch yet). */
export interface FreeRider {
  readonly riderId: string;
  readonly location: GeoPoint;
  /** When it became free at `location` (ms). */
  readonly freeAt: number;
}

/** Everything the hindsight needs about one batch decision. */
export interface HindsightCase {
  readonly store: GeoPoint;
  readonly batch: ExecutedTrip;
  /** Earlier batches of the same store within the decision window (merge partners). */
  readonly neighbours: readonly ExecutedTrip[];
  readonly freeRiders: readonly FreeRider[];
  /** Orders one rider may carry (the dispatcher's batch capacity). */
  readonly capacity: number;
}

/** Which decision would have been best in hindsight. */
export type RegretAlternative = 'as_executed' | 'resequence' | 'other_rider' | 'split' | 'merge';

/** One rider trip of a plan. */
export interface PlannedTrip {
  readonly riderId: string;
  readonly orderIds: readonly string[];
}

export interface BatchRegret {
  /** Weighted seconds of the decision as executed, timed by the model from the actual pickup. */
  readonly realisedS: number;
  /** Weighted seconds of the best alternative (≤ realised: the decision itself is one of them). */
  readonly hindsightBestS: number;
  /** realised − best, ≥ 0. */
  readonly regretS: number;
  /** regret / realised (0 when nothing was realised). */
  readonly relative: number;
  readonly alternative: RegretAlternative;
  /** The best plan's trips (for a merge: of both batches' orders). */
  readonly bestTrips: readonly PlannedTrip[];
  /** The earlier batch the best plan merges with; null otherwise. */
  readonly mergedWith: string | null;
  /** The same cost from the recorded timestamps; null when a drop time is missing. */
  readonly actualS: number | null;
}

interface RiderAt {
  readonly riderId: string;
  readonly atStoreAt: number;
}

interface Plan {
  readonly cost: number;
  readonly trips: PlannedTrip[];
}

/** Weighted seconds of one trip: a rider at the store at `atStoreAt` carrying `sequence` in that order. */
export function tripCost(
  store: GeoPoint,
  atStoreAt: number,
  sequence: readonly HindsightOrder[],
  travel: TravelTime,
  service: ServiceTimes,
  weights: RegretWeights = REGRET_WEIGHTS,
): number {
  if (sequence.length === 0) return 0;
  let ready = -Infinity;
  for (const o of sequence) ready = Math.max(ready, o.readyAt);
  const pickup = Math.max(ready, atStoreAt + service.pickupBeforeSeconds * S);
  const drops = timeDrops(store, pickup + service.pickupAfterSeconds * S, sequence, travel, service);
  let customer = 0;
  let late = 0;
  sequence.forEach((o, i) => {
    const dropAt = drops[i]!.dropAt;
    customer += dropAt - o.readyAt;
    late += Math.max(0, dropAt - o.promisedAt);
  });
  const rider = drops[drops.length - 1]!.leaveAt - atStoreAt;
  return (weights.riderSecond * rider + weights.customerSecond * customer + weights.lateSecond * late) / S;
}

/** The same weighted seconds from recorded hand-over times; null when one is missing. */
export function actualTripCost(
  trip: ExecutedTrip,
  service: ServiceTimes,
  weights: RegretWeights = REGRET_WEIGHTS,
): number | null {
  let customer = 0;
  let late = 0;
  let last = -Infinity;
  for (const o of trip.sequence) {
    if (o.deliveredAt === null) return null;
    customer += o.deliveredAt - o.readyAt;
    late += Math.max(0, o.deliveredAt - o.promisedAt);
    last = Math.max(last, o.deliveredAt);
  }
  if (trip.sequence.length === 0) return 0;
  const rider = last + service.dropAfterSeconds * S - trip.atStoreAt;
  return (weights.riderSecond * rider + weights.customerSecond * customer + weights.lateSecond * late) / S;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  const out: T[][] = [];
  items.forEach((item, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([item, ...rest]);
  });
  return out;
}

const popcount = (m: number): number => {
  let c = 0;
  for (let x = m; x; x &= x - 1) c++;
  return c;
};

/**
 * The cheapest way to deliver all of `orders` with `riders` (each rider at most one trip of at most `capacity` orders;
 * riders left unused cost nothing): every partition into groups, every assignment of groups to riders, every drop
 * order of a group. A subset dynamic programme over riders keeps it at 3ⁿ steps per rider.
 */
export function bestPlan(
  store: GeoPoint,
  orders: readonly HindsightOrder[],
  riders: readonly RiderAt[],
  capacity: number,
  travel: TravelTime,
  service: ServiceTimes,
  weights: RegretWeights = REGRET_WEIGHTS,
): Plan {
  const n = orders.length;
  if (n === 0) return { cost: 0, trips: [] };
  const full = (1 << n) - 1;
  const groupLimit = Math.min(capacity, MAX_EXHAUSTIVE_DROPS);
  // Best drop order and cost of every admissible group, per rider.
  const group = riders.map(() => new Map<number, { cost: number; seq: HindsightOrder[] }>());
  for (let mask = 1; mask <= full; mask++) {
    if (popcount(mask) > groupLimit) continue;
    const members = orders.filter((_, i) => mask & (1 << i));
    const perms = permutations(members);
    riders.forEach((r, ri) => {
      let best = { cost: Infinity, seq: members };
      for (const seq of perms) {
        const c = tripCost(store, r.atStoreAt, seq, travel, service, weights);
        if (c < best.cost) best = { cost: c, seq };
      }
      group[ri]!.set(mask, best);
    });
  }
  // f[mask]: cheapest way to deliver `mask` with the riders seen so far; choice[ri][mask]: the group rider ri took.
  let f = new Float64Array(full + 1).fill(Infinity);
  f[0] = 0;
  const choice: Int32Array[] = [];
  riders.forEach((_, ri) => {
    const g = Float64Array.from(f);
    const took = new Int32Array(full + 1);
    for (let mask = 0; mask <= full; mask++) {
      if (f[mask] === Infinity) continue;
      const rest = full & ~mask;
      for (let sub = rest; sub; sub = (sub - 1) & rest) {
        const c = group[ri]!.get(sub);
        if (!c) continue;
        const total = f[mask]! + c.cost;
        if (total < g[mask | sub]!) {
          g[mask | sub] = total;
          took[mask | sub] = sub;
        }
      }
    }
    choice.push(took);
    f = g;
  });
  if (f[full] === Infinity) return { cost: Infinity, trips: [] };
  // Walk back: rider ri took choice[ri][mask] (0 = nothing) on the way to `mask`.
  const trips: PlannedTrip[] = [];
  let mask = full;
  for (let ri = riders.length - 1; ri >= 0 && mask; ri--) {
    const sub = choice[ri]![mask]!;
    if (!sub) continue;
    trips.unshift({ riderId: riders[ri]!.riderId, orderIds: group[ri]!.get(sub)!.seq.map((o) => o.id) });
    mask &= ~sub;
  }
  return { cost: f[full]!, trips };
}

/**
 * The regret of `hindsight.batch`: its realised cost minus the best alternative's, with the alternatives of the module
 * comment. Pure: the caller gathers the facts (internal/pipeline/regret-hindsight.ts) and a TravelTime covering the
 * store, every drop, and the free riders' positions to the store.
 */
export function batchRegret(
  hindsight: HindsightCase,
  travel: TravelTime,
  service: ServiceTimes,
  weights: RegretWeights = REGRET_WEIGHTS,
): BatchRegret {
  const { store, batch, capacity } = hindsight;
  const realisedS = tripCost(store, batch.atStoreAt, batch.sequence, travel, service, weights);
  const free: RiderAt[] = hindsight.freeRiders
    .filter((r) => r.riderId !== batch.riderId && !hindsight.neighbours.some((nb) => nb.riderId === r.riderId))
    .map((r) => ({
      riderId: r.riderId,
      atStoreAt: Math.max(batch.decidedAt, r.freeAt) + travel.durationSeconds(r.location, store) * S,
    }))
    .filter((r) => Number.isFinite(r.atStoreAt))
    .sort((a, b) => a.atStoreAt - b.atStoreAt)
    .slice(0, MAX_FREE_RIDERS);
  const own: RiderAt = { riderId: batch.riderId, atStoreAt: batch.atStoreAt };

  let best: Plan = { cost: realisedS, trips: [{ riderId: batch.riderId, orderIds: batch.sequence.map((o) => o.id) }] };
  let alternative: RegretAlternative = 'as_executed';
  let mergedWith: string | null = null;
  if (batch.sequence.length <= MAX_HINDSIGHT_ORDERS) {
    const alone = bestPlan(store, batch.sequence, [own, ...free], capacity, travel, service, weights);
    if (alone.cost < best.cost) {
      best = alone;
      alternative = kindOf(alone.trips, batch);
    }
  }
  for (const nb of hindsight.neighbours) {
    const orders = [...batch.sequence, ...nb.sequence];
    if (orders.length > MAX_HINDSIGHT_ORDERS) continue;
    const nbRider: RiderAt = { riderId: nb.riderId, atStoreAt: nb.atStoreAt };
    const joint = bestPlan(store, orders, [own, nbRider, ...free], capacity, travel, service, weights);
    // The earlier batch keeps the best it could have done with the same riders; what is left is this decision's share
    // (≥ 0: dropping orders from a plan never makes it dearer, up to the router's triangle inequality).
    const nbAlone = bestPlan(store, nb.sequence, [own, nbRider, ...free], capacity, travel, service, weights);
    const share = Math.max(0, joint.cost - nbAlone.cost);
    if (share < best.cost) {
      best = { cost: share, trips: joint.trips };
      alternative = 'merge';
      mergedWith = nb.batchId;
    }
  }
  // Below a hundredth of a second the "better" plan is rounding, not a better decision.
  const regretS = realisedS - best.cost > 0.01 ? realisedS - best.cost : 0;
  if (regretS === 0) {
    alternative = 'as_executed';
    mergedWith = null;
  }
  return {
    realisedS,
    hindsightBestS: realisedS - regretS,
    regretS,
    relative: realisedS > 0 ? regretS / realisedS : 0,
    alternative,
    bestTrips: regretS === 0 ? [{ riderId: batch.riderId, orderIds: batch.sequence.map((o) => o.id) }] : best.trips,
    mergedWith,
    actualS: actualTripCost(batch, service, weights),
  };
}

function kindOf(trips: readonly PlannedTrip[], batch: ExecutedTrip): RegretAlternative {
  if (trips.length > 1) return 'split';
  if (trips[0]?.riderId !== batch.riderId) return 'other_rider';
  return 'resequence';
}

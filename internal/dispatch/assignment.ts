/**
 * Assignment: match sealed batches to riders for one dispatch round. Each batch gets candidate riders (nearest first,
 * including riders that will be free soon), pairs are weighted by the priority score, and a batches×riders matching
 * (Hungarian, or greedy) picks at most one batch per rider. A match is *committed* only when the rider is free now and
 * must leave now to be at the store on time; otherwise it is a reservation for this round and is recomputed next round.
 * Batches with no rider simply wait.
 */
import type { DispatchParams } from './params.ts';
import { minCostAssignment } from './hungarian.ts';
import { batchShape, rankRiders, type RiderFit } from './rider-scoring.ts';
import { timeDrops } from './route-timing.ts';
import type { TravelTime } from './travel-time.ts';
import type { Batch, Plan, Rider, Store, StopPlan } from './types.ts';

const S = 1000;

export interface AssignableBatch {
  readonly batch: Batch;
  readonly store: Store;
  readonly plan: StopPlan;
}

export interface Match {
  readonly batchId: string;
  readonly riderId: string;
  readonly fit: RiderFit;
}

export interface AssignmentRound {
  /** Plans to execute now; their riders and batches are taken. */
  readonly committed: Plan[];
  /** Matches kept for later (rider busy or too early); not binding. */
  readonly reserved: Match[];
  /** Batches without any feasible rider this round. */
  readonly waiting: string[];
}

/** Builds the rider's timed route for a committed match. */
export function buildPlan(
  item: AssignableBatch,
  fit: RiderFit,
  now: number,
  travel: TravelTime,
  params: DispatchParams,
): Plan {
  const leaveStoreAt = fit.pickupAt + params.service.pickupAfterSeconds * S;
  const drops = timeDrops(item.store.location, leaveStoreAt, item.batch.orders, travel, params.service);
  const last = drops[drops.length - 1];
  return {
    batchId: item.batch.id,
    riderId: fit.rider.id,
    storeId: item.store.id,
    assignedAt: now,
    departAt: fit.departAt,
    arriveStoreAt: fit.arriveStoreAt,
    pickupAt: fit.pickupAt,
    leaveStoreAt,
    drops,
    freeAt: last ? last.leaveAt : leaveStoreAt,
    freeLocation: last ? last.location : item.store.location,
    score: fit.score,
    regret: item.plan.regret,
  };
}

const NOT_A_CANDIDATE = 1e12;
const NO_RIDER = 1e9;

/** Chooses which batch each rider serves this round. */
export function matchBatches(
  items: readonly AssignableBatch[],
  riders: readonly Rider[],
  now: number,
  travel: TravelTime,
  params: DispatchParams,
): Match[] {
  const due = params.commitSlackSeconds + params.dueLookaheadSeconds;
  // Batches whose candidates would all arrive far too early are not due: they get no candidates this round.
  const candidates = items.map((item) => {
    const fits = rankRiders(
      riders,
      batchShape(item.store, item.batch.readyAt, item.batch.orders, travel, params),
      now,
      travel,
      params,
    );
    return fits.some((f) => f.slackSeconds <= due) ? fits : [];
  });
  const urgency = items.map((item) => (params.urgencyPerMinute * Math.max(0, now - item.batch.readyAt)) / 60_000);
  const weight = (i: number, fit: RiderFit) => fit.score + urgency[i]!;
  if (params.matching === 'greedy') {
    const pairs = candidates.flatMap((fits, i) => fits.map((fit) => ({ i, fit, w: weight(i, fit) })));
    pairs.sort((a, b) => b.w - a.w);
    const usedRiders = new Set<string>();
    const usedBatches = new Set<number>();
    const matches: Match[] = [];
    for (const { i, fit } of pairs) {
      if (usedRiders.has(fit.rider.id) || usedBatches.has(i)) continue;
      usedRiders.add(fit.rider.id);
      usedBatches.add(i);
      matches.push({ batchId: items[i]!.batch.id, riderId: fit.rider.id, fit });
    }
    return matches;
  }
  // Only batches with candidates take part: a batch without any could only take its own "no rider" column, so leaving
  // it out changes nothing for the others — and keeps the matrix small when a backlog waits with no rider near.
  const rows = candidates.flatMap((fits, i) => (fits.length > 0 ? [i] : []));
  const columnOf = new Map<string, number>();
  for (const i of rows)
    for (const fit of candidates[i]!) if (!columnOf.has(fit.rider.id)) columnOf.set(fit.rider.id, columnOf.size);
  const riderColumns = columnOf.size;
  // One private "no rider" column per batch, so every batch can stay unmatched.
  const width = riderColumns + rows.length;
  const cost = rows.map((i, r) => {
    const row = new Array<number>(width).fill(NOT_A_CANDIDATE);
    row[riderColumns + r] = NO_RIDER;
    for (const fit of candidates[i]!) row[columnOf.get(fit.rider.id)!] = -weight(i, fit);
    return row;
  });
  const chosen = minCostAssignment(cost);
  const matches: Match[] = [];
  chosen.forEach((column, r) => {
    if (column < 0 || column >= riderColumns) return;
    const i = rows[r]!;
    const fit = candidates[i]!.find((f) => columnOf.get(f.rider.id) === column);
    if (fit) matches.push({ batchId: items[i]!.batch.id, riderId: fit.rider.id, fit });
  });
  return matches;
}

/** One assignment round: match, then commit the matches that are due. */
export function assignBatches(
  items: readonly AssignableBatch[],
  riders: readonly Rider[],
  now: number,
  travel: TravelTime,
  params: DispatchParams,
): AssignmentRound {
  const matches = matchBatches(items, riders, now, travel, params);
  const byBatch = new Map(items.map((item) => [item.batch.id, item]));
  const committed: Plan[] = [];
  const reserved: Match[] = [];
  const matched = new Set<string>();
  for (const match of matches) {
    matched.add(match.batchId);
    const due = match.fit.rider.availableAt <= now && match.fit.slackSeconds <= params.commitSlackSeconds;
    if (due) committed.push(buildPlan(byBatch.get(match.batchId)!, match.fit, now, travel, params));
    else reserved.push(match);
  }
  const waiting = items.filter((item) => !matched.has(item.batch.id)).map((item) => item.batch.id);
  return { committed, reserved, waiting };
}

/**
 * Rider priority score (seed design doc), units: slack and ETAs in minutes, distance in km:
 *   score = base; if slack > 0: score += min(slack·slackReward, cap) else score −= |slack|·latePenalty;
 *   score −= distance·distancePenalty; score −= totalETA·etaPenalty; score = max(score, floor)
 * slack = time until the batch is ready − the rider's ETA to the store (including parking, so slack ≥ 0 means the food
 * waits for nobody); totalETA = rider→store + store→last drop.
 */
import type { DispatchParams, ScoringWeights } from './params.ts';
import { pickupTime, routeSeconds } from './route-timing.ts';
import type { TravelTime } from './travel-time.ts';
import type { Order, Rider, Store } from './types.ts';

const S = 1000;

export interface ScoreInputs {
  readonly slackMinutes: number;
  readonly distanceKm: number;
  readonly totalEtaMinutes: number;
}

/** The priority score of one rider for one batch. */
export function scoreRider(inputs: ScoreInputs, w: ScoringWeights): number {
  let score = w.base;
  if (inputs.slackMinutes > 0) score += Math.min(inputs.slackMinutes * w.slackRewardPerMinute, w.slackRewardCap);
  else score -= Math.abs(inputs.slackMinutes) * w.latePenaltyPerMinute;
  score -= inputs.distanceKm * w.distancePenaltyPerKm;
  score -= inputs.totalEtaMinutes * w.etaPenaltyPerMinute;
  return w.floor === null ? score : Math.max(score, w.floor);
}

/** What sending `rider` to a batch at `now` would look like. */
export interface RiderFit {
  readonly rider: Rider;
  /** When the rider starts toward the store (ms): now, or when it becomes free. */
  readonly departAt: number;
  readonly arriveStoreAt: number;
  readonly pickupAt: number;
  readonly etaToStoreSeconds: number;
  readonly distanceMeters: number;
  readonly slackSeconds: number;
  readonly totalEtaSeconds: number;
  /** Pickup happens before the rider's shift ends. */
  readonly feasible: boolean;
  readonly score: number;
}

/** The part of a batch a rider evaluation needs, computed once per round. */
export interface BatchShape {
  readonly store: Store;
  readonly readyAt: number;
  /** Seconds from leaving the store to the last hand-over. */
  readonly deliverySeconds: number;
}

/** Describes a batch for rider evaluation. */
export function batchShape(
  store: Store,
  readyAt: number,
  sequence: readonly Order[],
  travel: TravelTime,
  params: DispatchParams,
): BatchShape {
  const deliverySeconds =
    routeSeconds(store.location, sequence, travel, params.service) - params.service.dropAfterSeconds;
  return { store, readyAt, deliverySeconds };
}

/** Evaluates `rider` for a batch at `now`; `driveSeconds` is the rider→store duration when already known. */
export function fitRider(
  rider: Rider,
  shape: BatchShape,
  now: number,
  travel: TravelTime,
  params: DispatchParams,
  driveSeconds = travel.durationSeconds(rider.location, shape.store.location),
): RiderFit {
  const departAt = Math.max(now, rider.availableAt);
  const arriveStoreAt = departAt + driveSeconds * S;
  const pickupAt = pickupTime(arriveStoreAt, shape.readyAt, params.service);
  const etaToStoreSeconds = (arriveStoreAt - now) / S;
  const slackSeconds = (shape.readyAt - now) / S - (etaToStoreSeconds + params.service.pickupBeforeSeconds);
  const totalEtaSeconds = (pickupAt - now) / S + params.service.pickupAfterSeconds + shape.deliverySeconds;
  const distanceMeters = travel.distanceMeters(rider.location, shape.store.location);
  // Food already waiting: the minutes it has waited are sunk and the same for every rider. Scoring them as the rider's
  // lateness would make every batch look worse the longer it waits, and the matching would starve the oldest batches.
  const sunkSeconds = params.scoreSunkWait ? 0 : Math.max(0, now - shape.readyAt) / S;
  const score = scoreRider(
    {
      slackMinutes: (slackSeconds + sunkSeconds) / 60,
      distanceKm: distanceMeters / 1000,
      totalEtaMinutes: (totalEtaSeconds - sunkSeconds) / 60,
    },
    params.scoring,
  );
  return {
    rider,
    departAt,
    arriveStoreAt,
    pickupAt,
    etaToStoreSeconds,
    distanceMeters,
    slackSeconds,
    totalEtaSeconds,
    feasible: pickupAt <= rider.shiftEndsAt,
    score,
  };
}

/**
 * The `params.candidateRiders` feasible riders nearest the store — by ETA to the store, which also accounts for riders
 * still busy or not yet on shift (within the horizon) — ranked by score, best first.
 */
export function rankRiders(
  riders: readonly Rider[],
  shape: BatchShape,
  now: number,
  travel: TravelTime,
  params: DispatchParams,
): RiderFit[] {
  const near: Array<{ rider: Rider; drive: number; eta: number }> = [];
  const pickupBefore = params.service.pickupBeforeSeconds * S;
  const horizon = now + params.horizonSeconds * S;
  for (const rider of riders) {
    // Riders free only beyond the horizon are never worth waiting for; skip them before any travel lookup.
    if (rider.availableAt > horizon) continue;
    const drive = travel.durationSeconds(rider.location, shape.store.location);
    const arrive = Math.max(now, rider.availableAt) + drive * S;
    if (Math.max(shape.readyAt, arrive + pickupBefore) > rider.shiftEndsAt) continue;
    near.push({ rider, drive, eta: arrive });
  }
  near.sort((a, b) => a.eta - b.eta);
  return near
    .slice(0, params.candidateRiders)
    .map((n) => fitRider(n.rider, shape, now, travel, params, n.drive))
    .sort((a, b) => b.score - a.score);
}

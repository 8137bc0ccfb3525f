/**
 * Every knob of the dispatcher in one object. Defaults are the values chosen by `npm run tune` on MDRPLIB (see
 * docs/dispatch-quality.md); the product overrides them from config, the replay uses them as they are.
 */
import { invalidInput } from '../platform/errors.ts';

/** Weights of the rider priority score (see rider-scoring.ts). Slack and ETAs in minutes, distance in km. */
export interface ScoringWeights {
  readonly base: number;
  /** Points per minute of positive slack (rider early); negative = prefer the rider that is just in time. */
  readonly slackRewardPerMinute: number;
  /** Cap on the slack reward. */
  readonly slackRewardCap: number;
  /** Points lost per minute of negative slack (rider late for the food). */
  readonly latePenaltyPerMinute: number;
  readonly distancePenaltyPerKm: number;
  /** Points lost per minute of total ETA (rider→store + store→last drop). */
  readonly etaPenaltyPerMinute: number;
  /** Scores are clamped to at least this; `null` = no clamp (lets the matching tell bad options apart). */
  readonly floor: number | null;
}

/** The seed design doc's scoring, kept as the documented baseline. */
export const BASELINE_SCORING: ScoringWeights = {
  base: 100,
  slackRewardPerMinute: 10,
  slackRewardCap: 50,
  latePenaltyPerMinute: 20,
  distancePenaltyPerKm: 5,
  etaPenaltyPerMinute: 2,
  floor: 0,
};

/** Service time split around the hand-over: park/walk in before it, walk out after it. */
export interface ServiceTimes {
  readonly pickupBeforeSeconds: number;
  readonly pickupAfterSeconds: number;
  readonly dropBeforeSeconds: number;
  readonly dropAfterSeconds: number;
}

export interface DispatchParams {
  /** H3 resolution of the order index and of hot-path cells. */
  readonly h3Resolution: number;
  /** Rings of H3 cells around a hot path's centre line that still count as "on the path". */
  readonly corridorRings: number;
  /** Maximum orders per batch. */
  readonly batchCapacity: number;
  /** A batch stays open for new orders at most this long after it opened. */
  readonly waitWindowSeconds: number;
  /** An order joins a batch only if the route gets at most this much longer. */
  readonly maxDetourSeconds: number;
  /** Bundling may delay any order of the batch (vs. going alone) by at most this much. */
  readonly maxBundleDelaySeconds: number;
  /** Bundling may make an order later than promised by at most this much (beyond its lateness when alone). */
  readonly latenessToleranceSeconds: number;
  /**
   * Seal a batch at the latest this long before its ready time / latest departure. (A batch also seals as soon as the
   * matching commits a rider to it, which is usually earlier.)
   */
  readonly sealLeadSeconds: number;
  readonly service: ServiceTimes;
  /** Optimizer: seconds of objective per second of lateness (on top of the ETA itself). */
  readonly latePenaltyWeight: number;
  /** Riders (nearest to the store first) considered per batch. */
  readonly candidateRiders: number;
  /** A sealed batch takes part in the matching once its ready time is this close. */
  readonly horizonSeconds: number;
  /**
   * Commit a match only when the rider must leave within this much to be at the store for the ready time
   * (slack ≤ this). Later matches are kept as reservations and recomputed next round.
   */
  readonly commitSlackSeconds: number;
  /**
   * A batch enters the matching only when some candidate rider's slack is within commitSlack + this: batches whose
   * nearest riders would all be far too early are not due yet and must not hold riders that due batches need.
   */
  readonly dueLookaheadSeconds: number;
  /**
   * Matching bonus per minute a batch's food has been waiting (now − ready), so that when riders are scarce the oldest
   * batches are served first instead of starving behind fresher, better-scoring ones.
   */
  readonly urgencyPerMinute: number;
  /**
   * Scarcity bundling: orders ready within this window are compared with riders free within it; their ratio sets the
   * target bundle size (scarcity.ts).
   */
  readonly scarcityWindowSeconds: number;
  /** Pending batches of one store are merged only while orders per available rider exceed this. */
  readonly scarcityThreshold: number;
  /** Under scarcity, bundling may delay an order by at most this much versus going alone from now. 0 = off. */
  readonly scarceBundleDelaySeconds: number;
  /**
   * Whether the rider score counts the time food has already waited (now − ready) as rider lateness. false: the score
   * only sees what the rider choice changes, and `urgencyPerMinute` alone ranks old batches (see rider-scoring.ts).
   */
  readonly scoreSunkWait: boolean;
  /** 'hungarian' = optimal batches×riders matching on the score; 'greedy' = best score first. */
  readonly matching: 'hungarian' | 'greedy';
  readonly scoring: ScoringWeights;
  /**
   * The score used instead of `scoring` in rounds where riders are scarce (orders due per available rider above
   * `scarcityThreshold`, scarcity.ts): then every minute of a rider's drive is capacity lost to the backlog, so the
   * nearest rider should win; when riders are plentiful, `scoring` may prefer the rider that is just in time and keep
   * near riders free for the next orders.
   */
  readonly scarceScoring: ScoringWeights;
}

/** Defaults; chosen by the MDRPLIB tuning run (docs/dispatch-quality.md). */
export const DEFAULT_DISPATCH_PARAMS: DispatchParams = {
  h3Resolution: 8,
  corridorRings: 1,
  batchCapacity: 3,
  waitWindowSeconds: 600,
  maxDetourSeconds: 600,
  maxBundleDelaySeconds: 300,
  latenessToleranceSeconds: 0,
  sealLeadSeconds: 0,
  service: { pickupBeforeSeconds: 120, pickupAfterSeconds: 120, dropBeforeSeconds: 120, dropAfterSeconds: 120 },
  latePenaltyWeight: 4,
  candidateRiders: 40,
  horizonSeconds: 1800,
  commitSlackSeconds: 60,
  dueLookaheadSeconds: 120,
  urgencyPerMinute: 10,
  scarcityWindowSeconds: 1200,
  scarcityThreshold: 0.75,
  scarceBundleDelaySeconds: 1800,
  scoreSunkWait: true,
  matching: 'hungarian',
  // Plentiful riders: no reward for arriving early (−1 point per minute of slack: the rider that is just in time wins)
  // and a small distance term (1/km instead of 5), so an on-time rider farther away beats a near one and the near one
  // stays free for the next order.
  scoring: {
    ...BASELINE_SCORING,
    slackRewardPerMinute: -1,
    etaPenaltyPerMinute: 5,
    slackRewardCap: 20,
    distancePenaltyPerKm: 1,
    floor: null,
  },
  // Scarce rounds: the previous tuned scoring (reward early arrival up to 20 points, 5 points per km).
  scarceScoring: { ...BASELINE_SCORING, etaPenaltyPerMinute: 5, slackRewardCap: 20, floor: null },
};

export type DispatchParamsInput = Partial<Omit<DispatchParams, 'service' | 'scoring' | 'scarceScoring'>> & {
  service?: Partial<ServiceTimes>;
  scoring?: Partial<ScoringWeights>;
  scarceScoring?: Partial<ScoringWeights>;
};

/** Defaults overlaid with `input`; rejects values that would make the dispatcher misbehave. */
export function resolveDispatchParams(input: DispatchParamsInput = {}): DispatchParams {
  const params: DispatchParams = {
    ...DEFAULT_DISPATCH_PARAMS,
    ...input,
    service: { ...DEFAULT_DISPATCH_PARAMS.service, ...input.service },
    scoring: { ...DEFAULT_DISPATCH_PARAMS.scoring, ...input.scoring },
    scarceScoring: { ...DEFAULT_DISPATCH_PARAMS.scarceScoring, ...input.scarceScoring },
  };
  const nonNegative: Array<[string, number]> = [
    ['corridorRings', params.corridorRings],
    ['waitWindowSeconds', params.waitWindowSeconds],
    ['maxDetourSeconds', params.maxDetourSeconds],
    ['maxBundleDelaySeconds', params.maxBundleDelaySeconds],
    ['latenessToleranceSeconds', params.latenessToleranceSeconds],
    ['sealLeadSeconds', params.sealLeadSeconds],
    ['horizonSeconds', params.horizonSeconds],
    ['latePenaltyWeight', params.latePenaltyWeight],
    ['urgencyPerMinute', params.urgencyPerMinute],
    ['dueLookaheadSeconds', params.dueLookaheadSeconds],
    ['scarcityWindowSeconds', params.scarcityWindowSeconds],
    ['scarcityThreshold', params.scarcityThreshold],
    ['scarceBundleDelaySeconds', params.scarceBundleDelaySeconds],
    ['service.pickupBeforeSeconds', params.service.pickupBeforeSeconds],
    ['service.pickupAfterSeconds', params.service.pickupAfterSeconds],
    ['service.dropBeforeSeconds', params.service.dropBeforeSeconds],
    ['service.dropAfterSeconds', params.service.dropAfterSeconds],
  ];
  for (const [field, value] of nonNegative) {
    if (!Number.isFinite(value) || value < 0) {
      throw invalidInput('dispatch.params_invalid', `${field} must be a finite number ≥ 0`, { field, value });
    }
  }
  if (!Number.isInteger(params.batchCapacity) || params.batchCapacity < 1) {
    throw invalidInput('dispatch.params_invalid', 'batchCapacity must be an integer ≥ 1', { field: 'batchCapacity' });
  }
  if (!Number.isInteger(params.candidateRiders) || params.candidateRiders < 1) {
    throw invalidInput('dispatch.params_invalid', 'candidateRiders must be an integer ≥ 1', {
      field: 'candidateRiders',
    });
  }
  if (!Number.isInteger(params.h3Resolution) || params.h3Resolution < 0 || params.h3Resolution > 15) {
    throw invalidInput('dispatch.params_invalid', 'h3Resolution must be an integer in 0..15', {
      field: 'h3Resolution',
    });
  }
  if (!Number.isFinite(params.commitSlackSeconds)) {
    throw invalidInput('dispatch.params_invalid', 'commitSlackSeconds must be finite', { field: 'commitSlackSeconds' });
  }
  return params;
}

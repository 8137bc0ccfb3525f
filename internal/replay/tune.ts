/**
 * Parameter search for the dispatcher on a subset of MDRPLIB instances: coordinate descent over a small grid of batching
 * and assignment knobs (capacity, wait window, corridor width, candidate riders, commit slack, urgency, scoring weights
 * for plentiful and for scarce rounds),
 * scoring each candidate by one objective built from the targets. ONE parameter set for all instances.
 */
import type { DispatchParamsInput } from '../dispatch/params.ts';
import type { Metrics } from './metrics.ts';
import { TARGETS } from './report.ts';
import type { SuiteSummary } from './suite.ts';

export interface Dimension {
  readonly name: string;
  readonly values: readonly unknown[];
  /** Returns `params` with this dimension set to `value`. */
  readonly apply: (params: DispatchParamsInput, value: unknown) => DispatchParamsInput;
}

const top = (key: keyof DispatchParamsInput, values: readonly unknown[]): Dimension => ({
  name: key,
  values,
  apply: (p, v) => ({ ...p, [key]: v }),
});
const scoring = (key: string, values: readonly unknown[]): Dimension => ({
  name: `scoring.${key}`,
  values,
  apply: (p, v) => ({ ...p, scoring: { ...p.scoring, [key]: v } }),
});
const scarceScoring = (key: string, values: readonly unknown[]): Dimension => ({
  name: `scarceScoring.${key}`,
  values,
  apply: (p, v) => ({ ...p, scarceScoring: { ...p.scarceScoring, [key]: v } }),
});

/** The searched space. */
export const SEARCH_SPACE: readonly Dimension[] = [
  top('batchCapacity', [1, 2, 3]),
  top('waitWindowSeconds', [300, 600, 1800]),
  top('corridorRings', [0, 1, 2]),
  top('maxBundleDelaySeconds', [180, 300, 600]),
  top('candidateRiders', [12, 25, 40]),
  top('commitSlackSeconds', [0, 60, 180]),
  top('urgencyPerMinute', [0, 5, 10, 20, 30]),
  top('scoreSunkWait', [true, false]),
  top('scarceBundleDelaySeconds', [0, 600, 1200, 1800]),
  top('scarcityWindowSeconds', [600, 1200, 1800]),
  top('scarcityThreshold', [0.75, 1, 1.5]),
  scoring('latePenaltyPerMinute', [20, 40]),
  scoring('etaPenaltyPerMinute', [2, 5]),
  scoring('slackRewardCap', [20, 50]),
  scoring('distancePenaltyPerKm', [0, 5, 15]),
  scoring('slackRewardPerMinute', [-1, 10]),
  scarceScoring('slackRewardPerMinute', [-1, 10]),
  scarceScoring('distancePenaltyPerKm', [0, 5, 15]),
];

/**
 * Lower is better: click-to-door mean, plus heavy penalties for undelivered orders and for missing the p90 and cost
 * targets, so the search never buys a faster mean by dropping orders.
 */
export function objective(m: Metrics): number {
  return (
    m.clickToDoorMean +
    20 * m.undeliveredPct +
    Math.max(0, m.clickToDoorP90 - TARGETS.clickToDoorP90) +
    10 * Math.max(0, m.costPerOrder - TARGETS.costPerOrder)
  );
}

export interface Trial {
  readonly dimension: string;
  readonly value: unknown;
  readonly params: DispatchParamsInput;
  readonly summary: SuiteSummary;
  readonly objective: number;
}

/** One pass of coordinate descent from `start`; `evaluate` runs the subset. */
export async function coordinateDescent(
  start: DispatchParamsInput,
  space: readonly Dimension[],
  evaluate: (params: DispatchParamsInput) => Promise<SuiteSummary>,
  onTrial: (trial: Trial) => void = () => {},
): Promise<{ best: DispatchParamsInput; bestObjective: number; trials: Trial[] }> {
  const trials: Trial[] = [];
  let best = start;
  const first = await evaluate(best);
  let bestObjective = objective(first.mean);
  const startTrial = { dimension: '(start)', value: '', params: best, summary: first, objective: bestObjective };
  trials.push(startTrial);
  onTrial(startTrial);
  for (const dim of space) {
    let chosen = best;
    for (const value of dim.values) {
      const params = dim.apply(best, value);
      if (JSON.stringify(params) === JSON.stringify(best)) continue;
      const summary = await evaluate(params);
      const trial = { dimension: dim.name, value, params, summary, objective: objective(summary.mean) };
      trials.push(trial);
      onTrial(trial);
      if (trial.objective < bestObjective - 1e-9) {
        bestObjective = trial.objective;
        chosen = params;
      }
    }
    best = chosen;
  }
  return { best, bestObjective, trials };
}

/** Markdown table of the trials. */
export function trialsTable(trials: readonly Trial[]): string {
  const head =
    '| step | value | objective | c2d | c2d p90 | r2p | undeliv % | $/order | ord/bundle | mean regret |\n|---|---|---|---|---|---|---|---|---|---|';
  const rows = trials.map((t) => {
    const m = t.summary.mean;
    return `| ${t.dimension} | ${String(t.value)} | ${t.objective.toFixed(3)} | ${m.clickToDoorMean.toFixed(2)} | ${m.clickToDoorP90.toFixed(1)} | ${m.readyToPickupMean.toFixed(2)} | ${m.undeliveredPct.toFixed(2)} | ${m.costPerOrder.toFixed(2)} | ${m.ordersPerBundle.toFixed(3)} | ${t.summary.meanRegret.toFixed(3)} |`;
  });
  return [head, ...rows].join('\n');
}

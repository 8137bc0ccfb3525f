/**
 * Runs a set of instances through the replay, the feasibility check and the metrics. Shared by the replay CLI, the tuner
 * and the benchmark.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DispatchParamsInput } from '../dispatch/params.ts';
import { analyseDeliverability } from './deliverability.ts';
import { checkFeasibility, type Violation } from './feasibility.ts';
import { loadInstance, type MdrpInstance } from './instance.ts';
import { computeMetrics, mean, meanMetrics, type Metrics } from './metrics.ts';
import type { InstanceRow } from './report.ts';
import { replayInstance, type ReplayResult } from './replay-runner.ts';

export interface InstanceOutcome extends InstanceRow {
  readonly result: ReplayResult;
  readonly violationList: readonly Violation[];
  readonly regrets: readonly number[];
}

/** Replays, checks and measures one loaded instance. */
export function evaluateInstance(instance: MdrpInstance, params: DispatchParamsInput = {}): InstanceOutcome {
  const result = replayInstance(instance, params);
  const violationList = checkFeasibility(instance, result.solution);
  const deliverability = analyseDeliverability(instance, result.solution);
  return {
    instance: instance.name,
    metrics: computeMetrics(instance, result.solution),
    violations: violationList.length,
    elapsedMs: result.elapsedMs,
    meanRegret: result.regrets.length === 0 ? 0 : mean(result.regrets),
    structurallyUndeliverable: deliverability.structurallyUndeliverable.length,
    lostToScheduling: deliverability.lostToScheduling.length,
    result,
    violationList,
    regrets: result.regrets,
  };
}

/** Instance folders (those with an orders.txt) directly under `root`, sorted by name. */
export async function listInstanceDirs(root: string): Promise<string[]> {
  const names = (await readdir(root)).sort();
  const dirs: string[] = [];
  for (const name of names) {
    const dir = join(root, name);
    const isInstance = await stat(join(dir, 'orders.txt')).then(
      (s) => s.isFile(),
      () => false,
    );
    if (isInstance) dirs.push(dir);
  }
  return dirs;
}

export interface SuiteSummary {
  readonly mean: Metrics;
  readonly violations: number;
  readonly elapsedMs: number;
  readonly meanRegret: number;
}

export function summarize(outcomes: readonly InstanceRow[]): SuiteSummary {
  return {
    mean: meanMetrics(outcomes.map((o) => o.metrics)),
    violations: outcomes.reduce((a, o) => a + o.violations, 0),
    elapsedMs: outcomes.reduce((a, o) => a + o.elapsedMs, 0),
    meanRegret: mean(outcomes.map((o) => o.meanRegret)),
  };
}

/** Loads and evaluates instance folders one after another, reporting progress. */
export async function runSuite(
  dirs: readonly string[],
  params: DispatchParamsInput,
  onDone: (outcome: InstanceOutcome, index: number, instance: MdrpInstance) => void | Promise<void> = () => {},
): Promise<InstanceOutcome[]> {
  const outcomes: InstanceOutcome[] = [];
  for (const [i, dir] of dirs.entries()) {
    const instance = await loadInstance(dir);
    const outcome = evaluateInstance(instance, params);
    outcomes.push(outcome);
    await onDone(outcome, i, instance);
  }
  return outcomes;
}

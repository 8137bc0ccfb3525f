/**
 * Grubhub's own MDRPLIB evaluator (../shared/mdrplib/official/compute_performance_summary.py, unmodified, run by Debian's
 * python3 with python3-pandas, which `scripts/infra.sh up` installs) reads the replay's solution files: it must find them
 * FEASIBLE and print the same figures as our metrics. One instance per size variant and seed, so format or grouping
 * mistakes that only show with bundles, t75 speeds or r50 sampling are caught.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInstance } from '../../internal/replay/instance.ts';
import { computeMetrics } from '../../internal/replay/metrics.ts';
import { compareFigures, runOfficialEvaluator } from '../../internal/replay/official-evaluator.ts';
import { replayInstance } from '../../internal/replay/replay-runner.ts';
import { writeSolutionFiles } from '../../internal/replay/solution.ts';

const MDRPLIB = '../shared/mdrplib';
const INSTANCES = ['0o50t75s1p100', '1r50t100s2p125', '4o100t100s1p100'];

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'official-evaluator-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the official MDRPLIB evaluator on the replay’s solution files', () => {
  it.each(INSTANCES)('%s: FEASIBLE, and its figures equal ours', async (name) => {
    const instanceDir = join(MDRPLIB, name);
    const instance = await loadInstance(instanceDir);
    const { solution } = replayInstance(instance);
    const dir = join(work, name);
    await writeSolutionFiles(dir, solution);

    const verdict = await runOfficialEvaluator(instanceDir, dir);
    const checks = verdict.feasibilityCheck.split('\n').filter((l) => l.trim() !== '');
    expect(checks.slice(0, -1).filter((l) => !/:\s*OK$/.test(l))).toEqual([]); // the nine checks, each "…: OK"
    expect(checks).toHaveLength(10);
    expect(verdict.feasible).toBe(true);
    const ours = computeMetrics(instance, solution);
    expect(verdict.figures?.delivered).toBe(solution.orders.length);
    expect(compareFigures(ours, verdict.figures!)).toEqual([]);
  });

  it('refuses moves written in time order across couriers (each courier must be one block)', async () => {
    const name = INSTANCES[0]!;
    const instanceDir = join(MDRPLIB, name);
    const { solution } = replayInstance(await loadInstance(instanceDir));
    const dir = join(work, `${name}-interleaved`);
    await writeSolutionFiles(dir, solution);
    // Rewrite the couriers file as the replay used to: every move sorted by departure, couriers interleaved.
    const file = join(dir, 'solution_info_couriers.txt');
    const [header, ...rows] = (await readFile(file, 'utf8')).trimEnd().split('\n');
    rows.sort((a, b) => Number(a.split(' ')[1]) - Number(b.split(' ')[1]));
    await writeFile(file, `${[header, ...rows].join('\n')}\n`);

    const verdict = await runOfficialEvaluator(instanceDir, dir);
    expect(verdict.feasible).toBe(false);
    expect(verdict.figures).toBeUndefined();
  });
});

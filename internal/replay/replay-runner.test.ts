import { describe, expect, it } from 'vitest';
import { checkFeasibility } from './feasibility.ts';
import { loadInstance } from './instance.ts';
import { computeMetrics } from './metrics.ts';
import { replayInstance } from './replay-runner.ts';

describe('replayInstance on a real MDRPLIB day (../shared/mdrplib)', () => {
  it('produces a feasible solution in the checker format, with decisions never before placement', async () => {
    const inst = await loadInstance('../shared/mdrplib/0o50t75s2p100');
    const { solution } = replayInstance(inst);
    expect(checkFeasibility(inst, solution)).toEqual([]);
    const placed = new Map(inst.orders.map((o) => [o.id, o.placementTime]));
    for (const a of solution.assignments)
      for (const id of a.orders) expect(a.assignmentTime).toBeGreaterThanOrEqual(placed.get(id)!);
    const m = computeMetrics(inst, solution);
    expect(m.delivered).toBeGreaterThan(0);
    expect(m.delivered).toBe(solution.orders.length);
  });

  it('is deterministic', async () => {
    const inst = await loadInstance('../shared/mdrplib/0o50t75s2p100');
    expect(replayInstance(inst).solution).toEqual(replayInstance(inst).solution);
  });
});

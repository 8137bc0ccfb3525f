/**
 * Proof of one brain: a slice of a real MDRPLIB instance replayed twice — by the pure replay (DispatchEngine in memory)
 * and through the production worker path (worker-path.ts: composeWorker's consumers and per-scope rounds over PGlite, the
 * in-process bus and the in-memory geo store, the instance's travel model as Router, a virtual clock) — must give the
 * same batches, the same rider per batch and the same click-to-door (within 1 %).
 */
import { describe, expect, it } from 'vitest';
import { loadInstance } from './instance.ts';
import { replayInstance } from './replay-runner.ts';
import { replayThroughWorker, sliceInstance } from './worker-path.ts';

describe('parity: pure replay vs the worker path', () => {
  it('0o50t75s1p100, first 90 minutes: same batches, same riders, click-to-door within 1 %', async () => {
    const slice = sliceInstance(await loadInstance('../shared/mdrplib/0o50t75s1p100'), 90);
    expect(slice.orders.length).toBeGreaterThanOrEqual(10);

    const pure = replayInstance(slice);
    const worker = await replayThroughWorker(slice);

    const key = (courier: string, orders: readonly string[]) => `${courier}: ${[...orders].sort().join(',')}`;
    const pureBatches = pure.solution.assignments.map((a) => key(a.courier, a.orders)).sort();
    const workerBatches = worker.assignments.map((a) => key(a.courier, a.orders)).sort();
    expect(workerBatches).toEqual(pureBatches);

    const placement = new Map(slice.orders.map((o) => [o.id, o.placementTime]));
    const pureC2d =
      pure.solution.orders.reduce((s, o) => s + o.dropoffTime - placement.get(o.order)!, 0) /
      pure.solution.orders.length;
    expect(worker.delivered).toBe(pure.solution.orders.length);
    expect(Math.abs(worker.clickToDoorMinutes - pureC2d) / pureC2d).toBeLessThanOrEqual(0.01);
  }, 300_000);
});

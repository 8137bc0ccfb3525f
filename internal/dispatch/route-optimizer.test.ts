import { describe, expect, it } from 'vitest';
import { resolveDispatchParams } from './params.ts';
import { optimizeStops, orderDrops, sequenceObjective } from './route-optimizer.ts';
import { at, gridTravel, order } from './test-fixtures.ts';
import type { Batch, Order } from './types.ts';

const params = resolveDispatchParams();
const store = { id: 's1', location: at(0, 0) };

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

describe('orderDrops (insertion + 2-opt)', () => {
  it('delivers along the line outward', () => {
    const seq = orderDrops(
      store,
      [order('far', at(3000, 0)), order('near', at(1000, 0)), order('mid', at(2000, 0))],
      gridTravel,
      params,
    );
    expect(seq.map((o) => o.id)).toEqual(['near', 'mid', 'far']);
  });

  it('is as good as exhaustive search on small batches', () => {
    const drops: Order[] = [
      order('a', at(1200, 900)),
      order('b', at(-800, 1500)),
      order('c', at(2500, -300), { promisedAt: 25 * 60_000 }),
      order('d', at(300, 2200)),
    ];
    const readyAt = 15 * 60_000;
    const got = sequenceObjective(store, readyAt, orderDrops(store, drops, gridTravel, params), gridTravel, params);
    const best = Math.min(...permutations(drops).map((p) => sequenceObjective(store, readyAt, p, gridTravel, params)));
    expect(got).toBeCloseTo(best, 6);
  });
});

describe('optimizeStops', () => {
  it('returns ETAs, the refined cost and the regret against the batching estimate', () => {
    const orders = [order('far', at(3000, 0)), order('near', at(1000, 0))];
    const batch: Batch = {
      id: 'b',
      storeId: 's1',
      pathId: 'p',
      orders,
      openedAt: 0,
      status: 'sealed',
      estimatedCostSeconds: 1000,
      latestDepartureAt: 0,
      readyAt: 15 * 60_000,
    };
    const plan = optimizeStops(batch, store, gridTravel, params);
    expect(plan.sequence).toEqual(['near', 'far']);
    // 200 s + 240 s service + 400 s + 240 s service.
    expect(plan.refinedCostSeconds).toBe(1080);
    expect(plan.regret).toBeCloseTo(0.08);
    expect(plan.etas.near).toBe(15 * 60_000 + (120 + 200 + 120) * 1000);
    expect(batch.orders.map((o) => o.id)).toEqual(['near', 'far']);
  });
});

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.ts';
import { evaluateSequence } from './batching.ts';
import { DispatchEngine } from './dispatch-engine.ts';
import { resolveDispatchParams } from './params.ts';
import { planMerges, scarceBundleCheck, targetBundleSize } from './scarcity.ts';
import { at, gridTravel, MIN, order } from './test-fixtures.ts';
import type { Batch, Order, Rider } from './types.ts';

const params = resolveDispatchParams({
  batchCapacity: 3,
  scarcityWindowSeconds: 600,
  scarcityThreshold: 1,
  scarceBundleDelaySeconds: 900,
});
const store = { id: 's1', location: at(0, 0) };

function batchOf(id: string, orders: Order[], extra: Partial<Batch> = {}): Batch {
  const ev = evaluateSequence(store, orders, gridTravel, params);
  return {
    id,
    storeId: 's1',
    pathId: `p-${id}`,
    orders,
    openedAt: 0,
    status: 'sealed',
    estimatedCostSeconds: ev.routeSeconds,
    latestDepartureAt: ev.latestDepartureAt,
    readyAt: ev.readyAt,
    ...extra,
  };
}

const rider = (id: string, availableAt = 0): Rider => ({
  id,
  location: at(0, 3000),
  availableAt,
  shiftEndsAt: 240 * MIN,
});

describe('targetBundleSize', () => {
  const batches = [
    batchOf('b1', [order('a', at(1500, 0), { readyAt: 5 * MIN })]),
    batchOf('b2', [order('b', at(1500, 300), { readyAt: 6 * MIN })]),
    batchOf('b3', [order('c', at(0, 1500), { readyAt: 7 * MIN })]),
    batchOf('far', [order('d', at(0, 1500), { readyAt: 60 * MIN })]),
  ];

  it('stays at 1 while riders keep up with the orders due in the window', () => {
    expect(targetBundleSize(batches, [rider('r1'), rider('r2'), rider('r3')], 0, params)).toEqual({
      ratio: 1,
      size: 1,
    });
  });

  it('grows with orders due per available rider, up to the capacity; later batches and riders do not count', () => {
    expect(targetBundleSize(batches, [rider('r1'), rider('r2')], 0, params)).toEqual({ ratio: 1.5, size: 2 });
    expect(targetBundleSize(batches, [rider('r1'), rider('late', 30 * MIN)], 0, params)).toEqual({ ratio: 3, size: 3 });
    expect(targetBundleSize(batches, [], 0, params).size).toBe(3);
  });
});

describe('scarceBundleCheck', () => {
  it('measures the delay against going alone from now, not from a ready time long past', () => {
    const a = order('a', at(1500, 0), { readyAt: 0 });
    const b = order('b', at(1800, 0), { readyAt: 0 });
    // now = 30 min: both waited 30 min; b is delayed by a's drop (120 + 120 s) plus 60 s of driving only.
    expect(scarceBundleCheck(store, [a, b], 30 * MIN, gridTravel, params)).not.toBeNull();
    const strict = resolveDispatchParams({ ...params, scarceBundleDelaySeconds: 200 });
    expect(scarceBundleCheck(store, [a, b], 30 * MIN, gridTravel, strict)).toBeNull();
  });
});

describe('planMerges', () => {
  it('merges same-store batches heading the same way, and leaves a batch whose drop is far the other way alone', () => {
    const b1 = batchOf('b1', [order('a', at(1500, 0), { readyAt: 5 * MIN })]);
    const b2 = batchOf('b2', [order('b', at(1800, 200), { readyAt: 6 * MIN })]);
    const b3 = batchOf('b3', [order('c', at(-6000, 0), { readyAt: 6 * MIN })]);
    const merges = planMerges(store, [b3, b2, b1], 2, 5 * MIN, gridTravel, params);
    expect(merges).toHaveLength(1);
    expect(merges[0]!.into.id).toBe('b1'); // oldest food absorbs
    expect(merges[0]!.absorbed.id).toBe('b2');
    expect(merges[0]!.sequence.map((o) => o.id)).toEqual(['a', 'b']);
    expect(merges[0]!.savedSeconds).toBeGreaterThan(0);
    // Not mutated: the engine applies the plan.
    expect(b1.orders).toHaveLength(1);
  });

  it('does nothing when the target size is 1', () => {
    const b1 = batchOf('b1', [order('a', at(1500, 0))]);
    const b2 = batchOf('b2', [order('b', at(1800, 200))]);
    expect(planMerges(store, [b1, b2], 1, 0, gridTravel, params)).toEqual([]);
  });
});

describe('DispatchEngine under scarcity', () => {
  function setup(input = {}) {
    const clock = new ManualClock(0);
    const e = new DispatchEngine({
      clock,
      travel: gridTravel,
      params: { batchCapacity: 3, maxDetourSeconds: 0, scarcityThreshold: 1, ...input },
    });
    e.upsertStore(store);
    // maxDetourSeconds 0: submitOrder never bundles these, so any bundle comes from the scarcity merge.
    e.submitOrder(order('a', at(1500, 0), { readyAt: 5 * MIN }));
    e.submitOrder(order('b', at(1800, 200), { readyAt: 5 * MIN }));
    clock.set(5 * MIN);
    return e;
  }

  it('gives one rider both orders of a store when it is the only rider', () => {
    const round = setup().round([{ id: 'r1', location: at(0, 100), availableAt: 0, shiftEndsAt: 240 * MIN }]);
    expect(round.committed).toHaveLength(1);
    expect(round.committed[0]!.drops.map((d) => d.orderId)).toEqual(['a', 'b']);
  });

  it('keeps orders apart when there are enough riders, or when scarcity bundling is off', () => {
    const two: Rider[] = [
      { id: 'r1', location: at(0, 100), availableAt: 0, shiftEndsAt: 240 * MIN },
      { id: 'r2', location: at(100, 0), availableAt: 0, shiftEndsAt: 240 * MIN },
    ];
    expect(
      setup()
        .round(two)
        .committed.map((p) => p.drops.length),
    ).toEqual([1, 1]);
    const off = setup({ scarceBundleDelaySeconds: 0 }).round([two[0]!]);
    expect(off.committed.map((p) => p.drops.length)).toEqual([1]);
  });
});

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.ts';
import { AppError } from '../platform/errors.ts';
import { DispatchEngine } from './dispatch-engine.ts';
import { at, gridTravel, MIN, order } from './test-fixtures.ts';
import type { Rider } from './types.ts';

function engine(params = {}) {
  const clock = new ManualClock(0);
  const e = new DispatchEngine({ clock, travel: gridTravel, params });
  e.upsertStore({ id: 's1', location: at(0, 0) });
  e.upsertStore({ id: 's2', location: at(5000, 5000) });
  return { clock, e };
}

const rider = (id: string, x: number, y: number, o: Partial<Rider> = {}): Rider => ({
  id,
  location: at(x, y),
  availableAt: 0,
  shiftEndsAt: 240 * MIN,
  ...o,
});

describe('DispatchEngine', () => {
  it('batches orders of one store heading the same way, never across stores', () => {
    const { e } = engine();
    const a = e.submitOrder(order('a', at(2000, 0)));
    const b = e.submitOrder(order('b', at(2300, 100)));
    const c = e.submitOrder(order('c', at(5500, 5000), { storeId: 's2' }));
    expect(a.joined).toBe(false);
    expect(b).toMatchObject({ joined: true, batchId: a.batchId, pathId: a.pathId });
    expect(b.detourSeconds).toBeGreaterThan(0);
    expect(c.batchId).not.toBe(a.batchId);
    expect(e.pendingBatches()).toHaveLength(2);
  });

  it('keeps drops in opposite directions on different hot paths', () => {
    const { e } = engine();
    const a = e.submitOrder(order('a', at(2500, 0)));
    const b = e.submitOrder(order('b', at(-2500, 0)));
    expect(b.pathId).not.toBe(a.pathId);
    expect(b.batchId).not.toBe(a.batchId);
  });

  it('rejects unknown stores and duplicate orders with slugs', () => {
    const { e } = engine();
    expect(() => e.submitOrder(order('x', at(0, 0), { storeId: 'nope' }))).toThrow(AppError);
    e.submitOrder(order('a', at(100, 0)));
    try {
      e.submitOrder(order('a', at(100, 0)));
      expect.unreachable();
    } catch (err) {
      expect((err as AppError).slug).toBe('dispatch.order_duplicate');
    }
  });

  it('commits a rider only when it must leave, so it arrives for the ready time', () => {
    const { clock, e } = engine({ commitSlackSeconds: 60 });
    e.submitOrder(order('a', at(1500, 0), { readyAt: 15 * MIN }));
    const riders = [rider('r1', 0, 1500)]; // 300 s away + 120 s parking
    clock.set(2 * MIN);
    expect(e.round(riders).committed).toHaveLength(0);
    clock.set(8 * MIN); // slack = 420 − 420 = 0
    const round = e.round(riders);
    expect(round.committed).toHaveLength(1);
    const plan = round.committed[0]!;
    expect(plan).toMatchObject({ riderId: 'r1', departAt: 8 * MIN, arriveStoreAt: 13 * MIN, pickupAt: 15 * MIN });
    expect(plan.drops[0]!.dropAt).toBe(15 * MIN + (120 + 300 + 120) * 1000);
    expect(round.sealed.map((s) => s.batchId)).toContain(plan.batchId);
    expect(e.pendingOrderCount()).toBe(0);
  });

  it('never gives one rider two batches in a round; the other batch waits and is retried', () => {
    const { clock, e } = engine();
    e.submitOrder(order('a', at(1500, 0), { readyAt: 5 * MIN }));
    e.submitOrder(order('b', at(5000, 6500), { storeId: 's2', readyAt: 5 * MIN }));
    clock.set(5 * MIN);
    const only = [rider('r1', 100, 100)];
    const first = e.round(only);
    expect(first.committed).toHaveLength(1);
    expect(first.waiting).toHaveLength(1);
    expect(e.pendingOrderCount()).toBe(1);
    clock.set(6 * MIN);
    const second = e.round([rider('r2', 5000, 4900)]);
    expect(second.committed).toHaveLength(1);
    expect(second.committed[0]!.riderId).toBe('r2');
    expect(e.pendingOrderCount()).toBe(0);
  });

  it('with riders to spare sends the rider that is just in time and keeps the near one free; when scarce, the near one', () => {
    // Store at (0,0); food ready at 15 min. near: 300 m = 60 s away; far: 3000 m = 600 s away. At 2 min the far rider's
    // slack is 13 − (10 + 2 parking) = 1 min (must leave now), the near rider's 10 min.
    const riders = [rider('near', 0, 300), rider('far', 0, 3000)];
    const plentiful = engine();
    plentiful.e.submitOrder(order('a', at(1500, 0), { readyAt: 15 * MIN }));
    plentiful.clock.set(2 * MIN);
    const calm = plentiful.e.round(riders); // 1 order for 2 riders: ratio 0.5 ≤ scarcityThreshold 0.75
    expect(calm.committed.map((p) => p.riderId)).toEqual(['far']);
    expect(calm.committed[0]!.pickupAt).toBe(15 * MIN); // just in time: the food waits for nobody

    const scarce = engine({ scarcityThreshold: 0.25 }); // the same ratio 0.5 now counts as scarce
    scarce.e.submitOrder(order('a', at(1500, 0), { readyAt: 15 * MIN }));
    scarce.clock.set(2 * MIN);
    const busy = scarce.e.round(riders);
    expect(busy.committed).toHaveLength(0); // the near rider need not leave yet
    expect(busy.reserved.map((m) => m.riderId)).toEqual(['near']);
  });

  it('prefers waiting for a nearby rider who is free soon over sending a far idle one', () => {
    const { clock, e } = engine({ scoring: { floor: null } });
    e.submitOrder(order('a', at(1500, 0), { readyAt: 10 * MIN }));
    clock.set(8 * MIN);
    const riders = [rider('busy-near', 0, 300, { availableAt: 9 * MIN }), rider('idle-far', 0, 6000)];
    const round = e.round(riders);
    expect(round.committed).toHaveLength(0);
    expect(round.reserved.map((m) => m.riderId)).toEqual(['busy-near']);
  });
});

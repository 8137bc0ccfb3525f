import { describe, expect, it } from 'vitest';
import { analyseDeliverability, deliverableOrders, isolatedPickup } from './deliverability.ts';
import { tinyInstance, tinySolution } from './fixtures.test-helpers.ts';
import type { MdrpInstance } from './instance.ts';

/** tiny, but c1 leaves at 11 and c2 (15 min from r1: arrives 15, pickup ≥ 17) at 16. */
function shortShifts(): MdrpInstance {
  const inst = tinyInstance({ offTime: 11 });
  return { ...inst, couriers: inst.couriers.map((c) => (c.id === 'c2' ? { ...c, offTime: 16 } : c)) };
}

describe('deliverability lower bound', () => {
  it('earliest isolated pickup = max(ready, on_time + travel + half the pickup service), null after off_time', () => {
    const inst = shortShifts();
    const [o1, o2] = inst.orders;
    const [c1, c2] = inst.couriers;
    expect(isolatedPickup(inst, o1!, c1!)).toBe(10); // arrives 5, parked 7, food ready 10 ≤ off 11
    expect(isolatedPickup(inst, o2!, c1!)).toBeNull(); // ready 12 > off 11
    expect(isolatedPickup(inst, o1!, c2!)).toBeNull(); // 15 + 2 = 17 > off 16
  });

  it('splits undelivered orders into structurally undeliverable and lost to scheduling', () => {
    const inst = shortShifts();
    expect([...deliverableOrders(inst)]).toEqual(['o1']);
    const report = analyseDeliverability(inst, { assignments: [], orders: [], moves: [] });
    expect(report.undelivered).toEqual(['o1', 'o2', 'o3']);
    expect(report.structurallyUndeliverable).toEqual(['o2', 'o3']);
    expect(report.lostToScheduling).toEqual(['o1']);
  });

  it('counts every order deliverable when shifts are long enough', () => {
    const inst = tinyInstance();
    const report = analyseDeliverability(inst, tinySolution());
    expect(report.structurallyUndeliverable).toEqual([]);
    expect(report.undelivered).toEqual(['o3']);
    expect(report.lostToScheduling).toEqual(['o3']);
  });
});

import { describe, expect, it } from 'vitest';
import { formatSplitTable, splitReadyToPickup } from './diagnostics.ts';
import { tinyInstance, tinySolution } from './fixtures.test-helpers.ts';

describe('ready-to-pickup split', () => {
  it('charges food waiting for a bundle partner to "partner", not to the courier', () => {
    // o1 (ready 10) rides with o2 (ready 12): picked up at 12. c1 could have picked o1 up at max(10, 0 + 5 + 2) = 10.
    const split = splitReadyToPickup(tinyInstance(), tinySolution());
    expect(split.delivered).toBe(2);
    expect(split.readyToPickup).toBeCloseTo(1); // (2 + 0) / 2
    expect(split.positional).toBeCloseTo(0);
    expect(split.partner).toBeCloseTo(1);
    expect(split.competition).toBeCloseTo(0);
  });

  it('uses only commitments made before the placement; the rest of the wait is competition', () => {
    // c2 leaves at 16, before it could reach r1 (15 min away, pickup ≥ 17). c1 was committed at 3 to the o1+o2 bundle
    // (free at 29 at o2, 5 min from r1): the earliest pickup of o3 (placed 5, ready 20) is 29 + 5 + 2 = 36 → 16 min
    // positional. Picked up at 38: 2 more minutes are competition.
    const base = tinyInstance();
    const inst = { ...base, couriers: base.couriers.map((c) => (c.id === 'c2' ? { ...c, offTime: 16 } : c)) };
    const sol = tinySolution();
    const solution = {
      ...sol,
      assignments: [...sol.assignments, { assignmentTime: 29, pickupTime: 38, courier: 'c1', orders: ['o3'] }],
      orders: [
        ...sol.orders,
        { order: 'o3', placementTime: 5, readyTime: 20, pickupTime: 38, dropoffTime: 45, courier: 'c1' },
      ],
    };
    const split = splitReadyToPickup(inst, solution);
    expect(split.delivered).toBe(3);
    expect(split.readyToPickup).toBeCloseTo(20 / 3);
    expect(split.positional).toBeCloseTo(16 / 3);
    expect(split.partner).toBeCloseTo(2 / 3);
    expect(split.competition).toBeCloseTo(2 / 3);
  });

  it('formats one row per instance and the mean', () => {
    const split = splitReadyToPickup(tinyInstance(), tinySolution());
    const text = formatSplitTable([{ instance: 'tiny', split }]);
    expect(text).toMatch(/tiny\s+1\.00\s+0\.00\s+1\.00\s+0\.00/);
    expect(text).toMatch(/MEAN \(1\)\s+1\.00/);
  });
});

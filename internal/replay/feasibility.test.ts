import { describe, expect, it } from 'vitest';
import { checkFeasibility, countByRule, type RuleId } from './feasibility.ts';
import { tinyInstance, tinySolution } from './fixtures.test-helpers.ts';
import type { Solution } from './solution.ts';

const rulesHit = (s: Solution, instance = tinyInstance()) =>
  Object.entries(countByRule(checkFeasibility(instance, s)))
    .filter(([, n]) => n > 0)
    .map(([rule]) => rule as RuleId);

describe('feasibility checker', () => {
  it('accepts a hand-computed feasible solution', () => {
    expect(checkFeasibility(tinyInstance(), tinySolution())).toEqual([]);
  });

  it('R1: flags an order in two assignments', () => {
    const s = tinySolution();
    const bad = {
      ...s,
      assignments: [...s.assignments, { assignmentTime: 5, pickupTime: 12, courier: 'c2', orders: ['o1'] }],
    };
    expect(rulesHit(bad)).toContain('R1');
  });

  it('R1: flags a delivered order without an assignment', () => {
    const s = tinySolution();
    const bad = {
      ...s,
      orders: [
        ...s.orders,
        { order: 'o3', placementTime: 5, readyTime: 20, pickupTime: 20, dropoffTime: 40, courier: 'c2' },
      ],
    };
    expect(rulesHit(bad)).toContain('R1');
  });

  it('R2: flags an assignment made before an order was placed', () => {
    const s = tinySolution();
    const bad = {
      ...s,
      assignments: [{ ...s.assignments[0]!, assignmentTime: 1 }],
      moves: s.moves.map((m, i) => (i === 0 ? { ...m, departureTime: 1 } : m)),
    };
    expect(rulesHit(bad)).toEqual(['R2']);
  });

  it('R2: flags a courier moving toward a pickup before the decision', () => {
    const s = tinySolution();
    const bad = { ...s, assignments: [{ ...s.assignments[0]!, assignmentTime: 5 }] };
    expect(rulesHit(bad)).toEqual(['R2']);
  });

  it('R3: flags a pickup after the courier went off shift', () => {
    expect(rulesHit(tinySolution(), tinyInstance({ offTime: 11 }))).toEqual(['R3']);
  });

  it('R4: flags a pickup before the bundle is ready', () => {
    const s = tinySolution();
    const bad = {
      ...s,
      assignments: [{ ...s.assignments[0]!, pickupTime: 11 }],
      orders: s.orders.map((o) => ({ ...o, pickupTime: 11 })),
    };
    expect(rulesHit(bad)).toEqual(['R4']);
  });

  it('R5: flags drops out of the assignment sequence', () => {
    const s = tinySolution();
    const bad = { ...s, assignments: [{ ...s.assignments[0]!, orders: ['o2', 'o1'] }] };
    expect(rulesHit(bad)).toEqual(['R5']);
  });

  it('R6: flags a move that does not start where the previous one ended', () => {
    const s = tinySolution();
    const bad = { ...s, moves: s.moves.map((m, i) => (i === 1 ? { ...m, origin: 'o2' } : m)) };
    expect(rulesHit(bad)).toContain('R6');
  });

  it('R6: flags a courier moving before its shift', () => {
    const instance = tinyInstance();
    const late = { ...instance, couriers: instance.couriers.map((c) => (c.id === 'c1' ? { ...c, onTime: 3.5 } : c)) };
    expect(rulesHit(tinySolution(), late)).toContain('R6');
  });

  it('R7: flags a pickup before the courier can be at the restaurant', () => {
    const s = tinySolution();
    const bad = {
      ...s,
      assignments: [{ ...s.assignments[0]!, assignmentTime: 8 }],
      moves: s.moves.map((m, i) => (i === 0 ? { ...m, departureTime: 8 } : m)),
    };
    expect(rulesHit(bad)).toEqual(['R7']);
  });

  it('R8: flags a drop-off before the courier can be at the customer', () => {
    const s = tinySolution();
    const bad = { ...s, orders: s.orders.map((o) => (o.order === 'o2' ? { ...o, dropoffTime: 26 } : o)) };
    expect(rulesHit(bad)).toEqual(['R8']);
  });

  it('R7: flags a bundle mixing restaurants', () => {
    const instance = tinyInstance();
    const two = {
      ...instance,
      restaurants: [...instance.restaurants, { id: 'r2', x: 0, y: 0 }],
      orders: instance.orders.map((o) => (o.id === 'o2' ? { ...o, restaurant: 'r2' } : o)),
    };
    expect(rulesHit(tinySolution(), two)).toContain('R7');
  });
});

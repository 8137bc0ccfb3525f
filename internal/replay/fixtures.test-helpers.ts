/**
 * A tiny hand-computed instance and its feasible solution, shared by the checker and metric tests.
 * mdrp rules: 100 m/min, 4-minute services (2 before, 2 after the hand-over).
 *   c1 starts at (0,500) at 0; leaves at 3 → r1 (0,0) at 8 (5 min); pickup max(ready 12, 8+2) = 12; leaves 14;
 *   → o1 (300,0) at 17 (3 min), drop 19, leaves 21; → o2 (300,400) at 25 (4 min), drop 27, leaves 29.
 */
import type { MdrpInstance } from './instance.ts';
import type { Solution } from './solution.ts';

export function tinyInstance(overrides: { offTime?: number } = {}): MdrpInstance {
  return {
    name: 'tiny',
    parameters: {
      metersPerMinute: 100,
      pickupServiceMinutes: 4,
      dropoffServiceMinutes: 4,
      targetClickToDoor: 20,
      maxClickToDoor: 90,
      payPerOrder: 10,
      guaranteedPayPerHour: 15,
    },
    restaurants: [{ id: 'r1', x: 0, y: 0 }],
    orders: [
      { id: 'o1', x: 300, y: 0, placementTime: 0, restaurant: 'r1', readyTime: 10 },
      { id: 'o2', x: 300, y: 400, placementTime: 2, restaurant: 'r1', readyTime: 12 },
      { id: 'o3', x: 0, y: 100, placementTime: 5, restaurant: 'r1', readyTime: 20 },
    ],
    couriers: [
      { id: 'c1', x: 0, y: 500, onTime: 0, offTime: overrides.offTime ?? 60 },
      { id: 'c2', x: 1000, y: 1000, onTime: 0, offTime: 30 },
    ],
  };
}

export function tinySolution(): Solution {
  return {
    assignments: [{ assignmentTime: 3, pickupTime: 12, courier: 'c1', orders: ['o1', 'o2'] }],
    orders: [
      { order: 'o1', placementTime: 0, readyTime: 10, pickupTime: 12, dropoffTime: 19, courier: 'c1' },
      { order: 'o2', placementTime: 2, readyTime: 12, pickupTime: 12, dropoffTime: 27, courier: 'c1' },
    ],
    moves: [
      { courier: 'c1', departureTime: 3, origin: '0', destination: 'r1' },
      { courier: 'c1', departureTime: 14, origin: 'r1', destination: 'o1' },
      { courier: 'c1', departureTime: 21, origin: 'o1', destination: 'o2' },
    ],
  };
}

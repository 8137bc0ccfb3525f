import { describe, expect, it } from 'vitest';
import { formatAssignments, formatMoves, formatOrders, groupMovesByCourier, type Solution } from './solution.ts';

const solution: Solution = {
  assignments: [
    { assignmentTime: 1, pickupTime: 12, courier: 'c1', orders: ['o1', 'o2'] },
    { assignmentTime: 2, pickupTime: 9, courier: 'c2', orders: ['o3'] },
  ],
  orders: [{ order: 'o1', placementTime: 0, readyTime: 10, pickupTime: 12, dropoffTime: 19, courier: 'c1' }],
  // In the order the replay makes them: couriers interleaved in time.
  moves: [
    { courier: 'c1', departureTime: 3, origin: '0', destination: 'r1' },
    { courier: 'c2', departureTime: 4, origin: '0', destination: 'r2' },
    { courier: 'c1', departureTime: 14, origin: 'r1', destination: 'o1' },
    { courier: 'c2', departureTime: 11, origin: 'r2', destination: 'o3' },
    { courier: 'c1', departureTime: 21, origin: 'o1', destination: 'o2' },
  ],
};

describe('solution files in the official evaluator’s format', () => {
  it('writes space-separated lines under a header line in each file', () => {
    expect(formatAssignments(solution)).toBe('assignment_time pickup_time courier orders\n1 12 c1 o1 o2\n2 9 c2 o3\n');
    expect(formatOrders(solution)).toBe(
      'order placement_time ready_time pickup_time dropoff_time courier\no1 0 10 12 19 c1\n',
    );
    for (const text of [formatAssignments(solution), formatOrders(solution), formatMoves(solution)])
      expect(text).not.toContain('\t');
  });

  it('writes each courier’s moves as one contiguous block in departure order', () => {
    expect(formatMoves(solution)).toBe(
      'courier departure_time origin destination\nc1 3 0 r1\nc1 14 r1 o1\nc1 21 o1 o2\nc2 4 0 r2\nc2 11 r2 o3\n',
    );
  });

  it('keeps same-minute moves of one courier in the order they were made', () => {
    const grouped = groupMovesByCourier([
      { courier: 'c1', departureTime: 5, origin: '0', destination: 'r1' },
      { courier: 'c1', departureTime: 5, origin: 'r1', destination: 'o1' },
      { courier: 'c1', departureTime: 2, origin: 'x', destination: 'y' },
    ]);
    expect(grouped.map((m) => m.destination)).toEqual(['y', 'r1', 'o1']);
  });

  it('refuses a fractional assignment or departure time, which the evaluator would truncate', () => {
    expect(() =>
      formatAssignments({ ...solution, assignments: [{ ...solution.assignments[0]!, pickupTime: 12.5 }] }),
    ).toThrow(/pickup_time 12.5/);
    expect(() => formatMoves({ ...solution, moves: [{ ...solution.moves[0]!, departureTime: 3.25 }] })).toThrow(
      /departure_time 3.25/,
    );
  });
});

/**
 * A replay's solution in the official checker's shape, and its three text files:
 *  - solution_info_assignments.txt: `assignment_time pickup_time courier order…` (one line per assignment)
 *  - solution_info_orders.txt: header `order placement_time ready_time pickup_time dropoff_time courier`
 *  - solution_info_couriers.txt: `courier departure_time origin destination` (one line per move; origin 0 = start)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SolutionAssignment {
  readonly assignmentTime: number;
  readonly pickupTime: number;
  readonly courier: string;
  readonly orders: readonly string[];
}

export interface SolutionOrder {
  readonly order: string;
  readonly placementTime: number;
  readonly readyTime: number;
  readonly pickupTime: number;
  readonly dropoffTime: number;
  readonly courier: string;
}

/** `origin`/`destination` are `0` (the courier's start), a restaurant id or an order id (its customer). */
export interface SolutionMove {
  readonly courier: string;
  readonly departureTime: number;
  readonly origin: string;
  readonly destination: string;
}

export interface Solution {
  readonly assignments: readonly SolutionAssignment[];
  readonly orders: readonly SolutionOrder[];
  readonly moves: readonly SolutionMove[];
}

export const START_LOCATION = '0';

export function formatAssignments(s: Solution): string {
  return s.assignments.map((a) => [a.assignmentTime, a.pickupTime, a.courier, ...a.orders].join('\t') + '\n').join('');
}

export function formatOrders(s: Solution): string {
  const header = 'order\tplacement_time\tready_time\tpickup_time\tdropoff_time\tcourier\n';
  return (
    header +
    s.orders
      .map((o) => [o.order, o.placementTime, o.readyTime, o.pickupTime, o.dropoffTime, o.courier].join('\t') + '\n')
      .join('')
  );
}

export function formatMoves(s: Solution): string {
  return s.moves.map((m) => [m.courier, m.departureTime, m.origin, m.destination].join('\t') + '\n').join('');
}

/** Writes the three files into `dir` (created if needed). */
export async function writeSolutionFiles(dir: string, s: Solution): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(join(dir, 'solution_info_assignments.txt'), formatAssignments(s)),
    writeFile(join(dir, 'solution_info_orders.txt'), formatOrders(s)),
    writeFile(join(dir, 'solution_info_couriers.txt'), formatMoves(s)),
  ]);
}

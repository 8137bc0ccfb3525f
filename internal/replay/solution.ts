/**
 * A replay's solution in the official checker's shape, and its three text files exactly as Grubhub's evaluator
 * (../shared/mdrplib/official/compute_performance_summary.py) reads them — space-separated, one header line each:
 *  - solution_info_assignments.txt: `assignment_time pickup_time courier order…` (one line per assignment)
 *  - solution_info_orders.txt: `order placement_time ready_time pickup_time dropoff_time courier` (one line per delivered order)
 *  - solution_info_couriers.txt: `courier departure_time origin destination` (one line per move, each courier's moves in one
 *    contiguous block; origin 0 = the courier's start)
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

/**
 * The official evaluator (compute_performance_summary.py) splits every line on whitespace and skips the first line of
 * the assignments and couriers files as a header; the orders file is read by pandas with `sep=' '`. So: one space
 * between fields, a header line in each file, and no field that contains a space (ids never do).
 */
const SEP = ' ';
const line = (fields: ReadonlyArray<string | number>) => `${fields.join(SEP)}\n`;

/** The evaluator reads assignment and move times with `int(float(…))`: a fraction would be cut off silently, so refuse it here. */
function wholeMinute(value: number, what: string): number {
  if (!Number.isInteger(value))
    throw new Error(`solution file: ${what} ${value} is not a whole minute (the official evaluator truncates it)`);
  return value;
}

export const ASSIGNMENTS_HEADER = ['assignment_time', 'pickup_time', 'courier', 'orders'] as const;
export const ORDERS_HEADER = [
  'order',
  'placement_time',
  'ready_time',
  'pickup_time',
  'dropoff_time',
  'courier',
] as const;
export const MOVES_HEADER = ['courier', 'departure_time', 'origin', 'destination'] as const;

/** Header, then `assignment_time pickup_time courier order…` per assignment (the bundle's orders in drop order). */
export function formatAssignments(s: Solution): string {
  const row = (a: SolutionAssignment) =>
    line([
      wholeMinute(a.assignmentTime, 'assignment_time'),
      wholeMinute(a.pickupTime, 'pickup_time'),
      a.courier,
      ...a.orders,
    ]);
  return line(ASSIGNMENTS_HEADER) + s.assignments.map(row).join('');
}

/** Header, then one row per delivered order. */
export function formatOrders(s: Solution): string {
  return (
    line(ORDERS_HEADER) +
    s.orders.map((o) => line([o.order, o.placementTime, o.readyTime, o.pickupTime, o.dropoffTime, o.courier])).join('')
  );
}

/**
 * Moves grouped by courier, each courier's moves in departure order. The evaluator starts a new courier whenever the
 * courier column changes, so a courier whose moves were interleaved with another's would be read as several couriers
 * and only its last block kept (then its pickups and drops look like teleports). Couriers keep the order of their first
 * move; the sort is stable, so moves departing in the same minute keep the order they were made in.
 */
export function groupMovesByCourier(moves: readonly SolutionMove[]): SolutionMove[] {
  const byCourier = new Map<string, SolutionMove[]>();
  for (const m of moves) {
    const list = byCourier.get(m.courier);
    if (list) list.push(m);
    else byCourier.set(m.courier, [m]);
  }
  return [...byCourier.values()].flatMap((list) =>
    list
      .map((m, i) => ({ m, i }))
      .sort((a, b) => a.m.departureTime - b.m.departureTime || a.i - b.i)
      .map((x) => x.m),
  );
}

/** Header, then `courier departure_time origin destination` per move, grouped by courier (see groupMovesByCourier). */
export function formatMoves(s: Solution): string {
  const row = (m: SolutionMove) =>
    line([m.courier, wholeMinute(m.departureTime, 'departure_time'), m.origin, m.destination]);
  return line(MOVES_HEADER) + groupMovesByCourier(s.moves).map(row).join('');
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

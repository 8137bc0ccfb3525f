/**
 * Our own check of a solution against the MDRPLIB rules, computed from the instance and the solution files' content only.
 * Eight rules:
 *  R1 each order is in at most one assignment (and its orders-file row agrees with that assignment)
 *  R2 no assignment before any of its orders' placement (nor before the courier's shift); no move toward a pickup before
 *     the decision that ordered it
 *  R3 no pickup after the courier's off_time (nor before its on_time)
 *  R4 pickup not before the bundle's latest ready time
 *  R5 service events in sequence: drops follow the pickup and each other in the assignment's order, at least
 *     (half of one service + half of the next) = 4 min apart
 *  R6 moves are continuous: start at 0 at or after on_time, each origin is the previous destination, no departure before
 *     the previous move arrives (travel = ceil(metres / meters_per_minute))
 *  R7 at the restaurant at pickup: arrived ≥ half a pickup service before it, left ≥ half a service after; one restaurant
 *  R8 at the customer at drop-off: arrived ≥ half a drop-off service before it, left ≥ half after, after the pickup
 */
import type { MdrpInstance } from './instance.ts';
import { locationResolver } from './metrics.ts';
import { START_LOCATION, type Solution, type SolutionAssignment, type SolutionMove } from './solution.ts';
import { travelMinutes } from './travel-model.ts';

export const RULES = {
  R1: 'each order in at most one assignment',
  R2: 'no assignment before placement',
  R3: 'no pickup after off_time',
  R4: 'pickup not before latest ready time',
  R5: 'drops in sequence, ≥ 4 min apart',
  R6: 'moves continuous',
  R7: 'at the restaurant at pickup',
  R8: 'at the customer at drop-off',
} as const;
export type RuleId = keyof typeof RULES;

export interface Violation {
  readonly rule: RuleId;
  readonly message: string;
}

interface TimedMove extends SolutionMove {
  readonly arrival: number;
  /** Departure of the courier's next move, or Infinity. */
  readonly nextDeparture: number;
}

/** All violations of `solution` (empty = feasible). */
export function checkFeasibility(instance: MdrpInstance, solution: Solution): Violation[] {
  const v: Violation[] = [];
  const add = (rule: RuleId, message: string) => v.push({ rule, message });
  const p = instance.parameters;
  const halfPickup = p.pickupServiceMinutes / 2;
  const halfDrop = p.dropoffServiceMinutes / 2;
  const orderById = new Map(instance.orders.map((o) => [o.id, o]));
  const courierById = new Map(instance.couriers.map((c) => [c.id, c]));
  const locate = locationResolver(instance);

  // R1: one assignment per order, orders file consistent with it.
  const assignmentOf = new Map<string, SolutionAssignment>();
  for (const a of solution.assignments) {
    if (!courierById.has(a.courier)) add('R1', `assignment names unknown courier ${a.courier}`);
    if (a.orders.length === 0) add('R1', `empty assignment for courier ${a.courier} at ${a.assignmentTime}`);
    for (const id of a.orders) {
      if (!orderById.has(id)) add('R1', `assignment names unknown order ${id}`);
      if (assignmentOf.has(id)) add('R1', `order ${id} is in more than one assignment`);
      else assignmentOf.set(id, a);
    }
  }
  const rowOf = new Map<string, Solution['orders'][number]>();
  for (const row of solution.orders) {
    if (rowOf.has(row.order)) add('R1', `order ${row.order} appears twice in the orders file`);
    rowOf.set(row.order, row);
    const a = assignmentOf.get(row.order);
    if (!a) add('R1', `order ${row.order} is delivered without an assignment`);
    else if (a.courier !== row.courier || a.pickupTime !== row.pickupTime) {
      add(
        'R1',
        `order ${row.order}: orders file (courier ${row.courier}, pickup ${row.pickupTime}) disagrees with its assignment`,
      );
    }
    const o = orderById.get(row.order);
    if (o && (o.placementTime !== row.placementTime || o.readyTime !== row.readyTime)) {
      add('R1', `order ${row.order}: placement/ready times differ from the instance`);
    }
  }
  for (const id of assignmentOf.keys())
    if (!rowOf.has(id)) add('R1', `order ${id} is assigned but has no drop-off row`);

  // Courier timelines (R6), used by R2, R7, R8.
  const movesOf = new Map<string, SolutionMove[]>();
  for (const m of solution.moves) {
    const list = movesOf.get(m.courier) ?? [];
    list.push(m);
    movesOf.set(m.courier, list);
  }
  const timeline = new Map<string, TimedMove[]>();
  for (const [courierId, list] of movesOf) {
    const c = courierById.get(courierId);
    if (!c) {
      add('R6', `moves of unknown courier ${courierId}`);
      continue;
    }
    const sorted = list
      .map((m, i) => ({ m, i }))
      .sort((a, b) => a.m.departureTime - b.m.departureTime || a.i - b.i)
      .map((x) => x.m);
    const timed: TimedMove[] = [];
    sorted.forEach((m, k) => {
      const from = locate(courierId, m.origin);
      const to = locate(courierId, m.destination);
      if (!from || !to || m.destination === START_LOCATION) {
        add('R6', `courier ${courierId}: move ${m.origin}→${m.destination} names an unknown place`);
        return;
      }
      const prev = sorted[k - 1];
      if (k === 0) {
        if (m.origin !== START_LOCATION)
          add('R6', `courier ${courierId}: first move starts at ${m.origin}, not at its start (0)`);
        if (m.departureTime < c.onTime)
          add('R6', `courier ${courierId}: moves at ${m.departureTime}, before on_time ${c.onTime}`);
      } else if (prev) {
        if (m.origin !== prev.destination)
          add(
            'R6',
            `courier ${courierId}: move from ${m.origin} at ${m.departureTime} but it was at ${prev.destination}`,
          );
        const prevArrival = timed[timed.length - 1]?.arrival ?? -Infinity;
        if (m.departureTime < prevArrival)
          add('R6', `courier ${courierId}: departs at ${m.departureTime} before arriving (${prevArrival})`);
      }
      const next = sorted[k + 1];
      timed.push({
        ...m,
        arrival: m.departureTime + travelMinutes(from, to, p.metersPerMinute),
        nextDeparture: next ? next.departureTime : Infinity,
      });
    });
    timeline.set(courierId, timed);
  }

  // Per assignment: R2, R3, R4, R5, R7.
  for (const a of solution.assignments) {
    const c = courierById.get(a.courier);
    const orders = a.orders.map((id) => orderById.get(id)).filter((o) => o !== undefined);
    if (!c || orders.length === 0) continue;
    for (const o of orders) {
      if (a.assignmentTime < o.placementTime)
        add('R2', `order ${o.id} assigned at ${a.assignmentTime}, placed at ${o.placementTime}`);
    }
    if (a.assignmentTime < c.onTime)
      add('R2', `courier ${c.id} assigned at ${a.assignmentTime}, before on_time ${c.onTime}`);
    if (a.pickupTime > c.offTime) add('R3', `courier ${c.id} picks up at ${a.pickupTime}, after off_time ${c.offTime}`);
    if (a.pickupTime < c.onTime) add('R3', `courier ${c.id} picks up at ${a.pickupTime}, before on_time ${c.onTime}`);
    const ready = Math.max(...orders.map((o) => o.readyTime));
    if (a.pickupTime < ready)
      add('R4', `assignment of ${a.orders.join(',')} picked up at ${a.pickupTime}, ready at ${ready}`);

    const restaurants = new Set(orders.map((o) => o.restaurant));
    if (restaurants.size > 1) add('R7', `bundle ${a.orders.join(',')} mixes restaurants ${[...restaurants].join(',')}`);
    const restaurant = orders[0]!.restaurant;
    const visit = (timeline.get(c.id) ?? [])
      .filter((m) => m.destination === restaurant && m.arrival + halfPickup <= a.pickupTime)
      .at(-1);
    if (!visit) add('R7', `courier ${c.id} is not at ${restaurant} ${halfPickup} min before pickup at ${a.pickupTime}`);
    else {
      if (visit.nextDeparture < a.pickupTime + halfPickup)
        add(
          'R7',
          `courier ${c.id} leaves ${restaurant} at ${visit.nextDeparture}, before pickup ${a.pickupTime} + ${halfPickup}`,
        );
      if (visit.departureTime < a.assignmentTime)
        add(
          'R2',
          `courier ${c.id} heads to ${restaurant} at ${visit.departureTime}, before its assignment at ${a.assignmentTime}`,
        );
    }

    let previous = a.pickupTime;
    let gap = halfPickup + halfDrop;
    for (const id of a.orders) {
      const row = rowOf.get(id);
      if (!row) continue;
      if (row.dropoffTime < previous + gap)
        add(
          'R5',
          `order ${id} dropped at ${row.dropoffTime}, less than ${gap} min after the previous stop (${previous})`,
        );
      previous = row.dropoffTime;
      gap = 2 * halfDrop;
    }
  }

  // R5 across assignments: a courier's service events never overlap.
  const events = new Map<string, Array<{ t: number; half: number }>>();
  for (const a of solution.assignments) {
    const list = events.get(a.courier) ?? [];
    list.push({ t: a.pickupTime, half: halfPickup });
    events.set(a.courier, list);
  }
  for (const row of solution.orders) {
    const list = events.get(row.courier) ?? [];
    list.push({ t: row.dropoffTime, half: halfDrop });
    events.set(row.courier, list);
  }
  for (const [courierId, list] of events) {
    list.sort((x, y) => x.t - y.t);
    for (let i = 1; i < list.length; i++) {
      const gap = list[i - 1]!.half + list[i]!.half;
      if (list[i]!.t - list[i - 1]!.t < gap)
        add('R5', `courier ${courierId}: service events at ${list[i - 1]!.t} and ${list[i]!.t} overlap`);
    }
  }

  // R8: at the customer at drop-off, after the pickup.
  for (const row of solution.orders) {
    const visit = (timeline.get(row.courier) ?? [])
      .filter((m) => m.destination === row.order && m.arrival + halfDrop <= row.dropoffTime)
      .at(-1);
    if (!visit) {
      add(
        'R8',
        `courier ${row.courier} is not at customer ${row.order} ${halfDrop} min before drop-off at ${row.dropoffTime}`,
      );
      continue;
    }
    if (visit.nextDeparture < row.dropoffTime + halfDrop)
      add(
        'R8',
        `courier ${row.courier} leaves customer ${row.order} at ${visit.nextDeparture}, before drop-off ${row.dropoffTime} + ${halfDrop}`,
      );
    if (visit.departureTime < row.pickupTime + halfPickup)
      add(
        'R8',
        `courier ${row.courier} heads to customer ${row.order} at ${visit.departureTime}, before picking it up (${row.pickupTime})`,
      );
  }
  return v;
}

/** Violation counts per rule (every rule present, zeros included). */
export function countByRule(violations: readonly Violation[]): Record<RuleId, number> {
  const counts = Object.fromEntries(Object.keys(RULES).map((k) => [k, 0])) as Record<RuleId, number>;
  for (const x of violations) counts[x.rule]++;
  return counts;
}

/**
 * Replays one MDRPLIB instance in virtual time through the production dispatch engine: every minute the clock advances,
 * newly placed orders are submitted, and one dispatch round runs against the couriers' current state. Committed plans are
 * executed by the instance's rules and recorded as a checker-format solution. No sleeping, no servers.
 */
import { DispatchEngine, type RoundResult } from '../dispatch/dispatch-engine.ts';
import type { DispatchParamsInput } from '../dispatch/params.ts';
import type { GeoPoint, Plan, Rider } from '../dispatch/types.ts';
import { ManualClock } from '../platform/clock.ts';
import type { MdrpInstance, MdrpOrder } from './instance.ts';
import {
  START_LOCATION,
  type Solution,
  type SolutionAssignment,
  type SolutionMove,
  type SolutionOrder,
} from './solution.ts';
import { mdrpTravelTime, serviceTimesOf, toGeo } from './travel-model.ts';

const MINUTE = 60_000;

export interface ReplayResult {
  readonly instance: string;
  readonly solution: Solution;
  /** Regret of every sealed batch's stop plan. */
  readonly regrets: readonly number[];
  /** Wall-clock time of the replay (ms). */
  readonly elapsedMs: number;
}

interface CourierState {
  readonly id: string;
  readonly onTime: number;
  readonly offTime: number;
  location: GeoPoint;
  /** Solution-file name of where the courier is: 0, a restaurant or an order. */
  locationRef: string;
  freeAt: number;
}

/** Replays `instance` with `params` (the dispatcher defaults unless overridden). */
export function replayInstance(
  instance: MdrpInstance,
  params: DispatchParamsInput = {},
  onRound: (minute: number, round: RoundResult) => void = () => {},
): ReplayResult {
  const started = performance.now();
  const p = instance.parameters;
  const clock = new ManualClock(0);
  const engine = new DispatchEngine({
    clock,
    travel: mdrpTravelTime(p.metersPerMinute),
    params: { ...params, service: serviceTimesOf(p) },
  });
  for (const r of instance.restaurants) engine.upsertStore({ id: r.id, location: toGeo(r) });

  const byMinute = new Map<number, MdrpOrder[]>();
  for (const o of instance.orders) {
    const list = byMinute.get(o.placementTime) ?? [];
    list.push(o);
    byMinute.set(o.placementTime, list);
  }
  const orderById = new Map(instance.orders.map((o) => [o.id, o]));
  const couriers: CourierState[] = instance.couriers.map((c) => ({
    id: c.id,
    onTime: c.onTime,
    offTime: c.offTime,
    location: toGeo(c),
    locationRef: START_LOCATION,
    freeAt: c.onTime,
  }));
  const courierById = new Map(couriers.map((c) => [c.id, c]));

  const assignments: SolutionAssignment[] = [];
  const orders: SolutionOrder[] = [];
  const moves: SolutionMove[] = [];
  const regrets: number[] = [];

  const execute = (plan: Plan) => {
    const courier = courierById.get(plan.riderId)!;
    const minute = (ms: number) => ms / MINUTE;
    moves.push({
      courier: courier.id,
      departureTime: minute(plan.departAt),
      origin: courier.locationRef,
      destination: plan.storeId,
    });
    let from = plan.storeId;
    let leave = plan.leaveStoreAt;
    for (const drop of plan.drops) {
      moves.push({ courier: courier.id, departureTime: minute(leave), origin: from, destination: drop.orderId });
      const o = orderById.get(drop.orderId)!;
      orders.push({
        order: o.id,
        placementTime: o.placementTime,
        readyTime: o.readyTime,
        pickupTime: minute(plan.pickupAt),
        dropoffTime: minute(drop.dropAt),
        courier: courier.id,
      });
      from = drop.orderId;
      leave = drop.leaveAt;
    }
    assignments.push({
      assignmentTime: minute(plan.assignedAt),
      pickupTime: minute(plan.pickupAt),
      courier: courier.id,
      orders: plan.drops.map((d) => d.orderId),
    });
    courier.location = plan.freeLocation;
    courier.locationRef = from;
    courier.freeAt = minute(plan.freeAt);
  };

  const firstMinute = Math.min(...instance.orders.map((o) => o.placementTime), ...couriers.map((c) => c.onTime));
  const lastPlacement = Math.max(...instance.orders.map((o) => o.placementTime));
  const lastOff = Math.max(...couriers.map((c) => c.offTime));
  for (let t = firstMinute; t <= lastOff; t++) {
    clock.set(t * MINUTE);
    for (const o of byMinute.get(t) ?? []) {
      engine.submitOrder({
        id: o.id,
        storeId: o.restaurant,
        drop: toGeo(o),
        placedAt: o.placementTime * MINUTE,
        readyAt: o.readyTime * MINUTE,
        promisedAt: (o.placementTime + p.targetClickToDoor) * MINUTE,
      });
    }
    if (engine.pendingOrderCount() === 0) {
      if (t >= lastPlacement) break;
      continue;
    }
    const riders: Rider[] = [];
    for (const c of couriers) {
      if (c.offTime < t) continue;
      riders.push({
        id: c.id,
        location: c.location,
        availableAt: Math.max(c.freeAt, c.onTime) * MINUTE,
        shiftEndsAt: c.offTime * MINUTE,
      });
    }
    const round = engine.round(riders);
    onRound(t, round);
    for (const s of round.sealed) regrets.push(s.regret);
    for (const plan of round.committed) execute(plan);
  }
  return {
    instance: instance.name,
    solution: { assignments, orders, moves },
    regrets,
    elapsedMs: performance.now() - started,
  };
}

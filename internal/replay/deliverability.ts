/**
 * Which orders could ANY courier have delivered at all? A lower bound on undelivered orders, independent of the
 * dispatcher: an order is *structurally deliverable* when some courier, serving nothing else and placed optimally in
 * advance, could pick it up before its off_time. The most generous reading of the rules: the courier enters at its
 * start at on_time and drives straight to the restaurant (any earlier position is only reachable through that start),
 * then pickup = max(ready, arrival + pickup half-service) must be ≤ off_time. Placement needs no separate check:
 * ready ≥ placement, and a courier already waiting at the restaurant can be assigned at placement.
 *
 * Orders that fail this for every courier can never be delivered by any algorithm; every other undelivered order was
 * lost to scheduling (couriers busy elsewhere), not to the instance.
 */
import type { MdrpInstance, MdrpOrder } from './instance.ts';
import type { Solution } from './solution.ts';
import { travelMinutes } from './travel-model.ts';

/** Earliest pickup of `order` by `courier` in isolation (minutes), or null when it is after the courier's off_time. */
export function isolatedPickup(
  instance: MdrpInstance,
  order: MdrpOrder,
  courier: MdrpInstance['couriers'][number],
): number | null {
  const restaurant = instance.restaurants.find((r) => r.id === order.restaurant);
  if (!restaurant) return null;
  const half = instance.parameters.pickupServiceMinutes / 2;
  const arrive = courier.onTime + travelMinutes(courier, restaurant, instance.parameters.metersPerMinute);
  const pickup = Math.max(order.readyTime, arrive + half);
  return pickup <= courier.offTime ? pickup : null;
}

export interface DeliverabilityReport {
  readonly orders: number;
  /** Orders no courier could pick up before its off_time, even serving nothing else. */
  readonly structurallyUndeliverable: readonly string[];
  /** Orders left undelivered by the solution. */
  readonly undelivered: readonly string[];
  /** Undelivered although some courier could have served them in isolation. */
  readonly lostToScheduling: readonly string[];
}

/** The set of orders some courier could serve in isolation. */
export function deliverableOrders(instance: MdrpInstance): Set<string> {
  const restaurants = new Map(instance.restaurants.map((r) => [r.id, r]));
  const half = instance.parameters.pickupServiceMinutes / 2;
  const v = instance.parameters.metersPerMinute;
  const ok = new Set<string>();
  for (const order of instance.orders) {
    const r = restaurants.get(order.restaurant);
    if (!r) continue;
    for (const c of instance.couriers) {
      // Cheap rejection first: the courier's shift ends before the food is ready.
      if (c.offTime < order.readyTime) continue;
      const pickup = Math.max(order.readyTime, c.onTime + travelMinutes(c, r, v) + half);
      if (pickup <= c.offTime) {
        ok.add(order.id);
        break;
      }
    }
  }
  return ok;
}

/** Splits a solution's undelivered orders into structurally undeliverable and lost to scheduling. */
export function analyseDeliverability(instance: MdrpInstance, solution: Solution): DeliverabilityReport {
  const deliverable = deliverableOrders(instance);
  const delivered = new Set(solution.orders.map((o) => o.order));
  const undelivered = instance.orders.filter((o) => !delivered.has(o.id)).map((o) => o.id);
  return {
    orders: instance.orders.length,
    structurallyUndeliverable: instance.orders.filter((o) => !deliverable.has(o.id)).map((o) => o.id),
    undelivered,
    lostToScheduling: undelivered.filter((id) => deliverable.has(id)),
  };
}

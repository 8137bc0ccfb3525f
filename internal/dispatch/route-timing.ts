/**
 * Timing of one store pickup followed by drops, with the service model shared by every caller:
 * pickup = max(ready, arrival + pickupBefore), leave = pickup + pickupAfter; drop = arrival + dropBefore,
 * leave = drop + dropAfter. Times in ms, durations from the TravelTime port in seconds.
 */
import type { ServiceTimes } from './params.ts';
import type { TravelTime } from './travel-time.ts';
import type { DropStop, GeoPoint, Order } from './types.ts';

const S = 1000;

/** Drops after leaving the store at `leaveStoreAt`, in `sequence` order. */
export function timeDrops(
  store: GeoPoint,
  leaveStoreAt: number,
  sequence: readonly Pick<Order, 'id' | 'drop'>[],
  travel: TravelTime,
  service: ServiceTimes,
): DropStop[] {
  const stops: DropStop[] = [];
  let at = store;
  let t = leaveStoreAt;
  for (const order of sequence) {
    const arriveAt = t + travel.durationSeconds(at, order.drop) * S;
    const dropAt = arriveAt + service.dropBeforeSeconds * S;
    const leaveAt = dropAt + service.dropAfterSeconds * S;
    stops.push({ orderId: order.id, location: order.drop, arriveAt, dropAt, leaveAt });
    at = order.drop;
    t = leaveAt;
  }
  return stops;
}

/** Seconds from leaving the store to leaving the last drop: driving plus drop service. */
export function routeSeconds(
  store: GeoPoint,
  sequence: readonly Order[],
  travel: TravelTime,
  service: ServiceTimes,
): number {
  let total = 0;
  let at = store;
  for (const order of sequence) {
    total += travel.durationSeconds(at, order.drop) + service.dropBeforeSeconds + service.dropAfterSeconds;
    at = order.drop;
  }
  return total;
}

/** Latest ready time of a set of orders (ms). */
export function latestReady(orders: readonly Order[]): number {
  let t = -Infinity;
  for (const o of orders) t = Math.max(t, o.readyAt);
  return t;
}

/** Pickup time for a rider arriving at `arriveAt` for food ready at `readyAt`. */
export function pickupTime(arriveAt: number, readyAt: number, service: ServiceTimes): number {
  return Math.max(readyAt, arriveAt + service.pickupBeforeSeconds * S);
}

/** ETA of an order delivered alone by a rider waiting at the store when it is ready. */
export function soloEta(order: Order, store: GeoPoint, travel: TravelTime, service: ServiceTimes): number {
  return (
    order.readyAt +
    (service.pickupAfterSeconds + travel.durationSeconds(store, order.drop) + service.dropBeforeSeconds) * S
  );
}

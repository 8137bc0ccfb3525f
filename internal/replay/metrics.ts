/**
 * The quality metrics of one solution, computed from the solution and the instance only (not from dispatcher state):
 * % undelivered, click-to-door (drop-off − placement) mean/p90, overage mean of max(0, click-to-door − target),
 * ready-to-pickup mean/p90, courier utilisation ((driving + pickup service per pickup + drop-off service per drop) ÷
 * shift length) mean/p10, cost per order (each courier earns max(pay × orders, guarantee × shift hours), total ÷ orders
 * delivered), orders per bundle.
 */
import type { MdrpInstance, PlanePoint } from './instance.ts';
import { START_LOCATION, type Solution } from './solution.ts';
import { travelMinutes } from './travel-model.ts';

export interface Metrics {
  readonly orders: number;
  readonly delivered: number;
  readonly undeliveredPct: number;
  readonly clickToDoorMean: number;
  readonly clickToDoorP90: number;
  readonly overageMean: number;
  readonly readyToPickupMean: number;
  readonly readyToPickupP90: number;
  readonly utilisationMean: number;
  readonly utilisationP10: number;
  readonly costPerOrder: number;
  readonly ordersPerBundle: number;
}

/** Percentile with linear interpolation between closest ranks (numpy's default); NaN for no values. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Resolves solution location names (0, restaurant id, order id) to plane points. */
export function locationResolver(instance: MdrpInstance): (courier: string, ref: string) => PlanePoint | undefined {
  const restaurants = new Map(instance.restaurants.map((r) => [r.id, r as PlanePoint]));
  const orders = new Map(instance.orders.map((o) => [o.id, o as PlanePoint]));
  const couriers = new Map(instance.couriers.map((c) => [c.id, c as PlanePoint]));
  return (courier, ref) => (ref === START_LOCATION ? couriers.get(courier) : (restaurants.get(ref) ?? orders.get(ref)));
}

export function computeMetrics(instance: MdrpInstance, solution: Solution): Metrics {
  const p = instance.parameters;
  const orderById = new Map(instance.orders.map((o) => [o.id, o]));
  const delivered = solution.orders.filter((o) => orderById.has(o.order));
  const ctd = delivered.map((o) => o.dropoffTime - orderById.get(o.order)!.placementTime);
  const r2p = delivered.map((o) => o.pickupTime - orderById.get(o.order)!.readyTime);

  const locate = locationResolver(instance);
  const driving = new Map<string, number>();
  for (const m of solution.moves) {
    const a = locate(m.courier, m.origin);
    const b = locate(m.courier, m.destination);
    if (!a || !b) continue;
    driving.set(m.courier, (driving.get(m.courier) ?? 0) + travelMinutes(a, b, p.metersPerMinute));
  }
  const pickups = new Map<string, number>();
  for (const a of solution.assignments) pickups.set(a.courier, (pickups.get(a.courier) ?? 0) + 1);
  const drops = new Map<string, number>();
  for (const o of delivered) drops.set(o.courier, (drops.get(o.courier) ?? 0) + 1);

  const utilisation: number[] = [];
  let pay = 0;
  for (const c of instance.couriers) {
    const shift = c.offTime - c.onTime;
    const n = drops.get(c.id) ?? 0;
    const busy =
      (driving.get(c.id) ?? 0) + p.pickupServiceMinutes * (pickups.get(c.id) ?? 0) + p.dropoffServiceMinutes * n;
    if (shift > 0) utilisation.push(busy / shift);
    pay += Math.max(p.payPerOrder * n, p.guaranteedPayPerHour * (shift / 60));
  }
  const total = instance.orders.length;
  return {
    orders: total,
    delivered: delivered.length,
    undeliveredPct: total === 0 ? 0 : (100 * (total - delivered.length)) / total,
    clickToDoorMean: mean(ctd),
    clickToDoorP90: percentile(ctd, 0.9),
    overageMean: mean(ctd.map((v) => Math.max(0, v - p.targetClickToDoor))),
    readyToPickupMean: mean(r2p),
    readyToPickupP90: percentile(r2p, 0.9),
    utilisationMean: mean(utilisation),
    utilisationP10: percentile(utilisation, 0.1),
    costPerOrder: delivered.length === 0 ? NaN : pay / delivered.length,
    ordersPerBundle: solution.assignments.length === 0 ? NaN : delivered.length / solution.assignments.length,
  };
}

export const METRIC_KEYS = [
  'undeliveredPct',
  'clickToDoorMean',
  'clickToDoorP90',
  'overageMean',
  'readyToPickupMean',
  'readyToPickupP90',
  'utilisationMean',
  'utilisationP10',
  'costPerOrder',
  'ordersPerBundle',
] as const satisfies readonly (keyof Metrics)[];

/** Mean of each metric over instances (each instance weighs the same, as in the paper). */
export function meanMetrics(all: readonly Metrics[]): Metrics {
  const m = (k: keyof Metrics) => mean(all.map((x) => x[k]));
  return {
    orders: all.reduce((a, x) => a + x.orders, 0),
    delivered: all.reduce((a, x) => a + x.delivered, 0),
    undeliveredPct: m('undeliveredPct'),
    clickToDoorMean: m('clickToDoorMean'),
    clickToDoorP90: m('clickToDoorP90'),
    overageMean: m('overageMean'),
    readyToPickupMean: m('readyToPickupMean'),
    readyToPickupP90: m('readyToPickupP90'),
    utilisationMean: m('utilisationMean'),
    utilisationP10: m('utilisationP10'),
    costPerOrder: m('costPerOrder'),
    ordersPerBundle: m('ordersPerBundle'),
  };
}

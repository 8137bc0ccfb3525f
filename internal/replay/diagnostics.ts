/**
 * Where does ready-to-pickup (food waiting for its courier) come from? For every delivered order, split
 * pickup − ready into three parts, from the instance and the solution only:
 *
 *  - **positional**: no courier could have been there earlier. The earliest pickup any courier could have made serving
 *    nothing else, given only the commitments the solution had made *before the order was placed* (a courier is at its
 *    start from on_time, or at the last drop of its latest earlier assignment once that drop is done), and no pickup
 *    after its off_time: max(ready, free + travel + half the pickup service) − ready. A relaxation: couriers are
 *    assumed free for this order alone, so the sum over orders is a lower bound for this solution's positions only.
 *  - **partner**: the order was bundled with an order whose food was ready later (pickup = the bundle's latest ready).
 *  - **competition**: the rest — a courier who could have been there was given other work, or a later/worse courier was
 *    chosen. Can be slightly negative (a courier committed in the same minute as the placement is counted as busy).
 */
import type { MdrpInstance, PlanePoint } from './instance.ts';
import type { Solution } from './solution.ts';
import { travelMinutes } from './travel-model.ts';

export interface ReadyToPickupSplit {
  readonly delivered: number;
  /** Means over delivered orders, minutes. */
  readonly readyToPickup: number;
  readonly positional: number;
  readonly partner: number;
  readonly competition: number;
}

interface Commitment {
  readonly at: number;
  readonly freeAt: number;
  readonly location: PlanePoint;
}

/** Splits the solution's ready-to-pickup into positional, partner and competition parts (see the module comment). */
export function splitReadyToPickup(instance: MdrpInstance, solution: Solution): ReadyToPickupSplit {
  const p = instance.parameters;
  const orders = new Map(instance.orders.map((o) => [o.id, o]));
  const restaurants = new Map(instance.restaurants.map((r) => [r.id, r]));
  const dropOf = new Map(solution.orders.map((o) => [o.order, o]));
  const commitments = new Map<string, Commitment[]>();
  const bundleReady = new Map<string, number>();
  for (const a of solution.assignments) {
    const last = a.orders[a.orders.length - 1];
    const lastDrop = last === undefined ? undefined : dropOf.get(last);
    const lastOrder = last === undefined ? undefined : orders.get(last);
    if (lastDrop && lastOrder) {
      const list = commitments.get(a.courier) ?? [];
      list.push({
        at: a.assignmentTime,
        freeAt: lastDrop.dropoffTime + p.dropoffServiceMinutes / 2,
        location: lastOrder,
      });
      commitments.set(a.courier, list);
    }
    const ready = Math.max(...a.orders.map((id) => orders.get(id)?.readyTime ?? -Infinity));
    for (const id of a.orders) bundleReady.set(id, ready);
  }
  for (const list of commitments.values()) list.sort((x, y) => x.at - y.at);

  let total = 0;
  let positional = 0;
  let partner = 0;
  let n = 0;
  for (const delivered of solution.orders) {
    const order = orders.get(delivered.order);
    const restaurant = order && restaurants.get(order.restaurant);
    if (!order || !restaurant) continue;
    const placed = order.placementTime;
    let earliest = Infinity;
    for (const c of instance.couriers) {
      let state: { freeAt: number; location: PlanePoint } = { freeAt: c.onTime, location: c };
      for (const k of commitments.get(c.id) ?? []) {
        if (k.at >= placed) break;
        state = k;
      }
      const depart = Math.max(placed, state.freeAt, c.onTime);
      const pickup = Math.max(
        order.readyTime,
        depart + travelMinutes(state.location, restaurant, p.metersPerMinute) + p.pickupServiceMinutes / 2,
      );
      if (pickup <= c.offTime && pickup < earliest) earliest = pickup;
    }
    const actual = delivered.pickupTime - order.readyTime;
    const bound = Number.isFinite(earliest) ? earliest - order.readyTime : actual;
    total += actual;
    positional += Math.min(bound, actual);
    partner += Math.max(0, (bundleReady.get(order.id) ?? order.readyTime) - order.readyTime);
    n++;
  }
  const m = (x: number) => (n === 0 ? 0 : x / n);
  return {
    delivered: n,
    readyToPickup: m(total),
    positional: m(positional),
    partner: m(partner),
    competition: m(total - positional - partner),
  };
}

/** Plain-text table of the split per instance and its mean over instances. */
export function formatSplitTable(rows: ReadonlyArray<{ instance: string; split: ReadyToPickupSplit }>): string {
  const head = ['instance', 'r2p', 'positional', 'partner', 'competition'];
  const width = Math.max(16, ...rows.map((r) => r.instance.length));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width) : c.padStart(11))).join('  ');
  const fmt = (s: ReadyToPickupSplit) =>
    [s.readyToPickup, s.positional, s.partner, s.competition].map((v) => v.toFixed(2));
  const mean = (key: keyof ReadyToPickupSplit) => rows.reduce((a, r) => a + r.split[key], 0) / Math.max(1, rows.length);
  const out = [line(head), line(head.map((_h, i) => '-'.repeat(i === 0 ? width : 11)))];
  for (const r of rows) out.push(line([r.instance, ...fmt(r.split)]));
  out.push(line(head.map((_h, i) => '-'.repeat(i === 0 ? width : 11))));
  out.push(
    line([
      `MEAN (${rows.length})`,
      ...(['readyToPickup', 'positional', 'partner', 'competition'] as const).map((k) => mean(k).toFixed(2)),
    ]),
  );
  return out.join('\n');
}

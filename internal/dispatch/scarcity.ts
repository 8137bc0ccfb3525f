/**
 * Bundling under rider scarcity (after Reyes et al. 2018: the target bundle size grows with the ratio of orders waiting to
 * couriers available). When more orders are due than riders can take one at a time, a rider who carries two orders of
 * one store does the work of two riders for one trip to the store and one pickup service, so pending batches of the same
 * store are merged — even sealed ones, and even across hot paths — as long as nobody's delivery is pushed back by more
 * than `scarceBundleDelaySeconds` compared with going alone *from now* (a waiting order's alternative is not its ready
 * time, it is the next free rider).
 */
import type { DispatchParams } from './params.ts';
import { orderDrops } from './route-optimizer.ts';
import { latestReady, routeSeconds, timeDrops } from './route-timing.ts';
import type { TravelTime } from './travel-time.ts';
import type { Batch, Order, Rider, Store } from './types.ts';

const S = 1000;

/**
 * Orders due (ready within the scarcity window) per rider available within it, and the bundle size it asks for:
 * ceil(ratio / scarcityThreshold) clamped to [2, batchCapacity] once ratio exceeds scarcityThreshold, else 1.
 */
export function targetBundleSize(
  batches: Iterable<Batch>,
  riders: readonly Rider[],
  now: number,
  params: DispatchParams,
): { ratio: number; size: number } {
  const until = now + params.scarcityWindowSeconds * S;
  let orders = 0;
  for (const b of batches) if (b.readyAt <= until) orders += b.orders.length;
  let available = 0;
  for (const r of riders) if (r.availableAt <= until && r.shiftEndsAt > now) available++;
  const ratio = orders / Math.max(1, available);
  if (ratio <= params.scarcityThreshold) return { ratio, size: 1 };
  return { ratio, size: Math.min(params.batchCapacity, Math.max(2, Math.ceil(ratio / params.scarcityThreshold))) };
}

/** Timing of `sequence` picked up at max(now, latest ready); null when someone is delayed too much. */
export function scarceBundleCheck(
  store: Store,
  sequence: readonly Order[],
  now: number,
  travel: TravelTime,
  params: DispatchParams,
): { routeSeconds: number } | null {
  const { service } = params;
  const pickup = Math.max(now, latestReady(sequence));
  const drops = timeDrops(store.location, pickup + service.pickupAfterSeconds * S, sequence, travel, service);
  for (let i = 0; i < sequence.length; i++) {
    const order = sequence[i]!;
    const alone =
      Math.max(now, order.readyAt) +
      (service.pickupAfterSeconds + travel.durationSeconds(store.location, order.drop) + service.dropBeforeSeconds) * S;
    if (drops[i]!.dropAt - alone > params.scarceBundleDelaySeconds * S) return null;
  }
  return { routeSeconds: routeSeconds(store.location, sequence, travel, service) };
}

export interface Merge {
  /** The batch that absorbed the other. */
  readonly into: Batch;
  readonly absorbed: Batch;
  readonly sequence: readonly Order[];
  /** Route seconds saved versus the two batches apart (the second trip's pickup service and its store→drop leg). */
  readonly savedSeconds: number;
}

/**
 * Greedy merge plan for one store's pending batches (oldest food first): each batch absorbs the partner with the
 * largest saving while the result stays within `size` orders and passes `scarceBundleCheck`. Does not mutate.
 */
export function planMerges(
  store: Store,
  batches: readonly Batch[],
  size: number,
  now: number,
  travel: TravelTime,
  params: DispatchParams,
): Merge[] {
  if (size < 2 || batches.length < 2) return [];
  const pool = [...batches].sort((a, b) => a.readyAt - b.readyAt);
  const orders = new Map(pool.map((b) => [b.id, [...b.orders]]));
  const alive = new Set(pool.map((b) => b.id));
  const merges: Merge[] = [];
  for (const a of pool) {
    if (!alive.has(a.id)) continue;
    for (;;) {
      const mine = orders.get(a.id)!;
      if (mine.length >= size) break;
      const routeA = routeSeconds(store.location, mine, travel, params.service);
      let best: { b: Batch; sequence: Order[]; saved: number } | null = null;
      for (const b of pool) {
        if (b === a || !alive.has(b.id)) continue;
        const theirs = orders.get(b.id)!;
        if (mine.length + theirs.length > size) continue;
        const sequence = orderDrops(store, [...mine, ...theirs], travel, params);
        const check = scarceBundleCheck(store, sequence, now, travel, params);
        if (!check) continue;
        const apart =
          routeA +
          routeSeconds(store.location, theirs, travel, params.service) +
          params.service.pickupBeforeSeconds +
          params.service.pickupAfterSeconds;
        const saved = apart - check.routeSeconds;
        if (saved < 0) continue;
        if (best === null || saved > best.saved) best = { b, sequence, saved };
      }
      if (!best) break;
      alive.delete(best.b.id);
      orders.set(a.id, best.sequence);
      merges.push({ into: a, absorbed: best.b, sequence: best.sequence, savedSeconds: best.saved });
    }
  }
  return merges;
}

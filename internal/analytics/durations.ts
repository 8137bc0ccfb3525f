import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { ordersWhere, type ResolvedFilter } from './analytics-filter.ts';
import { CLICK_TO_DOOR_BOUNDS_S, distributionOf, READY_TO_PICKUP_BOUNDS_S, type Distribution } from './distribution.ts';

/** Seconds from placement to the confirmed drop, over the delivered orders placed in the range. */
export function clickToDoor(db: Kysely<Database>, f: ResolvedFilter): Promise<Distribution> {
  return distributionOf(
    db,
    sql<number>`extract(epoch from o.delivered_at - o.placed_at)`,
    sql`from orders o where ${ordersWhere(f)} and o.delivered_at is not null`,
    CLICK_TO_DOOR_BOUNDS_S,
  );
}

/**
 * Seconds from the store marking the order ready to the rider's pickup, over the picked-up orders placed in the range
 * that were marked ready; 0 for an order picked up before it was marked.
 */
export function readyToPickup(db: Kysely<Database>, f: ResolvedFilter): Promise<Distribution> {
  return distributionOf(
    db,
    sql<number>`greatest(0, extract(epoch from o.picked_up_at - o.ready_marked_at))`,
    sql`from orders o where ${ordersWhere(f)} and o.picked_up_at is not null and o.ready_marked_at is not null`,
    READY_TO_PICKUP_BOUNDS_S,
  );
}

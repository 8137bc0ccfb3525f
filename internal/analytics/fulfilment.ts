import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { ordersWhere, type ResolvedFilter } from './analytics-filter.ts';

/** What became of the orders placed in the range. */
export interface Fulfilment {
  placed: number;
  delivered: number;
  cancelled: number;
  /** Neither delivered nor cancelled (yet). */
  in_progress: number;
  /** delivered / placed; null while nothing was placed. */
  fulfilment_rate: number | null;
  /** cancelled / placed; null while nothing was placed. */
  cancellation_rate: number | null;
  cancelled_by_reason: { customer: number; drop_unreachable: number };
}

/** Fulfilment and cancellation over the orders placed in the range (store, area). */
export async function fulfilment(db: Kysely<Database>, f: ResolvedFilter): Promise<Fulfilment> {
  const { rows } = await sql<Record<string, string>>`
    select count(*) as placed,
      count(*) filter (where o.status = 'delivered') as delivered,
      count(*) filter (where o.status = 'cancelled') as cancelled,
      count(*) filter (where o.status = 'cancelled' and o.cancel_reason = 'customer') as customer,
      count(*) filter (where o.status = 'cancelled' and o.cancel_reason = 'drop_unreachable') as drop_unreachable
    from orders o where ${ordersWhere(f)}`.execute(db);
  const r = rows[0]!;
  const [placed, delivered, cancelled] = [Number(r.placed), Number(r.delivered), Number(r.cancelled)];
  return {
    placed,
    delivered,
    cancelled,
    in_progress: placed - delivered - cancelled,
    fulfilment_rate: placed === 0 ? null : delivered / placed,
    cancellation_rate: placed === 0 ? null : cancelled / placed,
    cancelled_by_reason: { customer: Number(r.customer), drop_unreachable: Number(r.drop_unreachable) },
  };
}

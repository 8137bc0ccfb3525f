import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { READY_TO_ASSIGNED_BUCKETS, READY_TO_ASSIGNED_SLA_S } from '../pipeline/dispatch-metrics.ts';

export interface SlaStats {
  /** Orders given a rider within the window. */
  count: number;
  /** Seconds; all null while `count` is 0. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Share of those orders assigned within `sla_s` of being marked ready. */
  within_sla: number | null;
  sla_s: number;
  window_minutes: number;
  /** Cumulative counts at the bounds of the `dispatch_ready_to_assigned_seconds` histogram (`le` in seconds). */
  buckets: Array<{ le: number; count: number }>;
}

/**
 * The ready → assigned SLA over the orders assigned in the last `windowMinutes` (up to `nowMs`, the injected clock).
 * The same quantity, clamp and bucket bounds as the worker's `dispatch_ready_to_assigned_seconds` histogram — seconds
 * from `ready_marked_at` to `assigned_at`, 0 for an order assigned before it was marked ready — read from Postgres, so
 * the API answers for every worker however many there are. Percentiles are exact (`percentile_cont`).
 */
export async function slaStats(db: Kysely<Database>, nowMs: number, windowMinutes: number): Promise<SlaStats> {
  const now = new Date(nowMs);
  const since = new Date(nowMs - windowMinutes * 60_000);
  const wait = sql<number>`greatest(0, extract(epoch from assigned_at - coalesce(ready_marked_at, assigned_at)))::float8`;
  const row = await db
    .selectFrom('orders')
    .where('assigned_at', 'is not', null)
    .where('assigned_at', '>', since)
    .where('assigned_at', '<=', now)
    .select([
      sql<string>`count(*)`.as('count'),
      sql<number | null>`percentile_cont(0.5) within group (order by ${wait})`.as('p50'),
      sql<number | null>`percentile_cont(0.95) within group (order by ${wait})`.as('p95'),
      sql<number | null>`percentile_cont(0.99) within group (order by ${wait})`.as('p99'),
      sql<number[]>`array[${sql.join(
        READY_TO_ASSIGNED_BUCKETS.map((le) => sql`count(*) filter (where ${wait} <= ${sql.lit(le)})`),
      )}]::int[]`.as('buckets'),
    ])
    .executeTakeFirstOrThrow();
  const count = Number(row.count);
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  const cumulative = row.buckets.map(Number);
  const atSla = cumulative[READY_TO_ASSIGNED_BUCKETS.indexOf(READY_TO_ASSIGNED_SLA_S)] ?? 0;
  return {
    count,
    p50: num(row.p50),
    p95: num(row.p95),
    p99: num(row.p99),
    within_sla: count === 0 ? null : atSla / count,
    sla_s: READY_TO_ASSIGNED_SLA_S,
    window_minutes: windowMinutes,
    buckets: READY_TO_ASSIGNED_BUCKETS.map((le, i) => ({ le, count: cumulative[i] ?? 0 })),
  };
}

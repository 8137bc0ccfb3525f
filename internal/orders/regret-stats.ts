import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/** Regret above this share of the estimate counts as a bad batching decision. */
export const REGRET_THRESHOLD = 0.2;

export interface RegretStats {
  count: number;
  /** All null when there are no rows. */
  mean: number | null;
  p50: number | null;
  p95: number | null;
  /** Share of batches whose regret exceeds {@link REGRET_THRESHOLD}. */
  share_above_threshold: number | null;
  threshold: number;
}

/**
 * Summary of `batch_regret` ((refined − estimated) / estimated per batch), computed by Postgres in one query:
 * percentiles are continuous (`percentile_cont`, linear interpolation), as is usual for latency-like figures.
 */
export async function regretStats(db: Kysely<Database>): Promise<RegretStats> {
  const row = await db
    .selectFrom('batch_regret')
    .select([
      sql<string>`count(*)`.as('count'),
      sql<number | null>`avg(regret)`.as('mean'),
      sql<number | null>`percentile_cont(0.5) within group (order by regret)`.as('p50'),
      sql<number | null>`percentile_cont(0.95) within group (order by regret)`.as('p95'),
      sql<number | null>`avg(case when regret > ${REGRET_THRESHOLD} then 1.0 else 0.0 end)::double precision`.as(
        'share',
      ),
    ])
    .executeTakeFirstOrThrow();
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return {
    count: Number(row.count),
    mean: num(row.mean),
    p50: num(row.p50),
    p95: num(row.p95),
    share_above_threshold: num(row.share),
    threshold: REGRET_THRESHOLD,
  };
}

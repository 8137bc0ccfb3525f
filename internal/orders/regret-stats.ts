import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/** Regret above this many weighted seconds counts as a bad batching decision (a minute of someone's time). */
export const REGRET_THRESHOLD_S = 60;

export interface RegretStats {
  /** Batches whose regret in hindsight has been computed (delivered, decision window over). */
  count: number;
  /** Weighted seconds (docs/dispatch-quality.md, "Regret"); all null when there are no rows. */
  mean: number | null;
  p50: number | null;
  p95: number | null;
  /** Share of batches whose regret exceeds {@link REGRET_THRESHOLD_S}. */
  share_above_threshold: number | null;
  threshold: number;
  /** Mean of regret / realised cost. */
  mean_relative: number | null;
  unit: 'weighted_seconds';
}

/**
 * Summary of the regret in hindsight of every batch that has one (`batch_regret.regret_s`), computed by Postgres in one
 * query: percentiles are continuous (`percentile_cont`, linear interpolation), as is usual for latency-like figures.
 */
export async function regretStats(db: Kysely<Database>): Promise<RegretStats> {
  const row = await db
    .selectFrom('batch_regret')
    .where('regret_s', 'is not', null)
    .select([
      sql<string>`count(*)`.as('count'),
      sql<number | null>`avg(regret_s)`.as('mean'),
      sql<number | null>`percentile_cont(0.5) within group (order by regret_s)`.as('p50'),
      sql<number | null>`percentile_cont(0.95) within group (order by regret_s)`.as('p95'),
      sql<number | null>`avg(case when regret_s > ${REGRET_THRESHOLD_S} then 1.0 else 0.0 end)::double precision`.as(
        'share',
      ),
      sql<number | null>`avg(relative)`.as('mean_relative'),
    ])
    .executeTakeFirstOrThrow();
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return {
    count: Number(row.count),
    mean: num(row.mean),
    p50: num(row.p50),
    p95: num(row.p95),
    share_above_threshold: num(row.share),
    threshold: REGRET_THRESHOLD_S,
    mean_relative: num(row.mean_relative),
    unit: 'weighted_seconds',
  };
}

import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import { num } from './analytics-filter.ts';

/** A distribution of seconds: exact percentiles (`percentile_cont`) and a histogram. */
export interface Distribution {
  count: number;
  /** All null while `count` is 0. */
  mean_s: number | null;
  p50_s: number | null;
  p90_s: number | null;
  p99_s: number | null;
  /** Counts in (previous bound, `le`] seconds; the last bucket (`le` null) holds what lies above the last bound. */
  buckets: Array<{ le: number | null; count: number }>;
}

/** Click-to-door bounds, seconds: 5-minute steps to an hour, then 90 and 120 minutes. */
export const CLICK_TO_DOOR_BOUNDS_S = [600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 3000, 3600, 5400, 7200] as const;
/** Ready-to-pickup bounds, seconds. */
export const READY_TO_PICKUP_BOUNDS_S = [30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800] as const;

/**
 * The distribution of `value` over the rows of `from` (a SQL `from … where …` fragment) where `value` is not null.
 */
export async function distributionOf(
  db: Kysely<Database>,
  value: RawBuilder<number>,
  from: RawBuilder<unknown>,
  bounds: readonly number[],
): Promise<Distribution> {
  const v = sql`(${value})::float8`;
  const { rows } = await sql<{
    count: string;
    mean: unknown;
    p50: unknown;
    p90: unknown;
    p99: unknown;
    cumulative: unknown[];
  }>`
    select count(*) as count, avg(x.v) as mean,
      percentile_cont(0.5) within group (order by x.v) as p50,
      percentile_cont(0.9) within group (order by x.v) as p90,
      percentile_cont(0.99) within group (order by x.v) as p99,
      array[${sql.join(bounds.map((le) => sql`count(*) filter (where x.v <= ${sql.lit(le)})`))}]::int[] as cumulative
    from (select ${v} as v ${from}) x
    where x.v is not null`.execute(db);
  const row = rows[0]!;
  const count = Number(row.count);
  const cumulative = row.cumulative.map(Number);
  const buckets: Distribution['buckets'] = bounds.map((le, i) => ({
    le,
    count: cumulative[i]! - (i === 0 ? 0 : cumulative[i - 1]!),
  }));
  buckets.push({ le: null, count: count - (cumulative[cumulative.length - 1] ?? 0) });
  return { count, mean_s: num(row.mean), p50_s: num(row.p50), p90_s: num(row.p90), p99_s: num(row.p99), buckets };
}

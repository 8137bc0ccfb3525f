import { sql, type Kysely } from 'kysely';
import type { Database, RegretAlternativeColumn } from '../db/schema.ts';
import { batchesWhere, num, type ResolvedFilter } from './analytics-filter.ts';

/** Regret figures of a set of batch decisions: weighted seconds (docs/dispatch-quality.md, "Regret"). */
export interface RegretFigures {
  batches: number;
  /** All null while `batches` is 0. */
  mean_s: number | null;
  p50_s: number | null;
  p90_s: number | null;
  p95_s: number | null;
  /** Mean of regret / realised cost. */
  mean_relative: number | null;
  /** Share of decisions with a better alternative (regret > 0). */
  share_with_regret: number | null;
}

export interface RegretByStoreHour {
  /** Every decision in the range. */
  overall: RegretFigures & {
    /** Decisions per best alternative (`as_executed` = nothing better was found). */
    alternatives: Array<{ alternative: RegretAlternativeColumn; batches: number }>;
  };
  /** One row per store and UTC hour of decision with at least one decision, by hour then store name. */
  cells: Array<RegretFigures & { store_id: string; store_name: string; hour: string }>;
}

const figures = sql`count(*) as batches, avg(r.regret_s) as mean,
  percentile_cont(0.5) within group (order by r.regret_s) as p50,
  percentile_cont(0.9) within group (order by r.regret_s) as p90,
  percentile_cont(0.95) within group (order by r.regret_s) as p95,
  avg(r.relative) as mean_relative,
  avg(case when r.regret_s > 0 then 1.0 else 0.0 end) as share`;

const figuresOf = (r: Record<string, unknown>): RegretFigures => ({
  batches: Number(r.batches),
  mean_s: num(r.mean),
  p50_s: num(r.p50),
  p90_s: num(r.p90),
  p95_s: num(r.p95),
  mean_relative: num(r.mean_relative),
  share_with_regret: num(r.share),
});

/**
 * The distribution of regret in hindsight over the batches decided (rider committed) in the range — of the store,
 * carrying an order of the area — overall and per store × UTC hour of decision. Batches whose regret is not computed
 * yet (not delivered, or decision window not over) are not counted.
 */
export async function regretByStoreHour(db: Kysely<Database>, f: ResolvedFilter): Promise<RegretByStoreHour> {
  const from = sql`from batch_regret r join batches b on b.id = r.batch_id join stores s on s.id = b.store_id
    where r.regret_s is not null and r.decided_at >= ${f.from} and r.decided_at < ${f.to} and ${batchesWhere(f)}`;
  const hour = sql`date_trunc('hour', r.decided_at at time zone 'UTC') at time zone 'UTC'`;
  const [overall, alternatives, cells] = await Promise.all([
    sql<Record<string, unknown>>`select ${figures} ${from}`.execute(db),
    sql<{ alternative: RegretAlternativeColumn; batches: string }>`
      select r.alternative, count(*) as batches ${from} group by r.alternative order by count(*) desc, r.alternative`.execute(
      db,
    ),
    sql<Record<string, unknown> & { store_id: string; store_name: string; hour: Date | string }>`
      select b.store_id, s.name as store_name, ${hour} as hour, ${figures} ${from}
      group by b.store_id, s.name, ${hour} order by ${hour}, s.name, b.store_id`.execute(db),
  ]);
  return {
    overall: {
      ...figuresOf(overall.rows[0]!),
      alternatives: alternatives.rows.map((a) => ({ alternative: a.alternative, batches: Number(a.batches) })),
    },
    cells: cells.rows.map((c) => ({
      store_id: c.store_id,
      store_name: c.store_name,
      hour: new Date(c.hour).toISOString(),
      ...figuresOf(c),
    })),
  };
}

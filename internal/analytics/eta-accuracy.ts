import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import { num, ordersWhere, type ResolvedFilter } from './analytics-filter.ts';
import { distributionOf } from './distribution.ts';

/** How far the actual drops fell from one kind of quoted time. Error = drop − quote (positive: late). */
export interface EtaError {
  /** Delivered orders that had this quote. */
  count: number;
  mean_error_s: number | null;
  p90_abs_error_s: number | null;
  /** Share delivered after the quote. */
  share_late: number | null;
  /** Errors in (previous bound, `le`] seconds; the last bucket (`le` null) holds the rest. */
  buckets: Array<{ le: number | null; count: number }>;
}

export interface EtaAccuracy {
  /** The promise made at placement (`orders.promised_at`). */
  promised: EtaError;
  /** The first drop ETA dispatch quoted (`orders.first_eta_at`). */
  first_quoted: EtaError;
}

/** Error bounds, seconds: early is negative. */
export const ETA_ERROR_BOUNDS_S = [-900, -600, -300, -120, -60, 0, 60, 120, 300, 600, 900] as const;

async function errorsAgainst(db: Kysely<Database>, f: ResolvedFilter, quote: RawBuilder<Date>): Promise<EtaError> {
  const err = sql<number>`extract(epoch from o.delivered_at - ${quote})::float8`;
  const where = sql`from orders o where ${ordersWhere(f)} and o.delivered_at is not null and ${quote} is not null`;
  const { rows } = await sql<Record<string, unknown>>`
    select count(*) as count, avg(${err}) as mean,
      percentile_cont(0.9) within group (order by abs(${err})) as p90_abs,
      avg(case when ${err} > 0 then 1.0 else 0.0 end) as late
    ${where}`.execute(db);
  const r = rows[0]!;
  const hist = await distributionOf(db, err, where, ETA_ERROR_BOUNDS_S);
  return {
    count: Number(r.count),
    mean_error_s: num(r.mean),
    p90_abs_error_s: num(r.p90_abs),
    share_late: num(r.late),
    buckets: hist.buckets,
  };
}

/** Promised and first-quoted ETA against the actual drop, over the delivered orders placed in the range. */
export async function etaAccuracy(db: Kysely<Database>, f: ResolvedFilter): Promise<EtaAccuracy> {
  return {
    promised: await errorsAgainst(db, f, sql<Date>`o.promised_at`),
    first_quoted: await errorsAgainst(db, f, sql<Date>`o.first_eta_at`),
  };
}

import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { batchesWhere, num, type ResolvedFilter } from './analytics-filter.ts';

export interface BatchSizes {
  /** Batches sealed in the range. */
  batches: number;
  /** Orders they carry. */
  orders: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  /** How many batches carried each size, ascending. */
  sizes: Array<{ size: number; batches: number }>;
}

/** Orders per batch over the batches sealed in the range (store, area). */
export async function batchSizes(db: Kysely<Database>, f: ResolvedFilter): Promise<BatchSizes> {
  const where = sql`from batches b where b.sealed_at >= ${f.from} and b.sealed_at < ${f.to} and ${batchesWhere(f)}`;
  const { rows } = await sql<Record<string, unknown>>`
    select count(*) as batches, coalesce(sum(b.order_count), 0) as orders, avg(b.order_count) as mean,
      percentile_cont(0.5) within group (order by b.order_count) as p50,
      percentile_cont(0.9) within group (order by b.order_count) as p90,
      percentile_cont(0.99) within group (order by b.order_count) as p99
    ${where}`.execute(db);
  const sizes = await sql<{ size: number; batches: string }>`
    select b.order_count as size, count(*) as batches ${where} group by b.order_count order by b.order_count`.execute(
    db,
  );
  const r = rows[0]!;
  return {
    batches: Number(r.batches),
    orders: Number(r.orders),
    mean: num(r.mean),
    p50: num(r.p50),
    p90: num(r.p90),
    p99: num(r.p99),
    sizes: sizes.rows.map((s) => ({ size: Number(s.size), batches: Number(s.batches) })),
  };
}

import { cellToParent, getResolution } from 'h3-js';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * What every analytics query is asked for: a time range `[from, to)` and optionally one store and one area. The area
 * is an H3 cell: an order is in it when its drop cell (`orders.h3_cell`, at the configured H3 resolution) is the cell
 * or one of its descendants; a batch when it carries such an order; a rider when it carried such a batch.
 */
export interface AnalyticsFilter {
  from: Date;
  to: Date;
  storeId?: string | undefined;
  cell?: string | undefined;
}

/** The filter with the area resolved to the order cells inside it (null: no area filter). */
export interface ResolvedFilter extends AnalyticsFilter {
  cells: string[] | null;
}

/** Whether `child` is `ancestor` or one of its descendants. */
export function isInCell(child: string, ancestor: string): boolean {
  const res = getResolution(ancestor);
  return getResolution(child) >= res && cellToParent(child, res) === ancestor;
}

/**
 * Resolves the area: the distinct drop cells of the orders placed in the range (of the store, if given) that lie in
 * `cell`. H3 has no Postgres extension here, so the hierarchy is walked in JS over those few hundred cells.
 */
export async function resolveFilter(db: Kysely<Database>, filter: AnalyticsFilter): Promise<ResolvedFilter> {
  if (!filter.cell) return { ...filter, cells: null };
  let q = db
    .selectFrom('orders')
    .select('h3_cell')
    .distinct()
    .where('placed_at', '>=', filter.from)
    .where('placed_at', '<', filter.to);
  if (filter.storeId) q = q.where('store_id', '=', filter.storeId);
  const rows = await q.execute();
  const area = filter.cell;
  return { ...filter, cells: rows.map((r) => r.h3_cell).filter((c) => isInCell(c, area)) };
}

/** SQL condition on `orders` aliased `o`: placed in the range, of the store, dropped in the area. */
export function ordersWhere(f: ResolvedFilter): RawBuilder<boolean> {
  const parts: RawBuilder<unknown>[] = [sql`o.placed_at >= ${f.from}`, sql`o.placed_at < ${f.to}`];
  if (f.storeId) parts.push(sql`o.store_id = ${f.storeId}`);
  if (f.cells) parts.push(f.cells.length === 0 ? sql`false` : sql`o.h3_cell in (${sql.join(f.cells)})`);
  return sql<boolean>`(${sql.join(parts, sql` and `)})`;
}

/** SQL condition on `batches` aliased `b`: of the store, carrying an order dropped in the area. */
export function batchesWhere(f: ResolvedFilter): RawBuilder<boolean> {
  const parts: RawBuilder<unknown>[] = [sql`true`];
  if (f.storeId) parts.push(sql`b.store_id = ${f.storeId}`);
  if (f.cells)
    parts.push(
      f.cells.length === 0
        ? sql`false`
        : sql`exists (select 1 from batch_orders fbo join orders fo on fo.id = fbo.order_id
                      where fbo.batch_id = b.id and fo.h3_cell in (${sql.join(f.cells)}))`,
    );
  return sql<boolean>`(${sql.join(parts, sql` and `)})`;
}

/** A number from a Postgres aggregate (numeric and bigint come back as strings), null kept. */
export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

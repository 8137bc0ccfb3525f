import { cellToLatLng, cellToParent, getResolution } from 'h3-js';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { invalidInput } from '../platform/errors.ts';
import { ordersWhere, type ResolvedFilter } from './analytics-filter.ts';

export interface OrdersPerCell {
  resolution: number;
  /** Every hour (UTC, start instant) of the range that saw an order, ascending. */
  hours: string[];
  /** Parent cells, most orders first; `per_hour[i]` counts the orders placed in `hours[i]`. */
  cells: Array<{ cell: string; lat: number; lon: number; orders: number; per_hour: number[] }>;
}

/**
 * Orders placed per hour per H3 parent cell at `resolution` (the parent of each order's drop cell). A resolution finer
 * than the stored cells' is a 400 `analytics.resolution_too_fine`.
 */
export async function ordersPerCell(
  db: Kysely<Database>,
  f: ResolvedFilter,
  resolution: number,
): Promise<OrdersPerCell> {
  const { rows } = await sql<{ hour: Date; cell: string; orders: string }>`
    select (date_trunc('hour', o.placed_at at time zone 'UTC') at time zone 'UTC') as hour, o.h3_cell as cell,
      count(*) as orders
    from orders o where ${ordersWhere(f)}
    group by 1, 2`.execute(db);
  const byCell = new Map<string, Map<number, number>>();
  const hours = new Set<number>();
  for (const r of rows) {
    if (getResolution(r.cell) < resolution)
      throw invalidInput(
        'analytics.resolution_too_fine',
        `resolution ${resolution} is finer than the order cells' (${getResolution(r.cell)})`,
        { resolution, cell_resolution: getResolution(r.cell) },
      );
    const parent = cellToParent(r.cell, resolution);
    const hour = new Date(r.hour).getTime();
    hours.add(hour);
    const counts = byCell.get(parent) ?? new Map<number, number>();
    counts.set(hour, (counts.get(hour) ?? 0) + Number(r.orders));
    byCell.set(parent, counts);
  }
  const sortedHours = [...hours].sort((a, b) => a - b);
  const cells = [...byCell.entries()]
    .map(([cell, counts]) => {
      const [lat, lon] = cellToLatLng(cell);
      const perHour = sortedHours.map((h) => counts.get(h) ?? 0);
      return { cell, lat, lon, orders: perHour.reduce((s, n) => s + n, 0), per_hour: perHour };
    })
    .sort((a, b) => b.orders - a.orders || (a.cell < b.cell ? -1 : 1));
  return { resolution, hours: sortedHours.map((h) => new Date(h).toISOString()), cells };
}

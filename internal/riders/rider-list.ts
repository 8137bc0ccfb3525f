import type { Kysely } from 'kysely';
import { olderThan, pageKeyAt, toPage, type Page, type PageRequest } from '../db/keyset-page.ts';
import type { Database, RiderStatus } from '../db/schema.ts';
import type { RiderView } from './rider-service.ts';

/** Filters of `GET /riders`. */
export interface RiderListFilter {
  status?: RiderStatus | undefined;
}

/**
 * Riders newest first (created_at, then id), each with the batch it carries as `RiderService.get` gives it. Served by
 * the (created_at, id) index of migration 0007; the fleet is small, so a status filter scans it.
 */
export async function listRiders(
  db: Kysely<Database>,
  filter: RiderListFilter,
  page: PageRequest,
): Promise<Page<RiderView>> {
  let query = db
    .selectFrom('riders as r')
    .selectAll('r')
    .select((eb) => [
      eb
        .selectFrom('batches as b')
        .select('b.id')
        .whereRef('b.rider_id', '=', 'r.id')
        .where('b.status', 'in', ['assigned', 'picked_up'])
        .limit(1)
        .as('batch_id'),
      pageKeyAt('r.created_at').as('page_at'),
    ]);
  if (filter.status !== undefined) query = query.where('r.status', '=', filter.status);
  if (page.after !== undefined) query = query.where(olderThan('r.created_at', 'r.id', page.after));
  const rows = await query
    .orderBy('r.created_at', 'desc')
    .orderBy('r.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  return toPage(rows, page.limit, ({ page_at: _at, batch_id, ...rider }) => ({ ...rider, batch_id: batch_id ?? null }));
}

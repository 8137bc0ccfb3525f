import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Clock } from '../platform/clock.ts';
import { invalidInput } from '../platform/errors.ts';
import { resolveFilter, type AnalyticsFilter } from './analytics-filter.ts';
import { batchSizes, type BatchSizes } from './batch-sizes.ts';
import type { Distribution } from './distribution.ts';
import { clickToDoor, readyToPickup } from './durations.ts';
import { etaAccuracy, type EtaAccuracy } from './eta-accuracy.ts';
import { fulfilment, type Fulfilment } from './fulfilment.ts';
import { ordersPerCell, type OrdersPerCell } from './orders-per-cell.ts';
import { regretByStoreHour, type RegretByStoreHour } from './regret.ts';
import { riderUtilisation, type RiderUtilisation } from './rider-utilisation.ts';

/** The longest range one request may cover. */
export const MAX_RANGE_DAYS = 31;
const DAY_MS = 86_400_000;

/** A request's filter before defaults: ISO instants, store id, H3 cell. */
export interface AnalyticsQuery {
  from?: string | undefined;
  to?: string | undefined;
  store_id?: string | undefined;
  cell?: string | undefined;
}

/** Delivery analytics over Postgres (or PGlite): each answer for a time range, a store and an area. */
export interface AnalyticsService {
  /**
   * The filter of a query: `to` defaults to now (the injected clock), `from` to a day before `to`. `from` must be
   * before `to` and at most 31 days before it (400 `analytics.invalid_range`).
   */
  filterOf(query: AnalyticsQuery): AnalyticsFilter;
  fulfilment(filter: AnalyticsFilter): Promise<Fulfilment>;
  clickToDoor(filter: AnalyticsFilter): Promise<Distribution>;
  readyToPickup(filter: AnalyticsFilter): Promise<Distribution>;
  etaAccuracy(filter: AnalyticsFilter): Promise<EtaAccuracy>;
  riderUtilisation(filter: AnalyticsFilter): Promise<RiderUtilisation>;
  batchSizes(filter: AnalyticsFilter): Promise<BatchSizes>;
  ordersPerCell(filter: AnalyticsFilter, resolution: number): Promise<OrdersPerCell>;
  /** Regret in hindsight of the batch decisions in the range, overall and per store × hour. */
  regret(filter: AnalyticsFilter): Promise<RegretByStoreHour>;
}

/** The analytics queries over `db`. */
export function createAnalyticsService(db: Kysely<Database>, clock: Clock): AnalyticsService {
  return {
    filterOf: (q) => {
      const to = q.to ? new Date(q.to) : new Date(clock.now());
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - DAY_MS);
      if (!(from < to)) throw invalidInput('analytics.invalid_range', '`from` must be before `to`', { field: 'from' });
      if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS)
        throw invalidInput('analytics.invalid_range', `the range may cover at most ${MAX_RANGE_DAYS} days`, {
          field: 'from',
        });
      return { from, to, storeId: q.store_id, cell: q.cell };
    },
    fulfilment: async (f) => fulfilment(db, await resolveFilter(db, f)),
    clickToDoor: async (f) => clickToDoor(db, await resolveFilter(db, f)),
    readyToPickup: async (f) => readyToPickup(db, await resolveFilter(db, f)),
    etaAccuracy: async (f) => etaAccuracy(db, await resolveFilter(db, f)),
    riderUtilisation: async (f) => riderUtilisation(db, await resolveFilter(db, f)),
    batchSizes: async (f) => batchSizes(db, await resolveFilter(db, f)),
    ordersPerCell: async (f, resolution) => ordersPerCell(db, await resolveFilter(db, f), resolution),
    regret: async (f) => regretByStoreHour(db, await resolveFilter(db, f)),
  };
}

import { sql, type Kysely } from 'kysely';
import type { BatchStatus, Database, OrderStatus, RiderStatus, StoredLineString, StoredStop } from '../db/schema.ts';
import type { GeoStore } from '../geostore/geo-store.ts';
import { clockSpeed, type Clock } from '../platform/clock.ts';

/**
 * What the live map and its figures panel show: one cheap snapshot the page loads once (and re-loads now and then),
 * after which the WebSocket hub's events keep it current.
 *
 * Cost: a handful of indexed queries plus one geo-store read per on-shift rider, issued concurrently (ioredis pipelines
 * concurrent commands on its one connection, so N riders cost about one round trip, not N).
 *
 * Size: the snapshot holds live orders and those delivered in the last `RECENT_DELIVERED_MS` of the service's clock
 * only, and a hot-path geometry only for batches a rider is on (the only routes the map draws), so it stays small
 * while the city runs; `MAP_LIMITS` caps each list besides.
 *
 * Time: every instant and duration is on the service's clock. Under `npm start` that is the demo city's simulated
 * clock, so `timeScale` (clock seconds per wall second) tells readers, and the console and the map label the figures
 * "simulated" from it: both read them here, so they always agree.
 */

/** Never more than this many of one kind on the map: the page stays usable and the snapshot cheap. */
export const MAP_LIMITS = { stores: 500, riders: 2_000, orders: 3_000, batches: 1_000 } as const;

/**
 * Orders delivered this recently (clock time: simulated minutes in the demo city) stay on the map, greyed, so a drop
 * does not vanish the instant it happens; then they leave it, so a long-running city stays readable.
 */
export const RECENT_DELIVERED_MS = 5 * 60_000;

/** Orders no rider carries yet: the dispatch backlog (still cooking, ready, or waiting in a batch without a rider). */
export const UNASSIGNED_ORDER_STATUSES: readonly OrderStatus[] = ['placed', 'cooking', 'ready', 'batched'];

export const ACTIVE_ORDER_STATUSES: readonly OrderStatus[] = [
  'placed',
  'cooking',
  'ready',
  'batched',
  'assigned',
  'picked_up',
];
export const ACTIVE_BATCH_STATUSES: readonly BatchStatus[] = ['open', 'sealed', 'assigned', 'picked_up'];

export interface MapStore {
  id: string;
  name: string;
  lat: number;
  lon: number;
}

export interface MapRider {
  id: string;
  name: string;
  status: RiderStatus;
  /** Live position from the geo store; else the last one Postgres knows; null when neither exists. */
  lat: number | null;
  lon: number | null;
  /** ISO time of the fix (device time when it came from the geo store). */
  recordedAt: string | null;
  /** `geo` = live position, `db` = last known, stale. */
  source: 'geo' | 'db' | null;
  batchId: string | null;
}

export interface MapOrder {
  id: string;
  storeId: string;
  status: OrderStatus;
  lat: number;
  lon: number;
  batchId: string | null;
  riderId: string | null;
  placedAt: string;
}

export interface MapBatch {
  id: string;
  storeId: string;
  status: BatchStatus;
  riderId: string | null;
  orderIds: string[];
  /** The refined stops (pickup first), or null before refinement. */
  stops: Array<{ kind: 'pickup' | 'drop'; orderId: string | null; lat: number; lon: number; eta: string }> | null;
  /** The hot path's geometry as [lat, lon] pairs (Leaflet order), or null when the path is unknown. */
  path: Array<[number, number]> | null;
}

export interface MapSnapshot {
  at: string;
  stores: MapStore[];
  riders: MapRider[];
  orders: MapOrder[];
  batches: MapBatch[];
  stats: LiveStats;
  /** Clock milliseconds a delivered order stays listed (and drawn) after its delivery. */
  recentDeliveredMs: number;
}

export interface LiveStats {
  /** Clock time of the figures (simulated time when `timeScale` > 1). */
  at: string;
  /** Start of the (clock) UTC day the daily figures cover. */
  since: string;
  /** Clock seconds per wall-clock second: 1 on the system clock, the speed-up when the city runs on a simulated clock. */
  timeScale: number;
  orders: {
    placed: number;
    delivered: number;
    cancelled: number;
    /** Neither delivered nor cancelled. */
    active: number;
    /** Active and carried by no rider yet (placed, cooking, ready or batched): the dispatch backlog. */
    unassigned: number;
    /** Unassigned orders whose food is ready (ready time passed): waiting for a rider right now. */
    waitingForRider: number;
  };
  riders: { idle: number; busy: number; offline: number };
  /** `mean size`: orders per batch over the batches with an order delivered today; null before the first. */
  batches: { active: number; meanSize: number | null };
  /** Mean clock seconds from placement to delivery of the orders delivered today; null before the first delivery. */
  meanClickToDoorS: number | null;
}

export interface LiveStatsService {
  snapshot(): Promise<MapSnapshot>;
  stats(): Promise<LiveStats>;
}

export interface LiveStatsDeps {
  db: Kysely<Database>;
  /** Only reads positions. */
  geo: Pick<GeoStore, 'getRiderPosition'>;
  clock: Clock;
}

/** Midnight UTC of the day `nowMs` falls in. */
export function startOfUtcDay(nowMs: number): Date {
  const d = new Date(nowMs);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** A stored GeoJSON line ([lon, lat]) in Leaflet's [lat, lon] order; null for anything that is not one. */
export function leafletPath(geometry: StoredLineString | null | undefined): Array<[number, number]> | null {
  if (geometry?.type !== 'LineString' || !Array.isArray(geometry.coordinates)) return null;
  return geometry.coordinates.map(([lon, lat]) => [lat, lon]);
}

/** Builds the service over the API's database and geo store. */
export function createLiveStatsService(deps: LiveStatsDeps): LiveStatsService {
  const { db, geo, clock } = deps;

  async function stats(): Promise<LiveStats> {
    const nowMs = clock.now();
    const since = startOfUtcDay(nowMs);
    const [orders, riders, batches, bundles] = await Promise.all([
      db
        .selectFrom('orders')
        .select([
          sql<string>`count(*) filter (where placed_at >= ${since})`.as('placed'),
          sql<string>`count(*) filter (where delivered_at >= ${since})`.as('delivered'),
          sql<string>`count(*) filter (where cancelled_at >= ${since})`.as('cancelled'),
          sql<string>`count(*) filter (where status not in ('delivered', 'cancelled'))`.as('active'),
          sql<string>`count(*) filter (where status in (${sql.join(UNASSIGNED_ORDER_STATUSES)}))`.as('unassigned'),
          sql<string>`count(*) filter (where status in (${sql.join(UNASSIGNED_ORDER_STATUSES)}) and ready_at <= ${new Date(nowMs)})`.as(
            'waiting',
          ),
          sql<
            number | null
          >`avg(extract(epoch from delivered_at - placed_at)) filter (where delivered_at >= ${since})`.as('mean_s'),
        ])
        .where((eb) =>
          eb.or([
            eb('placed_at', '>=', since),
            eb('delivered_at', '>=', since),
            eb('status', 'not in', ['delivered', 'cancelled']),
          ]),
        )
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('riders')
        .select(['status', sql<string>`count(*)`.as('n')])
        .groupBy('status')
        .execute(),
      db
        .selectFrom('batches')
        .select(sql<string>`count(*)`.as('n'))
        .where('status', 'in', ACTIVE_BATCH_STATUSES)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('batch_orders as bo')
        .innerJoin('orders as o', 'o.id', 'bo.order_id')
        .select([sql<string>`count(*)`.as('orders'), sql<string>`count(distinct bo.batch_id)`.as('batches')])
        .where('bo.batch_id', 'in', (eb) =>
          eb
            .selectFrom('batch_orders as d')
            .innerJoin('orders as od', 'od.id', 'd.order_id')
            .select('d.batch_id')
            .where('od.delivered_at', '>=', since),
        )
        .executeTakeFirstOrThrow(),
    ]);
    const byStatus = new Map(riders.map((r) => [r.status, Number(r.n)]));
    const mean = orders.mean_s === null ? null : Number(orders.mean_s);
    return {
      at: new Date(nowMs).toISOString(),
      since: since.toISOString(),
      timeScale: clockSpeed(clock),
      orders: {
        placed: Number(orders.placed),
        delivered: Number(orders.delivered),
        cancelled: Number(orders.cancelled),
        active: Number(orders.active),
        unassigned: Number(orders.unassigned),
        waitingForRider: Number(orders.waiting),
      },
      riders: {
        idle: byStatus.get('idle') ?? 0,
        busy: (byStatus.get('assigned') ?? 0) + (byStatus.get('delivering') ?? 0),
        offline: byStatus.get('offline') ?? 0,
      },
      batches: {
        active: Number(batches.n),
        meanSize:
          Number(bundles.batches) > 0
            ? Math.round((Number(bundles.orders) / Number(bundles.batches)) * 100) / 100
            : null,
      },
      meanClickToDoorS: mean === null || Number.isNaN(mean) ? null : Math.round(mean * 10) / 10,
    };
  }

  async function riderList(): Promise<MapRider[]> {
    const rows = await db
      .selectFrom('riders as r')
      .leftJoin('batches as b', (join) =>
        join.onRef('b.rider_id', '=', 'r.id').on('b.status', 'in', ['assigned', 'picked_up']),
      )
      .select(['r.id', 'r.name', 'r.status', 'r.last_lat', 'r.last_lon', 'r.last_seen_at', 'b.id as batch_id'])
      .where('r.status', '!=', 'offline')
      .orderBy('r.created_at')
      .limit(MAP_LIMITS.riders)
      .execute();
    return Promise.all(
      rows.map(async (r): Promise<MapRider> => {
        // The geo store is rebuildable hot state: when it is away the map still shows the last known positions.
        const live = await geo.getRiderPosition(r.id).catch(() => null);
        const base = { id: r.id, name: r.name, status: r.status, batchId: r.batch_id ?? null };
        if (live)
          return {
            ...base,
            lat: live.lat,
            lon: live.lon,
            recordedAt: new Date(live.recordedAt).toISOString(),
            source: 'geo',
          };
        if (r.last_lat !== null && r.last_lon !== null) {
          return {
            ...base,
            lat: r.last_lat,
            lon: r.last_lon,
            recordedAt: r.last_seen_at?.toISOString() ?? null,
            source: 'db',
          };
        }
        return { ...base, lat: null, lon: null, recordedAt: null, source: null };
      }),
    );
  }

  async function orderList(nowMs: number): Promise<MapOrder[]> {
    const recent = new Date(nowMs - RECENT_DELIVERED_MS);
    const rows = await db
      .selectFrom('orders as o')
      .leftJoin('batch_orders as bo', 'bo.order_id', 'o.id')
      .leftJoin('batches as b', 'b.id', 'bo.batch_id')
      .select([
        'o.id',
        'o.store_id',
        'o.status',
        'o.drop_lat',
        'o.drop_lon',
        'o.placed_at',
        'bo.batch_id',
        'b.rider_id',
      ])
      .where((eb) =>
        eb.or([
          eb('o.status', 'in', ACTIVE_ORDER_STATUSES),
          eb.and([eb('o.status', '=', 'delivered'), eb('o.delivered_at', '>=', recent)]),
        ]),
      )
      .orderBy('o.placed_at', 'desc')
      .limit(MAP_LIMITS.orders)
      .execute();
    return rows.map((o) => ({
      id: o.id,
      storeId: o.store_id,
      status: o.status,
      lat: o.drop_lat,
      lon: o.drop_lon,
      batchId: o.batch_id ?? null,
      riderId: o.rider_id ?? null,
      placedAt: o.placed_at.toISOString(),
    }));
  }

  async function batchList(): Promise<MapBatch[]> {
    const rows = await db
      .selectFrom('batches as b')
      .leftJoin('path_templates as p', 'p.id', 'b.path_id')
      // The map draws a hot path only under a rider's route: the others' geometry would be bytes nobody sees.
      .select([
        'b.id',
        'b.store_id',
        'b.status',
        'b.rider_id',
        'b.stops',
        sql<StoredLineString | null>`case when b.status in ('assigned', 'picked_up') then p.geometry end`.as(
          'geometry',
        ),
      ])
      .where('b.status', 'in', ACTIVE_BATCH_STATUSES)
      .orderBy('b.opened_at', 'desc')
      .limit(MAP_LIMITS.batches)
      .execute();
    const ids = rows.map((b) => b.id);
    const members = ids.length
      ? await db
          .selectFrom('batch_orders')
          .select(['batch_id', 'order_id'])
          .where('batch_id', 'in', ids)
          .orderBy('sequence')
          .execute()
      : [];
    const ordersOf = new Map<string, string[]>();
    for (const m of members) {
      const list = ordersOf.get(m.batch_id) ?? [];
      list.push(m.order_id);
      ordersOf.set(m.batch_id, list);
    }
    return rows.map((b) => ({
      id: b.id,
      storeId: b.store_id,
      status: b.status,
      riderId: b.rider_id,
      orderIds: ordersOf.get(b.id) ?? [],
      stops: b.stops
        ? b.stops.map((s: StoredStop) => ({ kind: s.kind, orderId: s.order_id, lat: s.lat, lon: s.lon, eta: s.eta }))
        : null,
      path: leafletPath(b.geometry as StoredLineString | null),
    }));
  }

  return {
    stats,
    async snapshot() {
      const nowMs = clock.now();
      const [stores, riders, orders, batches, figures] = await Promise.all([
        db
          .selectFrom('stores')
          .select(['id', 'name', 'lat', 'lon'])
          .orderBy('created_at')
          .limit(MAP_LIMITS.stores)
          .execute(),
        riderList(),
        orderList(nowMs),
        batchList(),
        stats(),
      ]);
      return {
        at: new Date(nowMs).toISOString(),
        stores,
        riders,
        orders,
        batches,
        stats: figures,
        recentDeliveredMs: RECENT_DELIVERED_MS,
      };
    },
  };
}

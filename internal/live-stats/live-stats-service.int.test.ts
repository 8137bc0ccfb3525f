/**
 * The live map's snapshot and figures over a real, migrated Postgres database (fresh per suite) and the in-memory geo
 * store, with rows written directly so every timestamp is known.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../db/database.ts';
import { migrateUp } from '../db/migrate.ts';
import { MemoryGeoStore } from '../geostore/memory-geo-store.ts';
import { ManualClock } from '../platform/clock.ts';
import { silentLogger } from '../platform/logger.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { createLiveStatsService, leafletPath, startOfUtcDay, type LiveStatsService } from './live-stats-service.ts';

const NOW = Date.parse('2026-11-22T19:00:00.000Z');
const min = (m: number) => new Date(NOW - m * 60_000);
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let testDb: TestDatabase;
let database: DatabaseHandle;
let geo: MemoryGeoStore;
let service: LiveStatsService;

beforeAll(async () => {
  testDb = await createTestDatabase('live_stats', {
    migrate: async (url) => void (await migrateUp(url, silentLogger)),
  });
  database = createDatabase(testDb.url);
  const clock = new ManualClock(NOW);
  geo = new MemoryGeoStore({ clock });
  service = createLiveStatsService({ db: database.db, geo, clock });
  const db = database.db;

  await db
    .insertInto('stores')
    .values([
      { id: id(1), name: 'North', lat: 48.86, lon: 2.35, h3_cell: '881fb46625fffff' },
      { id: id(2), name: 'South', lat: 48.84, lon: 2.35, h3_cell: '881fb46625fffff' },
    ])
    .execute();
  await db
    .insertInto('riders')
    .values([
      {
        id: id(11),
        name: 'idle-live',
        status: 'idle',
        last_lat: 48.0,
        last_lon: 2.0,
        last_seen_at: min(10),
        created_at: min(60),
        updated_at: min(60),
      },
      {
        id: id(12),
        name: 'assigned-stale',
        status: 'assigned',
        last_lat: 48.85,
        last_lon: 2.36,
        last_seen_at: min(5),
        created_at: min(59),
        updated_at: min(5),
      },
      {
        id: id(13),
        name: 'delivering',
        status: 'delivering',
        last_lat: null,
        last_lon: null,
        last_seen_at: null,
        created_at: min(58),
        updated_at: min(5),
      },
      {
        id: id(14),
        name: 'off',
        status: 'offline',
        last_lat: 48.8,
        last_lon: 2.3,
        last_seen_at: min(100),
        created_at: min(57),
        updated_at: min(57),
      },
    ])
    .execute();
  await geo.updateRiderPosition(id(11), { lat: 48.861, lon: 2.351, recordedAt: NOW - 2_000 });

  await db
    .insertInto('path_templates')
    .values({
      id: 'path-1',
      store_id: id(1),
      h3_cell: '881fb46625fffff',
      h3_resolution: 8,
      target_lat: 48.87,
      target_lon: 2.36,
      geometry: JSON.stringify({
        type: 'LineString',
        coordinates: [
          [2.35, 48.86],
          [2.36, 48.87],
        ],
      }),
      distance_m: 1_300,
      duration_s: 200,
      corridor_cells: ['881fb46625fffff'],
      router: 'straight-line',
    })
    .execute();

  const order = (n: number, status: string, placedMinAgo: number, extra: Record<string, unknown> = {}) => ({
    id: id(100 + n),
    store_id: id(1),
    drop_lat: 48.87 + n / 1_000,
    drop_lon: 2.36,
    h3_cell: '881fb46625fffff',
    items: '[]',
    status: status as 'placed',
    placed_at: min(placedMinAgo),
    ready_at: min(placedMinAgo - 10),
    promised_at: min(placedMinAgo - 40),
    ...extra,
  });
  await db
    .insertInto('orders')
    .values([
      order(1, 'placed', 2),
      order(2, 'assigned', 20, { path_id: 'path-1' }),
      order(3, 'assigned', 25, { path_id: 'path-1' }),
      order(4, 'delivered', 30, { delivered_at: min(0) }), // click-to-door 30 min, on the map (just delivered)
      order(5, 'delivered', 20, { delivered_at: min(10) }), // 10 min, delivered 10 min ago: off the map
      order(6, 'delivered', 24 * 60 + 30, { delivered_at: min(24 * 60) }), // yesterday: in no figure
      order(7, 'cancelled', 15, { cancelled_at: min(14) }),
    ])
    .execute();
  await db
    .insertInto('batches')
    .values({
      id: id(200),
      store_id: id(1),
      path_id: 'path-1',
      status: 'assigned',
      capacity: 3,
      order_count: 2,
      opened_at: min(20),
      window_closes_at: min(18),
      latest_departure_at: min(10),
      ready_at: min(12),
      rider_id: id(12),
      assigned_at: min(5),
      stops: JSON.stringify([
        { kind: 'pickup', order_id: null, lat: 48.86, lon: 2.35, eta: min(-2).toISOString() },
        { kind: 'drop', order_id: id(103), lat: 48.873, lon: 2.36, eta: min(-8).toISOString() },
        { kind: 'drop', order_id: id(102), lat: 48.872, lon: 2.36, eta: min(-12).toISOString() },
      ]),
    })
    .execute();
  await db
    .insertInto('batch_orders')
    .values([
      { batch_id: id(200), order_id: id(102), sequence: 1 },
      { batch_id: id(200), order_id: id(103), sequence: 0 },
    ])
    .execute();
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe('live figures', () => {
  it('counts today (UTC) and averages click-to-door over today’s deliveries only', async () => {
    expect(await service.stats()).toEqual({
      at: new Date(NOW).toISOString(),
      since: '2026-11-22T00:00:00.000Z',
      timeScale: 1, // a ManualClock: no speed-up
      // Unassigned: order 1 (placed, its ready time 8 min ahead, so not waiting for a rider yet).
      orders: { placed: 6, delivered: 2, cancelled: 1, active: 3, unassigned: 1, waitingForRider: 0 },
      riders: { idle: 1, busy: 2, offline: 1 },
      // Batch 200 has no order delivered today: no mean size yet.
      batches: { active: 1, meanSize: null },
      meanClickToDoorS: 20 * 60, // (30 + 10) / 2 minutes
    });
  });

  it('reports the clock’s speed, and the backlog waiting for a rider once the food is ready', async () => {
    const sped = createLiveStatsService({
      db: database.db,
      geo,
      clock: Object.assign(new ManualClock(NOW + 9 * 60_000), { speed: 30 }),
    });
    const s = await sped.stats();
    expect(s.timeScale).toBe(30);
    expect(s.orders).toMatchObject({ unassigned: 1, waitingForRider: 1 }); // order 1's ready time (NOW + 8 min) passed
  });

  it('starts the day at midnight UTC', () => {
    expect(startOfUtcDay(Date.parse('2026-11-22T23:59:59.999Z')).toISOString()).toBe('2026-11-22T00:00:00.000Z');
  });
});

describe('map snapshot', () => {
  it('lists stores, on-shift riders at their live (else last known) position, active and just-delivered orders, and active batches', async () => {
    const snap = await service.snapshot();
    expect(snap.stores.map((s) => s.name)).toEqual(['North', 'South']);

    expect(snap.riders.map((r) => r.name)).toEqual(['idle-live', 'assigned-stale', 'delivering']);
    expect(snap.riders[0]).toMatchObject({
      status: 'idle',
      lat: 48.861,
      lon: 2.351,
      source: 'geo',
      batchId: null,
      recordedAt: new Date(NOW - 2_000).toISOString(),
    });
    expect(snap.riders[1]).toMatchObject({ status: 'assigned', lat: 48.85, lon: 2.36, source: 'db', batchId: id(200) });
    expect(snap.riders[2]).toMatchObject({ lat: null, lon: null, source: null });

    expect(snap.orders.map((o) => o.id).sort()).toEqual([id(101), id(102), id(103), id(104)]);
    expect(snap.orders.find((o) => o.id === id(102))).toMatchObject({
      status: 'assigned',
      batchId: id(200),
      riderId: id(12),
      lat: 48.872,
    });
    expect(snap.orders.find((o) => o.id === id(101))).toMatchObject({ batchId: null, riderId: null });

    expect(snap.batches).toHaveLength(1);
    expect(snap.recentDeliveredMs).toBe(5 * 60_000);
    expect(snap.batches[0]).toMatchObject({
      id: id(200),
      status: 'assigned',
      riderId: id(12),
      orderIds: [id(103), id(102)],
      path: [
        [48.86, 2.35],
        [48.87, 2.36],
      ],
    });
    expect(snap.batches[0]!.stops!.map((s) => s.kind)).toEqual(['pickup', 'drop', 'drop']);
    expect(snap.stats.orders.placed).toBe(6);
  });

  it('keeps showing riders at their last known position while the geo store is away', async () => {
    const broken = createLiveStatsService({
      db: database.db,
      geo: { getRiderPosition: async () => Promise.reject(new Error('redis down')) },
      clock: new ManualClock(NOW),
    });
    const riders = (await broken.snapshot()).riders;
    expect(riders[0]).toMatchObject({ lat: 48.0, lon: 2.0, source: 'db' });
  });

  it('turns GeoJSON [lon, lat] into Leaflet [lat, lon] and ignores anything else', () => {
    expect(
      leafletPath({
        type: 'LineString',
        coordinates: [
          [2, 48],
          [3, 49],
        ],
      }),
    ).toEqual([
      [48, 2],
      [49, 3],
    ]);
    expect(leafletPath(null)).toBeNull();
    expect(leafletPath({ type: 'Point' } as never)).toBeNull();
  });
});

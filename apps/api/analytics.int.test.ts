import { randomUUID } from 'node:crypto';
import { cellToParent, latLngToCell } from 'h3-js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness, HARNESS_BACKENDS } from './testing/api-harness.ts';

/**
 * A seeded day (2026-11-21, UTC) written straight into the tables, and every figure of `GET /analytics/…` checked
 * against numbers worked out by hand below (never by the SQL under test).
 *
 * Store A: o1, o2 (one batch b1, rider r1), o3 (batch b2, r1), o4 cancelled by the customer. Store B: o5 (batch b3,
 * r2), o6 still placed, o7 cancelled as unreachable. o8 (store A, batch b0) was placed the day before: outside.
 * o1–o4 (and o8) drop at X, o5–o7 at Y, two H3 resolution-7 cells apart.
 */
const DAY = '2026-11-21';
const at = (hhmm: string, day = DAY) => new Date(`${day}T${hhmm}:00.000Z`);
const X = { lat: 43.7285, lon: 7.4155 };
const Y = { lat: 43.7505, lon: 7.4385 };
/**
 * The area cell at `res` of a drop point: the parent of its order cell (resolution 8, as the harness stores). Not
 * `latLngToCell(p, res)`: an H3 parent does not contain exactly the points of its children.
 */
const areaOf = (p: { lat: number; lon: number }, res: number) => cellToParent(latLngToCell(p.lat, p.lon, 8), res);

describe.each(HARNESS_BACKENDS)('GET /analytics/* on the %s stores', (backend) => {
  let h: ApiHarness;
  const storeA = randomUUID();
  const storeB = randomUUID();
  const r1 = randomUUID();
  const r2 = randomUUID();
  const q = (path: string, params: Record<string, string | number> = {}) =>
    h.call(
      'GET',
      `/analytics/${path}?${new URLSearchParams(
        Object.entries({ from: `${DAY}T00:00:00Z`, to: '2026-11-22T00:00:00Z', ...params }).map(
          ([k, v]): [string, string] => [k, String(v)],
        ),
      )}`,
    );

  beforeAll(async () => {
    h = await createApiHarness('api_analytics', backend);
    const db = h.database.db;
    for (const [id, name, p] of [
      [storeA, 'A', X],
      [storeB, 'B', Y],
    ] as const) {
      await db
        .insertInto('stores')
        .values({ id, name, lat: p.lat, lon: p.lon, h3_cell: latLngToCell(p.lat, p.lon, 8) })
        .execute();
      await sql`insert into path_templates (id, store_id, h3_cell, h3_resolution, target_lat, target_lon, geometry,
          distance_m, duration_s, corridor_cells, router)
        values (${`p-${name}`}, ${id}, ${latLngToCell(p.lat, p.lon, 8)}, 8, ${p.lat}, ${p.lon},
          ${JSON.stringify({ type: 'LineString', coordinates: [] })}::jsonb, 0, 0, '{}'::text[], 'test')`.execute(db);
    }
    for (const [id, name] of [
      [r1, 'r1'],
      [r2, 'r2'],
    ] as const)
      await db.insertInto('riders').values({ id, name, status: 'idle' }).execute();

    type Seed = {
      store: string;
      drop: { lat: number; lon: number };
      placed: Date;
      status: 'delivered' | 'cancelled' | 'placed';
      ready?: Date;
      picked?: Date;
      delivered?: Date;
      promised: Date;
      firstEta?: Date;
      reason?: 'customer' | 'drop_unreachable';
    };
    const orders: Record<string, Seed> = {
      o1: {
        store: storeA,
        drop: X,
        placed: at('10:00'),
        status: 'delivered',
        ready: at('10:10'),
        picked: at('10:15'),
        delivered: at('10:30'),
        promised: at('10:35'),
        firstEta: at('10:28'),
      },
      o2: {
        store: storeA,
        drop: X,
        placed: at('10:05'),
        status: 'delivered',
        ready: at('10:12'),
        picked: at('10:15'),
        delivered: at('10:40'),
        promised: at('10:35'),
        firstEta: at('10:38'),
      },
      o3: {
        store: storeA,
        drop: X,
        placed: at('11:00'),
        status: 'delivered',
        ready: at('11:10'),
        picked: at('11:20'),
        delivered: at('11:50'),
        promised: at('11:40'),
      },
      o4: {
        store: storeA,
        drop: X,
        placed: at('12:00'),
        status: 'cancelled',
        promised: at('12:40'),
        reason: 'customer',
      },
      o5: {
        store: storeB,
        drop: Y,
        placed: at('13:00'),
        status: 'delivered',
        ready: at('13:05'),
        picked: at('13:06'),
        delivered: at('13:20'),
        promised: at('13:45'),
        firstEta: at('13:25'),
      },
      o6: { store: storeB, drop: Y, placed: at('14:00'), status: 'placed', promised: at('14:40') },
      o7: {
        store: storeB,
        drop: Y,
        placed: at('15:00'),
        status: 'cancelled',
        promised: at('15:40'),
        reason: 'drop_unreachable',
      },
      o8: {
        store: storeA,
        drop: X,
        placed: at('23:00', '2026-11-20'),
        status: 'delivered',
        ready: at('23:05', '2026-11-20'),
        picked: at('23:10', '2026-11-20'),
        delivered: at('23:30', '2026-11-20'),
        promised: at('23:40', '2026-11-20'),
        firstEta: at('23:20', '2026-11-20'),
      },
    };
    const ids: Record<string, string> = {};
    for (const [name, o] of Object.entries(orders)) {
      ids[name] = randomUUID();
      await db
        .insertInto('orders')
        .values({
          id: ids[name]!,
          store_id: o.store,
          drop_lat: o.drop.lat,
          drop_lon: o.drop.lon,
          h3_cell: latLngToCell(o.drop.lat, o.drop.lon, 8),
          items: JSON.stringify([{ name: 'x', qty: 1 }]),
          status: o.status,
          placed_at: o.placed,
          ready_at: new Date(o.placed.getTime() + 600_000),
          ready_marked_at: o.ready ?? null,
          promised_at: o.promised,
          picked_up_at: o.picked ?? null,
          delivered_at: o.delivered ?? null,
          cancelled_at: o.status === 'cancelled' ? new Date(o.placed.getTime() + 60_000) : null,
          cancel_reason: o.reason ?? null,
          first_eta_at: o.firstEta ?? null,
        })
        .execute();
    }
    const batches = [
      {
        store: storeA,
        rider: r1,
        orders: ['o8'],
        sealed: '23:04',
        assigned: '23:05',
        delivered: '23:30',
        day: '2026-11-20',
      },
      { store: storeA, rider: r1, orders: ['o1', 'o2'], sealed: '10:11', assigned: '10:12', delivered: '10:40' },
      { store: storeA, rider: r1, orders: ['o3'], sealed: '11:12', assigned: '11:15', delivered: '11:50' },
      { store: storeB, rider: r2, orders: ['o5'], sealed: '13:05', assigned: '13:05', delivered: '13:20' },
    ];
    for (const b of batches) {
      const id = randomUUID();
      const sealed = at(b.sealed, b.day);
      await db
        .insertInto('batches')
        .values({
          id,
          store_id: b.store,
          path_id: b.store === storeA ? 'p-A' : 'p-B',
          status: 'delivered',
          capacity: 3,
          order_count: b.orders.length,
          opened_at: sealed,
          window_closes_at: sealed,
          latest_departure_at: sealed,
          ready_at: sealed,
          sealed_at: sealed,
          rider_id: b.rider,
          assigned_at: at(b.assigned, b.day),
          delivered_at: at(b.delivered, b.day),
        })
        .execute();
      for (const [i, o] of b.orders.entries())
        await db.insertInto('batch_orders').values({ batch_id: id, order_id: ids[o]!, sequence: i }).execute();
    }
    // GPS: r1 every minute 10:00 … 10:44; r2 once at 10:30.
    const fixes = [
      ...Array.from({ length: 45 }, (_, i) => ({
        rider_id: r1,
        recorded_at: new Date(at('10:00').getTime() + i * 60_000),
      })),
      { rider_id: r2, recorded_at: at('10:30') },
    ];
    await sql`insert into rider_locations (rider_id, recorded_at, lat, lon)
      select f.rider_id, f.recorded_at, ${X.lat}, ${X.lon}
      from jsonb_to_recordset(${JSON.stringify(fixes)}::jsonb) as f(rider_id uuid, recorded_at timestamptz)`.execute(
      db,
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  it('counts fulfilment and cancellations over the day, a store and an area', async () => {
    const day = await q('fulfilment');
    expect(day.status, JSON.stringify(day.body)).toBe(200);
    // o1–o7: delivered o1 o2 o3 o5; cancelled o4 (customer) o7 (unreachable); o6 in progress. o8 is the day before.
    expect(day.body).toMatchObject({
      from: `${DAY}T00:00:00.000Z`,
      to: '2026-11-22T00:00:00.000Z',
      store_id: null,
      cell: null,
      placed: 7,
      delivered: 4,
      cancelled: 2,
      in_progress: 1,
      cancelled_by_reason: { customer: 1, drop_unreachable: 1 },
    });
    expect(day.body.fulfilment_rate).toBeCloseTo(4 / 7, 12);
    expect(day.body.cancellation_rate).toBeCloseTo(2 / 7, 12);

    const a = await q('fulfilment', { store_id: storeA });
    expect(a.body).toMatchObject({ placed: 4, delivered: 3, cancelled: 1, in_progress: 0 });
    // The area: X's resolution-7 cell holds o1–o4; its resolution-5 ancestor holds X and Y alike.
    const x7 = areaOf(X, 7);
    expect(x7).not.toBe(areaOf(Y, 7));
    expect((await q('fulfilment', { cell: x7 })).body).toMatchObject({ placed: 4, delivered: 3, cell: x7 });
    expect(areaOf(X, 5)).toBe(areaOf(Y, 5));
    expect((await q('fulfilment', { cell: areaOf(X, 5) })).body.placed).toBe(7);
    // An area finer than the order cells (resolution 8) holds none of them.
    expect((await q('fulfilment', { cell: latLngToCell(X.lat, X.lon, 9) })).body.placed).toBe(0);
    expect((await q('fulfilment', { cell: x7, store_id: storeB })).body.placed).toBe(0);
    // Nothing placed: null rates, not NaN.
    const empty = await q('fulfilment', { from: '2026-11-23T00:00:00Z', to: '2026-11-23T01:00:00Z' });
    expect(empty.body).toMatchObject({ placed: 0, fulfilment_rate: null, cancellation_rate: null });
  });

  it('gives click-to-door and ready-to-pickup percentiles and buckets', async () => {
    // Click-to-door: o1 30 min, o2 35, o3 50, o5 20 → 1200, 1800, 2100, 3000 s.
    // percentile_cont on 4 values: rank p·3. P50 = (1800+2100)/2; P90 at 2.7 = 2100 + 0.7·900; P99 at 2.97.
    const c2d = await q('click-to-door');
    expect(c2d.status).toBe(200);
    expect(c2d.body.count).toBe(4);
    expect(c2d.body.mean_s).toBeCloseTo(8100 / 4, 9);
    expect(c2d.body.p50_s).toBeCloseTo(1950, 9);
    expect(c2d.body.p90_s).toBeCloseTo(2730, 9);
    expect(c2d.body.p99_s).toBeCloseTo(2973, 9);
    const bucket = (body: { buckets: Array<{ le: number | null; count: number }> }, le: number | null) =>
      body.buckets.find((b) => b.le === le)?.count;
    expect([600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 3000, 3600, null].map((le) => bucket(c2d.body, le))).toEqual([
      0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0,
    ]);

    // Ready → pickup: o1 5 min, o2 3, o3 10, o5 1 → 60, 180, 300, 600 s.
    const r2p = await q('ready-to-pickup');
    expect(r2p.body.count).toBe(4);
    expect(r2p.body.mean_s).toBeCloseTo(285, 9);
    expect(r2p.body.p50_s).toBeCloseTo(240, 9);
    expect(r2p.body.p90_s).toBeCloseTo(300 + 0.7 * 300, 9);
    expect([30, 60, 120, 180, 300, 450, 600, null].map((le) => bucket(r2p.body, le))).toEqual([0, 1, 0, 1, 1, 0, 1, 0]);

    // Store B alone: o5 only.
    const b = await q('click-to-door', { store_id: storeB });
    expect(b.body).toMatchObject({ count: 1, p50_s: 1200, p99_s: 1200 });
    const none = await q('ready-to-pickup', { from: '2026-11-23T00:00:00Z', to: '2026-11-23T01:00:00Z' });
    expect(none.body).toMatchObject({ count: 0, mean_s: null, p50_s: null });
  });

  it('measures ETA accuracy against the promise and the first quote', async () => {
    const { status, body } = await q('eta-accuracy');
    expect(status).toBe(200);
    // Promise: o1 −5 min, o2 +5, o3 +10, o5 −25 → −300, 300, 600, −1500 s. |e| sorted 300 300 600 1500: P90 at 2.7.
    expect(body.promised.count).toBe(4);
    expect(body.promised.mean_error_s).toBeCloseTo(-900 / 4, 9);
    expect(body.promised.p90_abs_error_s).toBeCloseTo(600 + 0.7 * 900, 9);
    expect(body.promised.share_late).toBeCloseTo(0.5, 12);
    // First quote (o3 never had one): o1 +2 min, o2 +2, o5 −5 → 120, 120, −300. |e| sorted 120 120 300: P90 at 1.8.
    expect(body.first_quoted.count).toBe(3);
    expect(body.first_quoted.mean_error_s).toBeCloseTo(-20, 9);
    expect(body.first_quoted.p90_abs_error_s).toBeCloseTo(120 + 0.8 * 180, 9);
    expect(body.first_quoted.share_late).toBeCloseTo(2 / 3, 12);
    const bucketOf = (le: number | null) =>
      body.promised.buckets.find((b: { le: number | null }) => b.le === le)?.count;
    // −1500 lies at or below −900; −300 in (−600, −300]; 300 in (120, 300]; 600 in (300, 600].
    expect([-900, -600, -300, -120, -60, 0, 60, 120, 300, 600, 900, null].map(bucketOf)).toEqual([
      1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0,
    ]);
  });

  it('samples rider utilisation from GPS fixes and batches', async () => {
    const range = { from: `${DAY}T10:00:00Z`, to: `${DAY}T11:00:00Z` };
    const { status, body } = await q('rider-utilisation', range);
    expect(status, JSON.stringify(body)).toBe(200);
    // 60 samples, 10:00 … 10:59. r1: fixes 10:00 … 10:44, each fresh for 300 s → on shift 10:00 … 10:48 (49
    // samples); busy with b1 from 10:12 to 10:40 (28 samples, all within). r2: one fix at 10:30 → 10:30 … 10:34 (5).
    expect(body).toMatchObject({ step_s: 60, fix_s: 300, on_shift_s: 54 * 60, busy_s: 28 * 60 });
    expect(body.utilisation).toBeCloseTo(28 / 54, 12);
    expect(body.riders).toEqual([
      { rider_id: r1, name: 'r1', on_shift_s: 49 * 60, busy_s: 28 * 60, utilisation: 28 / 49 },
      { rider_id: r2, name: 'r2', on_shift_s: 5 * 60, busy_s: 0, utilisation: 0 },
    ]);
    // Store A's riders: r1 only. Store B's batch (13:05) lies outside the range: nobody.
    const a = await q('rider-utilisation', { ...range, store_id: storeA });
    expect(a.body.riders.map((r: { rider_id: string }) => r.rider_id)).toEqual([r1]);
    const b = await q('rider-utilisation', { ...range, store_id: storeB });
    expect(b.body).toMatchObject({ riders: [], utilisation: null, on_shift_s: 0 });
    // 13:00–14:00: r2 busy 13:05 … 13:19 (15 samples) with no fix: busy is on shift.
    const afternoon = await q('rider-utilisation', { from: `${DAY}T13:00:00Z`, to: `${DAY}T14:00:00Z` });
    expect(afternoon.body.riders).toEqual([
      { rider_id: r2, name: 'r2', on_shift_s: 15 * 60, busy_s: 15 * 60, utilisation: 1 },
    ]);
  });

  it('gives the batch-size distribution', async () => {
    // b1 (2 orders), b2 (1), b3 (1) sealed that day; b0 the day before. Sizes 1 1 2: P90 at rank 1.8 = 1.8.
    const { body } = await q('batch-sizes');
    expect(body).toMatchObject({
      batches: 3,
      orders: 4,
      p50: 1,
      sizes: [
        { size: 1, batches: 2 },
        { size: 2, batches: 1 },
      ],
    });
    expect(body.mean).toBeCloseTo(4 / 3, 12);
    expect(body.p90).toBeCloseTo(1.8, 12);
    expect((await q('batch-sizes', { cell: areaOf(Y, 7) })).body).toMatchObject({
      batches: 1,
      orders: 1,
      sizes: [{ size: 1, batches: 1 }],
    });
  });

  it('counts orders per hour per parent cell', async () => {
    const { status, body } = await q('orders-per-cell', { resolution: 7 });
    expect(status).toBe(200);
    expect(body.resolution).toBe(7);
    expect(body.hours).toEqual(['10', '11', '12', '13', '14', '15'].map((hh) => `${DAY}T${hh}:00:00.000Z`));
    expect(
      body.cells.map((c: { cell: string; orders: number; per_hour: number[] }) => [c.cell, c.orders, c.per_hour]),
    ).toEqual([
      [areaOf(X, 7), 4, [2, 1, 1, 0, 0, 0]],
      [areaOf(Y, 7), 3, [0, 0, 0, 1, 1, 1]],
    ]);
    const coarse = await q('orders-per-cell', { resolution: 5 });
    expect(coarse.body.cells).toMatchObject([{ cell: areaOf(X, 5), orders: 7 }]);
    const fine = await q('orders-per-cell', { resolution: 9 });
    expect(fine).toMatchObject({ status: 400, body: { error: { code: 'analytics.resolution_too_fine' } } });
  });

  it('validates the query strictly and is operator-only', async () => {
    for (const [path, field] of [
      ['fulfilment?colour=red', 'colour'],
      ['fulfilment?from=yesterday', 'from'],
      ['fulfilment?cell=abc', 'cell'],
      ['fulfilment?store_id=nope', 'store_id'],
      ['orders-per-cell?resolution=16', 'resolution'],
      ['batch-sizes?resolution=7', 'resolution'],
    ] as const) {
      const res = await h.call('GET', `/analytics/${path}`);
      expect(res.status, path).toBe(400);
      expect(res.body.error.field, path).toBe(field);
    }
    const backwards = await q('click-to-door', { from: '2026-11-22T00:00:00Z', to: '2026-11-21T00:00:00Z' });
    expect(backwards).toMatchObject({ status: 400, body: { error: { code: 'analytics.invalid_range' } } });
    const long = await q('click-to-door', { from: '2026-10-01T00:00:00Z', to: '2026-11-21T00:00:00Z' });
    expect(long).toMatchObject({ status: 400, body: { error: { code: 'analytics.invalid_range' } } });
    // Defaults: the day up to the harness clock (2026-11-22T12:00Z).
    expect((await h.call('GET', '/analytics/fulfilment')).body).toMatchObject({
      from: '2026-11-21T12:00:00.000Z',
      to: '2026-11-22T12:00:00.000Z',
      placed: 4, // o4 … o7
    });

    const unauthenticated = await h.callAs(null, 'GET', '/analytics/fulfilment');
    expect(unauthenticated.status).toBe(401);
    const store = await h.call('POST', '/stores', { name: 'S', lat: 43.7384, lon: 7.4246 });
    const asStore = await h.callAs(store.body.api_key, 'GET', '/analytics/batch-sizes');
    expect(asStore).toMatchObject({ status: 403, body: { error: { code: 'auth.forbidden' } } });
  });
});

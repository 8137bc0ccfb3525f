import { randomUUID } from 'node:crypto';
import { latLngToCell } from 'h3-js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness, HARNESS_BACKENDS } from './testing/api-harness.ts';

/**
 * `GET /analytics/regret` on a seeded day (2026-11-21, UTC): regret rows written straight into `batch_regret` as the
 * worker's hindsight job leaves them, and every figure checked against numbers worked out by hand (never by the SQL
 * under test). Realised cost is 1 000 s everywhere, so relative = regret / 1 000.
 *
 * Store A at 10:xx: 0, 100 (merge), 300 (merge), and one batch still waiting for its hindsight (not counted);
 * store A at 11:xx: 50 (resequence); store B at 10:xx: 0, 0; store A the day before: 900 (outside the range).
 */
const DAY = '2026-11-21';
const at = (hhmm: string, day = DAY) => new Date(`${day}T${hhmm}:00.000Z`);

describe.each(HARNESS_BACKENDS)('GET /analytics/regret on the %s stores', (backend) => {
  let h: ApiHarness;
  const storeA = randomUUID();
  const storeB = randomUUID();
  const q = (params: Record<string, string> = {}) =>
    h.call(
      'GET',
      `/analytics/regret?${new URLSearchParams({ from: `${DAY}T00:00:00Z`, to: '2026-11-22T00:00:00Z', ...params })}`,
    );

  beforeAll(async () => {
    h = await createApiHarness('api_analytics_regret', backend);
    const db = h.database.db;
    for (const [id, name, lat, lon] of [
      [storeA, 'A', 43.7285, 7.4155],
      [storeB, 'B', 43.7505, 7.4385],
    ] as const) {
      await db
        .insertInto('stores')
        .values({ id, name, lat, lon, h3_cell: latLngToCell(lat, lon, 8) })
        .execute();
      await sql`insert into path_templates (id, store_id, h3_cell, h3_resolution, target_lat, target_lon, geometry,
          distance_m, duration_s, corridor_cells, router)
        values (${`p-${name}`}, ${id}, ${latLngToCell(lat, lon, 8)}, 8, ${lat}, ${lon},
          ${JSON.stringify({ type: 'LineString', coordinates: [] })}::jsonb, 0, 0, '{}'::text[], 'test')`.execute(db);
    }
    const rows: Array<{
      store: string;
      decided: Date;
      regret: number | null;
      alternative?: 'as_executed' | 'resequence' | 'merge';
    }> = [
      { store: storeA, decided: at('10:05'), regret: 0, alternative: 'as_executed' },
      { store: storeA, decided: at('10:20'), regret: 100, alternative: 'merge' },
      { store: storeA, decided: at('10:59'), regret: 300, alternative: 'merge' },
      { store: storeA, decided: at('10:30'), regret: null },
      { store: storeA, decided: at('11:00'), regret: 50, alternative: 'resequence' },
      { store: storeB, decided: at('10:10'), regret: 0, alternative: 'as_executed' },
      { store: storeB, decided: at('10:40'), regret: 0, alternative: 'as_executed' },
      { store: storeA, decided: at('23:30', '2026-11-20'), regret: 900, alternative: 'merge' },
    ];
    for (const r of rows) {
      const id = randomUUID();
      await db
        .insertInto('batches')
        .values({
          id,
          store_id: r.store,
          path_id: r.store === storeA ? 'p-A' : 'p-B',
          status: 'delivered',
          capacity: 3,
          opened_at: r.decided,
          window_closes_at: r.decided,
          latest_departure_at: r.decided,
          ready_at: r.decided,
          assigned_at: r.decided,
        })
        .execute();
      await db
        .insertInto('batch_regret')
        .values({
          batch_id: id,
          store_id: r.store,
          estimated_s: 600,
          refined_s: 600,
          estimate_error: 0,
          order_count: 1,
          decided_at: r.decided,
          ...(r.regret === null
            ? {}
            : {
                realised_s: 1000,
                hindsight_best_s: 1000 - r.regret,
                regret_s: r.regret,
                relative: r.regret / 1000,
                alternative: r.alternative,
              }),
        })
        .execute();
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  it('gives the distribution overall and per store × hour', async () => {
    const { status, body } = await q();
    expect(status).toBe(200);
    // Overall, sorted: 0, 0, 0, 50, 100, 300. percentile_cont interpolates at (n − 1)·p:
    // p50 at 2.5 → 25; p90 at 4.5 → 100 + 0.5·200 = 200; p95 at 4.75 → 100 + 0.75·200 = 250.
    expect(body.overall).toMatchObject({ batches: 6, mean_s: 75, p50_s: 25, p90_s: 200, p95_s: 250 });
    expect(body.overall.mean_relative).toBeCloseTo(0.45 / 6, 12);
    expect(body.overall.share_with_regret).toBeCloseTo(3 / 6, 12);
    expect(body.overall.alternatives).toEqual([
      { alternative: 'as_executed', batches: 3 },
      { alternative: 'merge', batches: 2 },
      { alternative: 'resequence', batches: 1 },
    ]);
    expect(body.cells.map((c: { store_name: string; hour: string }) => [c.hour, c.store_name])).toEqual([
      ['2026-11-21T10:00:00.000Z', 'A'],
      ['2026-11-21T10:00:00.000Z', 'B'],
      ['2026-11-21T11:00:00.000Z', 'A'],
    ]);
    const [a10, b10, a11] = body.cells;
    // A at 10: 0, 100, 300 → mean 400/3, p50 100, p90 at 1.8 → 100 + 0.8·200 = 260, p95 at 1.9 → 280.
    expect(a10).toMatchObject({ store_id: storeA, batches: 3, p50_s: 100, p90_s: 260, p95_s: 280 });
    expect(a10.mean_s).toBeCloseTo(400 / 3, 9);
    expect(a10.mean_relative).toBeCloseTo(0.4 / 3, 12);
    expect(a10.share_with_regret).toBeCloseTo(2 / 3, 12);
    expect(b10).toMatchObject({ store_id: storeB, batches: 2, mean_s: 0, p50_s: 0, p95_s: 0, share_with_regret: 0 });
    expect(a11).toMatchObject({ batches: 1, mean_s: 50, p50_s: 50, p90_s: 50, p95_s: 50, share_with_regret: 1 });
  });

  it('filters by store and range, and is operator-only', async () => {
    const onlyB = await q({ store_id: storeB });
    expect(onlyB.body).toMatchObject({ store_id: storeB, overall: { batches: 2, mean_s: 0 } });
    expect(onlyB.body.cells).toHaveLength(1);

    const late = await q({ from: `${DAY}T11:00:00Z` });
    expect(late.body.overall).toMatchObject({ batches: 1, p50_s: 50 });

    const dayBefore = await q({ from: '2026-11-20T00:00:00Z', to: `${DAY}T00:00:00Z` });
    expect(dayBefore.body.overall).toMatchObject({ batches: 1, p95_s: 900 });

    const empty = await q({ from: '2026-11-19T00:00:00Z', to: '2026-11-20T00:00:00Z' });
    expect(empty.body).toMatchObject({ overall: { batches: 0, mean_s: null, p50_s: null }, cells: [] });

    const bad = await h.call('GET', '/analytics/regret?store_id=nope');
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'store_id' } } });
    expect((await h.callAs(null, 'GET', '/analytics/regret')).status).toBe(401);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, insertPathTemplate, type ApiHarness, HARNESS_BACKENDS } from './testing/api-harness.ts';

describe.each(HARNESS_BACKENDS)('on the %s stores', (backend) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await createApiHarness('api_stats', backend);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function insertRegret(storeId: string, pathId: string, regretS: number | null): Promise<void> {
    const id = randomUUID();
    const now = new Date(h.clock.now());
    await h.database.db
      .insertInto('batches')
      .values({
        id,
        store_id: storeId,
        path_id: pathId,
        status: 'delivered',
        capacity: 3,
        opened_at: now,
        window_closes_at: now,
        latest_departure_at: now,
        ready_at: now,
      })
      .execute();
    await h.database.db
      .insertInto('batch_regret')
      .values({
        batch_id: id,
        store_id: storeId,
        estimated_s: 600,
        refined_s: 600,
        estimate_error: 0,
        order_count: 2,
        decided_at: now,
        // A row still waiting for its hindsight has the estimate only, and is not counted.
        ...(regretS === null
          ? {}
          : { realised_s: 1000, hindsight_best_s: 1000 - regretS, regret_s: regretS, relative: regretS / 1000 }),
      })
      .execute();
  }

  describe('GET /stats/regret', () => {
    it('is empty-handed with no rows, then summarises count, mean, p50, p95 and the share above 60 s', async () => {
      const empty = await h.call('GET', '/stats/regret');
      expect(empty).toMatchObject({
        status: 200,
        body: { count: 0, mean: null, p50: null, p95: null, share_above_threshold: null, threshold: 60 },
      });

      const storeId = (await h.call('POST', '/stores', { name: 'S', lat: 43.7384, lon: 7.4246 })).body.id;
      const pathId = await insertPathTemplate(h, storeId, { lat: 43.74, lon: 7.43 });
      // Sorted: 0, 0, 30, 60, 120, 300. Exactly 60 s is not "above".
      for (const r of [120, 0, 300, 0, 30, 60, null]) await insertRegret(storeId, pathId, r);

      const { status, body } = await h.call('GET', '/stats/regret');
      expect(status).toBe(200);
      expect(body.count).toBe(6);
      expect(body.mean).toBeCloseTo(510 / 6, 12);
      // percentile_cont: linear interpolation at (n − 1)·p → p50 at 2.5 = (30 + 60)/2, p95 at 4.75 = 120 + 0.75·180.
      expect(body.p50).toBeCloseTo(45, 12);
      expect(body.p95).toBeCloseTo(255, 12);
      expect(body.share_above_threshold).toBeCloseTo(2 / 6, 12);
      expect(body.mean_relative).toBeCloseTo(0.51 / 6, 12);
      expect(body.unit).toBe('weighted_seconds');
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness, HARNESS_BACKENDS } from './testing/api-harness.ts';

describe.each(HARNESS_BACKENDS)('GET /stats/sla on the %s stores', (backend) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await createApiHarness('api_stats_sla', backend);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** An order assigned `waitS` seconds after it was marked ready (null: assigned before ready), `agoMin` minutes ago. */
  async function assignedOrder(storeId: string, waitS: number | null, agoMin = 1): Promise<void> {
    const order = await h.call('POST', '/orders', {
      store_id: storeId,
      drop: { lat: 43.74, lon: 7.43 },
      items: [{ name: 'x', qty: 1 }],
      prep_minutes: 5,
    });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    const assignedAt = new Date(h.clock.now() - agoMin * 60_000);
    await h.database.db
      .updateTable('orders')
      .set({
        assigned_at: assignedAt,
        ready_marked_at: waitS === null ? null : new Date(assignedAt.getTime() - waitS * 1000),
      })
      .where('id', '=', order.body.id)
      .execute();
  }

  it('is empty-handed with no assignment, then gives exact percentiles, the SLA share and the histogram buckets', async () => {
    const empty = await h.call('GET', '/stats/sla');
    expect(empty).toMatchObject({
      status: 200,
      body: { count: 0, p50: null, p95: null, p99: null, within_sla: null, sla_s: 30, window_minutes: 60 },
    });

    const storeId = (await h.call('POST', '/stores', { name: 'S', lat: 43.7384, lon: 7.4246 })).body.id;
    // Waits 0 (assigned before ready), 5, 10, 20, 40 s in the window; one 2 h old order outside it.
    for (const wait of [null, 5, 10, 20, 40]) await assignedOrder(storeId, wait);
    await assignedOrder(storeId, 100, 120);

    const { status, body } = await h.call('GET', '/stats/sla');
    expect(status).toBe(200);
    expect(body.count).toBe(5);
    // percentile_cont over 0, 5, 10, 20, 40: p50 at index 2; p95 at 3.8 = 20 + 0.8·20; p99 at 3.96 = 20 + 0.96·20.
    expect(body.p50).toBeCloseTo(10, 9);
    expect(body.p95).toBeCloseTo(36, 9);
    expect(body.p99).toBeCloseTo(39.2, 9);
    expect(body.within_sla).toBeCloseTo(4 / 5, 12);
    const at = (le: number) => body.buckets.find((b: { le: number }) => b.le === le)?.count;
    expect([at(0.5), at(5), at(10), at(30), at(45), at(600)]).toEqual([1, 2, 3, 4, 5, 5]);

    const wide = await h.call('GET', '/stats/sla?window_minutes=180');
    expect(wide.body.count).toBe(6);
    expect((await h.call('GET', '/stats/sla?window_minutes=0')).status).toBe(400);
  });
});

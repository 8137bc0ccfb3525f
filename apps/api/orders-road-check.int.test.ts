import { Registry } from 'prom-client';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter } from '../../internal/routing/create-router.ts';
import { startOsrmReplayServer, type ReplayServer } from '../../internal/routing/osrm-replay-server.ts';
import type { Router } from '../../internal/routing/router.ts';
import { createApiHarness, type ApiHarness, HARNESS_BACKENDS } from './testing/api-harness.ts';

/**
 * Placement's road check, against the exchanges recorded from a real osrm-routed (v26.4.1, Monaco) in ../shared/osrm:
 * `route-drop-far-from-roads` (a drop in the sea, snapped to a road 1,104 m away: OSRM says Ok) and
 * `route-overview-false` (Fontvieille → Casino, on the roads). The router is composed as the apps compose it
 * (`createRouter` with an OSRM URL: fallback over cache over OSRM).
 */
const STORE_HERMITAGE = { lat: 43.7384, lon: 7.4246 };
const SEA_DROP = { lat: 43.725, lon: 7.438 };
const STORE_FONTVIEILLE = { lat: 43.7282, lon: 7.4154 };
const CASINO = { lat: 43.7394, lon: 7.4276 };
const logger = { info: () => {}, warn: () => {} };

describe.each(HARNESS_BACKENDS)('POST /orders with a road router, on the %s stores', (backend) => {
  let osrm: ReplayServer;
  let router: Router;
  let h: ApiHarness;
  let hermitage: string;
  let fontvieille: string;
  const order = (storeId: string, drop: { lat: number; lon: number }) => ({
    store_id: storeId,
    drop,
    items: [{ name: 'pizza', qty: 1 }],
    prep_minutes: 10,
  });
  const counts = async () => {
    const orders = await h.database.db
      .selectFrom('orders')
      .select(sql<string>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    const outbox = await h.database.db
      .selectFrom('outbox')
      .select(sql<string>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    return { orders: orders.n, outbox: outbox.n };
  };

  beforeAll(async () => {
    osrm = await startOsrmReplayServer();
    router = createRouter({ osrmUrl: osrm.url, osrm: { retries: 0 } }, { registry: new Registry(), logger });
    h = await createApiHarness('api_orders_road', backend, { roadRouter: router });
    hermitage = (await h.call('POST', '/stores', { name: 'Hermitage', ...STORE_HERMITAGE })).body.id;
    fontvieille = (await h.call('POST', '/stores', { name: 'Fontvieille', ...STORE_FONTVIEILLE })).body.id;
  });
  afterAll(async () => {
    await h?.close();
    await router?.close();
    await osrm?.close();
  });

  it('refuses a drop in the sea 1,104 m from any road with 400 naming `drop` and the snap distance, writing nothing', async () => {
    const before = await counts();
    const res = await h.call('POST', '/orders', order(hermitage, SEA_DROP), { 'idempotency-key': `sea-${backend}` });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'order.drop_unreachable',
      field: 'drop',
      details: {
        snap_distance_m: 1104.1,
        max_snap_distance_m: 1000,
        reason: 'nearest road is 1104 m away (more than 1000 m)',
      },
    });
    expect(res.body.error.message).toMatch(/^drop: /);
    expect(await counts()).toEqual(before);
    // A retry with the same key is refused the same way (nothing was stored under it).
    expect(
      (await h.call('POST', '/orders', order(hermitage, SEA_DROP), { 'idempotency-key': `sea-${backend}` })).status,
    ).toBe(400);
    expect(osrm.misses).toEqual([]);
  });

  it('accepts a drop on the roads', async () => {
    const res = await h.call('POST', '/orders', order(fontvieille, CASINO));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'placed', cancel_reason: null });
    expect(osrm.misses).toEqual([]);
  });

  it('still answers 404 for an unknown store, before any road check', async () => {
    const before = osrm.requests.length;
    const res = await h.call('POST', '/orders', order('0f8fad5b-d9cb-469f-a165-70867728950e', CASINO));
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'store.not_found', field: 'store_id' });
    expect(osrm.requests.length).toBe(before);
  });

  it('accepts the order when OSRM cannot answer: an outage turns no customer away', async () => {
    osrm.setFault({ kind: 'status', status: 503 });
    try {
      const res = await h.call('POST', '/orders', order(hermitage, SEA_DROP));
      expect(res.status).toBe(201);
    } finally {
      osrm.setFault(null);
    }
  });

  it("does not keep a customer waiting on a hanging OSRM: past the check's time budget the order is accepted", async () => {
    osrm.setFault({ kind: 'delay', ms: Number.POSITIVE_INFINITY });
    try {
      const res = await h.call('POST', '/orders', order(hermitage, SEA_DROP));
      expect(res.status).toBe(201);
    } finally {
      osrm.setFault(null);
    }
  });

  it('records why an order was cancelled: by the customer', async () => {
    const id = (await h.call('POST', '/orders', order(fontvieille, CASINO))).body.id as string;
    const res = await h.call('POST', `/orders/${id}/cancel`);
    expect(res.body).toMatchObject({ status: 'cancelled', cancel_reason: 'customer' });
  });
});

describe('POST /orders with the straight-line router', () => {
  let h: ApiHarness;
  afterAll(async () => {
    await h?.close();
  });
  it('has no roads to refuse a drop by: the sea drop is accepted', async () => {
    h = await createApiHarness('api_orders_noroad', 'embedded');
    const store = (await h.call('POST', '/stores', { name: 'Hermitage', ...STORE_HERMITAGE })).body.id;
    const res = await h.call('POST', '/orders', order(store, SEA_DROP));
    expect(res.status).toBe(201);
  });
  const order = (storeId: string, drop: { lat: number; lon: number }) => ({
    store_id: storeId,
    drop,
    items: [{ name: 'pizza', qty: 1 }],
    prep_minutes: 10,
  });
});

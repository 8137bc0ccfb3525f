import { latLngToCell } from 'h3-js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiHarness,
  insertBatch,
  insertPathTemplate,
  type ApiHarness,
  HARNESS_BACKENDS,
  SAMPLE_DROP,
  sampleOrder,
} from './testing/api-harness.ts';

describe.each(HARNESS_BACKENDS)('on the %s stores', (backend) => {
  let h: ApiHarness;
  let storeId: string;
  const body = (extra: Record<string, unknown> = {}) => sampleOrder(storeId, extra);

  beforeAll(async () => {
    h = await createApiHarness('api_orders', backend);
    storeId = (await h.call('POST', '/stores', { name: 'Pizzeria Monte', lat: 43.7384, lon: 7.4246 })).body.id;
  });
  afterAll(async () => {
    await h?.close();
  });

  async function outboxOf(orderId: string) {
    const rows = await h.database.db.selectFrom('outbox').selectAll().orderBy('id').execute();
    return rows.filter((r) => (r.event.payload as { orderId?: string }).orderId === orderId);
  }

  describe('POST /orders', () => {
    it('stores the order with its H3 cell and default promise, and writes order.placed in the same transaction', async () => {
      const now = h.clock.now();
      const res = await h.call('POST', '/orders', body(), { 'idempotency-key': 'place-1' });
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`/orders/${res.body.id}`);
      expect(res.body).toMatchObject({
        store_id: storeId,
        status: 'placed',
        drop: SAMPLE_DROP,
        h3_cell: latLngToCell(SAMPLE_DROP.lat, SAMPLE_DROP.lon, 8),
        items: [{ name: 'margherita', qty: 2 }],
        placed_at: new Date(now).toISOString(),
        ready_at: new Date(now + 12 * 60_000).toISOString(),
        promised_at: new Date(now + 42 * 60_000).toISOString(),
        ready_marked_at: null,
        batch_id: null,
        rider_id: null,
        eta: null,
      });

      const events = await outboxOf(res.body.id);
      expect(events.map((e) => e.topic)).toEqual(['order.placed', 'order.updated']);
      expect(events[0]!.key).toBe(storeId);
      expect(events[0]!.event.payload).toEqual({
        orderId: res.body.id,
        storeId,
        cell: res.body.h3_cell,
        drop: SAMPLE_DROP,
        placedAt: res.body.placed_at,
        readyAt: res.body.ready_at,
        promisedAt: res.body.promised_at,
      });
      // Same transaction: the order row and its outbox rows were written by one transaction id.
      const { rows } = await sql<{ xid: string }>`
        select xmin::text as xid from orders where id = ${res.body.id}
        union all select xmin::text from outbox where event->'payload'->>'orderId' = ${res.body.id}`.execute(
        h.database.db,
      );
      expect(new Set(rows.map((r) => r.xid)).size).toBe(1);
      expect(rows).toHaveLength(3);
    });

    it('accepts ready_at and promised_at instead of prep minutes', async () => {
      const res = await h.call(
        'POST',
        '/orders',
        body({ prep_minutes: undefined, ready_at: '2026-11-22T12:20:00Z', promised_at: '2026-11-22T14:00:00+01:00' }),
      );
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ ready_at: '2026-11-22T12:20:00.000Z', promised_at: '2026-11-22T13:00:00.000Z' });
      const defaulted = await h.call(
        'POST',
        '/orders',
        body({ prep_minutes: undefined, ready_at: '2026-11-22T12:20:00Z' }),
      );
      expect(defaulted.body.promised_at).toBe('2026-11-22T12:50:00.000Z');
    });

    it('replays a retry with the same key: same order, 200, Idempotent-Replayed, one row, one event', async () => {
      const first = await h.call('POST', '/orders', body({ items: [{ name: 'calzone', qty: 1 }] }), {
        'idempotency-key': 'retry-1',
      });
      h.clock.advance(5_000);
      // Key order and whitespace differ; the request is the same.
      const again = await h.call(
        'POST',
        '/orders',
        JSON.stringify({
          prep_minutes: 12,
          items: [{ qty: 1, name: 'calzone' }],
          drop: SAMPLE_DROP,
          store_id: storeId,
        }),
        {
          'idempotency-key': 'retry-1',
        },
      );
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      // The same order; its read token was shown once, by the first answer.
      const { read_token: readToken, ...order } = first.body;
      expect(readToken).toMatch(/^dgo_or_/);
      expect(again.body).toEqual(order);
      const rows = await h.database.db
        .selectFrom('orders')
        .select('id')
        .where('idempotency_key', '=', 'retry-1')
        .execute();
      expect(rows).toHaveLength(1);
      expect((await outboxOf(first.body.id)).filter((e) => e.topic === 'order.placed')).toHaveLength(1);
    });

    it('refuses the same key with a different body, naming the problem', async () => {
      await h.call('POST', '/orders', body(), { 'idempotency-key': 'reuse-1' });
      const other = await h.call('POST', '/orders', body({ drop: { lat: 43.75, lon: 7.43 } }), {
        'idempotency-key': 'reuse-1',
      });
      expect(other.status).toBe(409);
      expect(other.body.error).toMatchObject({ code: 'order.idempotency_key_reused', field: 'Idempotency-Key' });
      expect(other.body.error.message).toMatch(/reuse-1.*different request/);
    });

    it('creates exactly one order from 20 concurrent posts with one key', async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          h.call('POST', '/orders', body({ items: [{ name: 'race', qty: 3 }] }), { 'idempotency-key': 'race-1' }),
        ),
      );
      const ids = new Set(answers.map((a) => a.body.id));
      expect(ids.size).toBe(1);
      expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') === 'true')).toHaveLength(
        19,
      );
      const rows = await h.database.db
        .selectFrom('orders')
        .select('id')
        .where('idempotency_key', '=', 'race-1')
        .execute();
      expect(rows).toHaveLength(1);
      expect((await outboxOf(rows[0]!.id)).filter((e) => e.topic === 'order.placed')).toHaveLength(1);
    });

    it('creates distinct orders without a key', async () => {
      const a = await h.call('POST', '/orders', body());
      const b = await h.call('POST', '/orders', body());
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(a.body.id).not.toBe(b.body.id);
    });

    it.each([
      ['drop.lat out of range', { drop: { lat: 95, lon: 7.4 } }, 'drop.lat'],
      ['drop.lon out of range', { drop: { lat: 43, lon: -181 } }, 'drop.lon'],
      ['missing items', { items: undefined }, 'items'],
      ['empty items', { items: [] }, 'items'],
      [
        'a bad item quantity',
        {
          items: [
            { name: 'x', qty: 1 },
            { name: 'y', qty: 0 },
          ],
        },
        'items[1].qty',
      ],
      ['missing store_id', { store_id: undefined }, 'store_id'],
      ['neither prep_minutes nor ready_at', { prep_minutes: undefined }, 'prep_minutes'],
      ['both prep_minutes and ready_at', { ready_at: '2026-11-22T12:20:00Z' }, 'ready_at'],
      ['a promise before readiness', { promised_at: '2026-11-22T12:05:00Z' }, 'promised_at'],
    ])('answers 400 naming the field for %s', async (_name, change, field) => {
      const res = await h.call('POST', '/orders', body(change));
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe(field);
      expect(res.body.error.message).toContain(field);
    });

    it('answers 404 for an unknown store, creating nothing', async () => {
      const before = await h.database.db
        .selectFrom('orders')
        .select(sql<string>`count(*)`.as('n'))
        .executeTakeFirstOrThrow();
      const res = await h.call('POST', '/orders', body({ store_id: '0f8fad5b-d9cb-469f-a165-70867728950e' }), {
        'idempotency-key': 'nostore',
      });
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'store.not_found', field: 'store_id' });
      const after = await h.database.db
        .selectFrom('orders')
        .select(sql<string>`count(*)`.as('n'))
        .executeTakeFirstOrThrow();
      expect(after.n).toBe(before.n);
    });
  });

  describe('order lifecycle', () => {
    const place = async () => (await h.call('POST', '/orders', body())).body.id as string;

    it('goes placed → cooking → ready, recording ready_marked_at and emitting order.ready', async () => {
      const id = await place();
      h.clock.advance(60_000);
      const cooking = await h.call('POST', `/orders/${id}/cooking`);
      expect(cooking.body).toMatchObject({
        status: 'cooking',
        kitchen_status: 'cooking',
        cooking_started_at: new Date(h.clock.now()).toISOString(),
      });
      h.clock.advance(60_000);
      const ready = await h.call('POST', `/orders/${id}/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', ready_marked_at: new Date(h.clock.now()).toISOString() });
      const events = await outboxOf(id);
      expect(events.map((e) => e.topic)).toEqual([
        'order.placed',
        'order.updated',
        'order.updated',
        'order.ready',
        'order.updated',
      ]);
      expect(events[3]!.event.payload).toEqual({ orderId: id, storeId, readyMarkedAt: ready.body.ready_marked_at });
      expect((await h.call('GET', `/orders/${id}`)).body).toEqual(ready.body);
    });

    it('answers 409 order.illegal_transition naming from and to', async () => {
      const id = await place();
      await h.call('POST', `/orders/${id}/ready`);
      const cooking = await h.call('POST', `/orders/${id}/cooking`);
      expect(cooking.status).toBe(409);
      expect(cooking.body.error).toMatchObject({
        code: 'order.illegal_transition',
        details: { from: 'ready', to: 'cooking' },
      });
      expect(cooking.body.error.message).toMatch(/from ready to cooking/);
      const twice = await h.call('POST', `/orders/${id}/ready`);
      expect(twice.status).toBe(409);
      expect(twice.body.error.code).toBe('order.already_ready');

      await h.call('POST', `/orders/${id}/cancel`);
      const afterCancel = await h.call('POST', `/orders/${id}/cancel`);
      expect(afterCancel.body.error).toMatchObject({
        code: 'order.illegal_transition',
        details: { from: 'cancelled', to: 'cancelled' },
      });
      expect((await h.call('POST', '/orders/0f8fad5b-d9cb-469f-a165-70867728950e/ready')).status).toBe(404);
    });

    it('marks a batched order ready without changing its status, and shows batch, rider-less and ETA', async () => {
      const id = await place();
      const pathId = await insertPathTemplate(h, storeId, SAMPLE_DROP);
      const batchId = await insertBatch(h, { storeId, pathId, orderIds: [id], status: 'sealed' });
      const ready = await h.call('POST', `/orders/${id}/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'batched', batch_id: batchId, rider_id: null });
      expect(ready.body.ready_marked_at).not.toBeNull();
      expect(ready.body.eta).toBe(new Date(h.clock.now() + 600_000).toISOString());
      // Sealed: too late to cancel.
      const cancel = await h.call('POST', `/orders/${id}/cancel`);
      expect(cancel.status).toBe(409);
      expect(cancel.body.error).toMatchObject({
        code: 'order.cancel_too_late',
        details: { batch_id: batchId, batch_status: 'sealed' },
      });
    });

    it('records cooking on a batched or assigned order without undoing dispatch, and publishes it', async () => {
      const id = await place();
      const pathId = await insertPathTemplate(h, storeId, SAMPLE_DROP);
      const batchId = await insertBatch(h, { storeId, pathId, orderIds: [id], status: 'open' });
      expect((await h.call('GET', `/orders/${id}`)).body).toMatchObject({
        status: 'batched',
        kitchen_status: 'waiting',
        cooking_started_at: null,
      });
      h.clock.advance(30_000);
      const cooking = await h.call('POST', `/orders/${id}/cooking`);
      expect(cooking.status).toBe(200);
      expect(cooking.body).toMatchObject({
        status: 'batched',
        batch_id: batchId,
        kitchen_status: 'cooking',
        cooking_started_at: new Date(h.clock.now()).toISOString(),
      });
      const updates = (await outboxOf(id)).filter((e) => e.topic === 'order.updated');
      expect(updates.at(-1)!.event.payload).toMatchObject({
        status: 'batched',
        cookingStartedAt: cooking.body.cooking_started_at,
      });
      // Still in its batch, which is untouched.
      expect((await h.call('GET', `/batches/${batchId}`)).body).toMatchObject({ status: 'open', order_count: 1 });

      const again = await h.call('POST', `/orders/${id}/cooking`);
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({
        code: 'order.already_cooking',
        details: { cooking_started_at: cooking.body.cooking_started_at },
      });
      const ready = await h.call('POST', `/orders/${id}/ready`);
      expect(ready.body).toMatchObject({ status: 'batched', kitchen_status: 'ready' });
    });

    it('refuses cooking after ready on a batched order, and any kitchen step after pickup', async () => {
      const id = await place();
      const pathId = await insertPathTemplate(h, storeId, SAMPLE_DROP);
      await insertBatch(h, { storeId, pathId, orderIds: [id], status: 'open' });
      expect((await h.call('POST', `/orders/${id}/ready`)).body.kitchen_status).toBe('ready');
      const late = await h.call('POST', `/orders/${id}/cooking`);
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('order.already_ready');
      expect((await h.call('GET', `/orders/${id}`)).body.cooking_started_at).toBeNull();

      const picked = await place();
      await h.database.db.updateTable('orders').set({ status: 'picked_up' }).where('id', '=', picked).execute();
      const afterPickup = await h.call('POST', `/orders/${picked}/cooking`);
      expect(afterPickup.body.error).toMatchObject({
        code: 'order.illegal_transition',
        details: { from: 'picked_up', to: 'cooking' },
      });
    });

    it('cancels an order of an open batch, taking it out of the batch (and cancelling a batch left empty)', async () => {
      const a = await place();
      const b = await place();
      const pathId = await insertPathTemplate(h, storeId, { lat: 43.745, lon: 7.43 });
      const batchId = await insertBatch(h, { storeId, pathId, orderIds: [a, b], status: 'open' });

      const cancelA = await h.call('POST', `/orders/${a}/cancel`);
      expect(cancelA.body).toMatchObject({ status: 'cancelled', batch_id: null });
      let batch = await h.call('GET', `/batches/${batchId}`);
      expect(batch.body).toMatchObject({ status: 'open', order_count: 1 });
      expect(batch.body.orders.map((o: { id: string }) => o.id)).toEqual([b]);
      const events = await h.database.db
        .selectFrom('outbox')
        .selectAll()
        .where('topic', '=', 'batch.updated')
        .where('key', '=', batchId)
        .execute();
      expect(events.map((e) => e.event.payload)).toEqual([
        expect.objectContaining({ status: 'open', orderIds: [b], removedOrderId: a }),
      ]);

      await h.call('POST', `/orders/${b}/cancel`);
      batch = await h.call('GET', `/batches/${batchId}`);
      expect(batch.body).toMatchObject({ status: 'cancelled', order_count: 0, orders: [] });
    });
  });
});

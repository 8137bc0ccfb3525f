import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDeliveryService } from '../../internal/delivery/delivery-service.ts';
import { haversineM } from '../../internal/geo/haversine.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import {
  createApiHarness,
  insertBatch,
  insertPathTemplate,
  north,
  type ApiHarness,
  HARNESS_BACKENDS,
} from './testing/api-harness.ts';

describe.each(HARNESS_BACKENDS)('on the %s stores', (backend) => {
  let h: ApiHarness;
  let storeId: string;
  let pathId: string;
  const STORE = { lat: 43.7384, lon: 7.4246 };
  const DROP_A = { lat: 43.7402, lon: 7.4291 };
  const DROP_B = { lat: 43.7415, lon: 7.4302 };

  beforeAll(async () => {
    h = await createApiHarness('api_delivery', backend);
    storeId = (await h.call('POST', '/stores', { name: 'Pizzeria Monte', ...STORE })).body.id;
    pathId = await insertPathTemplate(h, storeId, DROP_A);
  });
  afterAll(async () => {
    await h?.close();
  });

  interface Scenario {
    batchId: string;
    riderId: string;
    otherRiderId: string;
    orderA: string;
    orderB: string;
  }

  /**
   * Two orders (drops `dropA`, `dropB`) in a batch assigned to a rider the geo store has claimed for it, as the
   * dispatcher leaves them.
   */
  async function assignedBatch(dropA = DROP_A, dropB = DROP_B): Promise<Scenario> {
    const place = async (drop: { lat: number; lon: number }) =>
      (
        await h.call('POST', '/orders', {
          store_id: storeId,
          drop,
          items: [{ name: 'pizza', qty: 1 }],
          prep_minutes: 10,
        })
      ).body.id as string;
    const orderA = await place(dropA);
    const orderB = await place(dropB);
    const riderId = (await h.call('POST', '/riders', { name: 'Ada', status: 'idle', ...STORE })).body.id as string;
    const otherRiderId = (await h.call('POST', '/riders', { name: 'Bo', status: 'idle', ...STORE })).body.id as string;
    const batchId = await insertBatch(h, { storeId, pathId, orderIds: [orderA, orderB], status: 'assigned', riderId });
    expect(await h.geo.claimRider(riderId, batchId)).toBe(true);
    return { batchId, riderId, otherRiderId, orderA, orderB };
  }

  async function pickedUpBatch(dropA = DROP_A, dropB = DROP_B): Promise<Scenario> {
    const s = await assignedBatch(dropA, dropB);
    expect((await h.call('POST', `/batches/${s.batchId}/pickup`, { rider_id: s.riderId })).status).toBe(200);
    return s;
  }

  /**
   * The rider's phone posts a GPS fix at `at` through the API, a second later than anything before (the geo store
   * keeps only a newer fix), as a rider app does at the door before confirming.
   */
  async function gps(riderId: string, at: { lat: number; lon: number }): Promise<void> {
    h.clock.advance(1_000);
    const res = await h.call('POST', `/riders/${riderId}/location`, {
      ...at,
      recorded_at: new Date(h.clock.now()).toISOString(),
    });
    expect([res.status, res.body?.status]).toEqual([202, 'accepted']);
  }

  /** Posts the fix at `at`, then confirms `orderId` claiming that same point (what the simulator's riders do). */
  async function confirmAt(s: Scenario, orderId: string, at: { lat: number; lon: number }) {
    await gps(s.riderId, at);
    return h.call('POST', `/batches/${s.batchId}/confirm-delivery`, { order_id: orderId, rider_id: s.riderId, ...at });
  }

  beforeEach(() => {
    h.clock.advance(60_000);
  });

  describe('POST /batches/{id}/pickup', () => {
    it('lets the assigned rider pick up: batch and orders picked_up, rider delivering, events out', async () => {
      const s = await assignedBatch();
      const res = await h.call('POST', `/batches/${s.batchId}/pickup`, { rider_id: s.riderId });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: s.batchId,
        status: 'picked_up',
        rider_id: s.riderId,
        picked_up_at: new Date(h.clock.now()).toISOString(),
      });
      expect(res.body.orders.map((o: { status: string }) => o.status)).toEqual(['picked_up', 'picked_up']);
      expect(res.body.stops.map((st: { order_id: string }) => st.order_id)).toEqual([s.orderA, s.orderB]);
      expect((await h.call('GET', `/riders/${s.riderId}`)).body).toMatchObject({
        status: 'delivering',
        batch_id: s.batchId,
      });
      expect((await h.call('GET', `/orders/${s.orderA}`)).body).toMatchObject({
        status: 'picked_up',
        batch_id: s.batchId,
        rider_id: s.riderId,
      });

      const topics = await h.database.db
        .selectFrom('outbox')
        .select(['topic', 'key'])
        .where('key', 'in', [s.batchId, s.riderId, s.orderA])
        .orderBy('id')
        .execute();
      expect(topics.slice(-3)).toEqual([
        { topic: 'batch.updated', key: s.batchId },
        { topic: 'order.updated', key: s.orderA },
        { topic: 'rider.updated', key: s.riderId },
      ]);
    });

    it('answers 403 to another rider and 409 when the batch is not assigned', async () => {
      const s = await assignedBatch();
      // An order whose batch has a rider can no longer be cancelled.
      const cancelAssigned = await h.call('POST', `/orders/${s.orderB}/cancel`);
      expect(cancelAssigned.status).toBe(409);
      expect(cancelAssigned.body.error).toMatchObject({
        code: 'order.cancel_too_late',
        details: { batch_status: 'assigned' },
      });
      const other = await h.call('POST', `/batches/${s.batchId}/pickup`, { rider_id: s.otherRiderId });
      expect(other.status).toBe(403);
      expect(other.body.error.code).toBe('batch.not_your_batch');
      await h.call('POST', `/batches/${s.batchId}/pickup`, { rider_id: s.riderId });
      const again = await h.call('POST', `/batches/${s.batchId}/pickup`, { rider_id: s.riderId });
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({
        code: 'batch.illegal_transition',
        details: { from: 'picked_up', to: 'picked_up' },
      });
      const cancelPickedUp = await h.call('POST', `/orders/${s.orderA}/cancel`);
      expect(cancelPickedUp.body.error).toMatchObject({
        code: 'order.illegal_transition',
        details: { from: 'picked_up', to: 'cancelled' },
      });
      expect(
        (await h.call('POST', '/batches/0f8fad5b-d9cb-469f-a165-70867728950e/pickup', { rider_id: s.riderId })).status,
      ).toBe(404);
    });
  });

  describe('POST /batches/{id}/confirm-delivery', () => {
    it('accepts a rider 29 m from the drop by its GPS and refuses one 31 m away with the distance', async () => {
      const s = await pickedUpBatch();
      const far = north(DROP_A, 31);
      await gps(s.riderId, far);
      // No point in the body: the server's own fix is the evidence.
      const tooFar = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, {
        order_id: s.orderA,
        rider_id: s.riderId,
      });
      expect(tooFar.status).toBe(409);
      expect(tooFar.body.error.code).toBe('delivery.too_far');
      expect(tooFar.body.error.details.distance_m).toBeCloseTo(31, 1);
      expect(tooFar.body.error.message).toContain('31 m');
      expect((await h.call('GET', `/orders/${s.orderA}`)).body.status).toBe('picked_up');

      const near = north(DROP_A, 29);
      await gps(s.riderId, near);
      const ok = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, {
        order_id: s.orderA,
        rider_id: s.riderId,
      });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({
        batch_id: s.batchId,
        batch_status: 'picked_up',
        order_id: s.orderA,
        distance_m: 29,
        batch_delivered: false,
      });
      const row = await h.database.db
        .selectFrom('orders')
        .selectAll()
        .where('id', '=', s.orderA)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'delivered', delivered_lat: near.lat, delivered_lon: near.lon });
      expect(row.delivery_distance_m).toBeCloseTo(haversineM(near, DROP_A), 6);
      // Compared with THIS order's drop: standing at A's drop does not deliver B.
      const wrongDrop = await confirmAt(s, s.orderB, DROP_A);
      expect(wrongDrop.status).toBe(409);
      expect(wrongDrop.body.error.details.distance_m).toBeGreaterThan(100);
    });

    it('accepts 29.9 m and exactly 30.0 m, refuses 30.1 m: the limit in the message is the limit applied', async () => {
      const s = await pickedUpBatch();
      const refused = await confirmAt(s, s.orderA, north(DROP_A, 30.1));
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({
        code: 'delivery.too_far',
        details: { distance_m: 30.1, max_distance_m: 30 },
      });
      expect(refused.body.error.message).toContain('is 30.1 m from the drop');
      expect(refused.body.error.message).toContain('at most 30 m is accepted');

      // 30.0 m as a client measures it with a 6,371,000 m Earth: 30.00004 m by our haversine, shown as 30 — accepted,
      // as the message promises (it used to be refused with "the rider is 30 m from the drop; at most 30 m is accepted").
      const clientThirty = { lat: DROP_A.lat + (30 / 6_371_000) * (180 / Math.PI), lon: DROP_A.lon };
      expect(haversineM(clientThirty, DROP_A)).toBeGreaterThan(30);
      const exactly = await confirmAt(s, s.orderA, clientThirty);
      expect(exactly.status).toBe(200);
      expect(exactly.body).toMatchObject({ order_id: s.orderA, distance_m: 30 });

      const inside = await confirmAt(s, s.orderB, north(DROP_B, 29.9));
      expect(inside.status).toBe(200);
      expect(inside.body).toMatchObject({ order_id: s.orderB, distance_m: 29.9, batch_delivered: true });
    });

    it('replays the first answer to a repeated confirmation (a retry after a lost answer), changing nothing', async () => {
      const s = await pickedUpBatch();
      const bodyA = { order_id: s.orderA, rider_id: s.riderId, ...north(DROP_A, 12) };
      const firstA = await confirmAt(s, s.orderA, north(DROP_A, 12));
      const deliveredAtA = new Date(h.clock.now());
      expect(firstA.status).toBe(200);
      expect(firstA.headers.get('idempotent-replayed')).toBeNull();
      const bodyB = { order_id: s.orderB, rider_id: s.riderId, ...north(DROP_B, 3) };
      const firstB = await confirmAt(s, s.orderB, north(DROP_B, 3));
      expect(firstB.body).toMatchObject({ batch_status: 'delivered', batch_delivered: true });
      const outboxBefore = await h.database.db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();

      // Two minutes later the rider's fix has expired: a replay changes nothing, so it needs no fresh evidence.
      h.clock.advance(120_000);
      // A's first answer was given while the batch still had B to deliver: the replay says so, even though the
      // batch is delivered by now.
      const againA = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, bodyA);
      expect(againA.status).toBe(200);
      expect(againA.body).toEqual(firstA.body);
      expect(againA.headers.get('idempotent-replayed')).toBe('true');
      const againB = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, bodyB);
      expect([againB.status, againB.body]).toEqual([200, firstB.body]);

      // Nothing written: no event, the delivery time and place unchanged, the rider still idle and available.
      const outboxAfter = await h.database.db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(outboxAfter.n).toBe(outboxBefore.n);
      const row = await h.database.db
        .selectFrom('orders')
        .selectAll()
        .where('id', '=', s.orderA)
        .executeTakeFirstOrThrow();
      expect(row.delivered_lat).toBe(bodyA.lat);
      expect(row.delivered_at).toEqual(deliveredAtA);
      expect(await h.geo.getRiderStatus(s.riderId)).toEqual({ status: 'available', batchId: null });
      // Only the rider who delivered gets the replay.
      expect(
        (await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, { ...bodyA, rider_id: s.otherRiderId })).status,
      ).toBe(403);
    });

    it('answers 403 to another rider, 404 for an order not in the batch, the first answer again for a repeat', async () => {
      const s = await pickedUpBatch();
      const other = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, {
        order_id: s.orderA,
        rider_id: s.otherRiderId,
        ...DROP_A,
      });
      expect(other.status).toBe(403);
      expect(other.body.error.code).toBe('batch.not_your_batch');

      const stranger = (await assignedBatch()).orderA;
      const notIn = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, {
        order_id: stranger,
        rider_id: s.riderId,
        ...DROP_A,
      });
      expect(notIn.status).toBe(404);
      expect(notIn.body.error).toMatchObject({ code: 'delivery.order_not_in_batch', field: 'order_id' });

      const first = await confirmAt(s, s.orderA, DROP_A);
      expect(first.status).toBe(200);
      const repeat = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, {
        order_id: s.orderA,
        rider_id: s.riderId,
        ...DROP_A,
      });
      expect(repeat.status).toBe(200);
      expect(repeat.body).toEqual(first.body);
    });

    it('refuses a drop before pickup', async () => {
      const s = await assignedBatch();
      const early = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, {
        order_id: s.orderA,
        rider_id: s.riderId,
        ...DROP_A,
      });
      expect(early.status).toBe(409);
      expect(early.body.error).toMatchObject({
        code: 'batch.illegal_transition',
        details: { from: 'assigned', to: 'delivered' },
      });
    });

    it('delivers the batch on the last drop and makes the rider idle and available again where it stands', async () => {
      const s = await pickedUpBatch();
      expect(await h.geo.getRiderStatus(s.riderId)).toEqual({ status: 'busy', batchId: s.batchId });
      expect((await confirmAt(s, s.orderA, DROP_A)).status).toBe(200);
      expect((await h.call('GET', `/riders/${s.riderId}`)).body.status).toBe('delivering');

      const last = await confirmAt(s, s.orderB, north(DROP_B, 5));
      expect(last.body).toMatchObject({ batch_status: 'delivered', batch_delivered: true });
      const batch = await h.call('GET', `/batches/${s.batchId}`);
      expect(batch.body).toMatchObject({ status: 'delivered', delivered_at: new Date(h.clock.now()).toISOString() });
      expect((await h.call('GET', `/riders/${s.riderId}`)).body).toMatchObject({
        status: 'idle',
        batch_id: null,
        last_position: north(DROP_B, 5),
      });
      expect(await h.geo.getRiderStatus(s.riderId)).toEqual({ status: 'available', batchId: null });
      const found = await h.geo.searchAvailable(DROP_B, 2_000, 100);
      expect(found.map((r) => r.riderId)).toContain(s.riderId);

      const events = await h.database.db
        .selectFrom('outbox')
        .selectAll()
        .where('key', 'in', [s.batchId, s.riderId])
        .orderBy('id')
        .execute();
      expect(events.slice(-2).map((e) => [e.topic, (e.event.payload as { status: string }).status])).toEqual([
        ['batch.updated', 'delivered'],
        ['rider.updated', 'idle'],
      ]);
    });

    it('serialises concurrent confirmations: the batch is delivered exactly once', async () => {
      // Two orders to one building: one fix at its door is evidence for both drops.
      const s = await pickedUpBatch(DROP_A, north(DROP_A, 10));
      await gps(s.riderId, north(DROP_A, 5));
      const [a, b] = await Promise.all([
        h.call('POST', `/batches/${s.batchId}/confirm-delivery`, { order_id: s.orderA, rider_id: s.riderId }),
        h.call('POST', `/batches/${s.batchId}/confirm-delivery`, { order_id: s.orderB, rider_id: s.riderId }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect([a.body.batch_delivered, b.body.batch_delivered].sort()).toEqual([false, true]);
      const delivered = await h.database.db
        .selectFrom('outbox')
        .selectAll()
        .where('topic', '=', 'batch.updated')
        .where('key', '=', s.batchId)
        .execute();
      expect(delivered.filter((e) => (e.event.payload as { status: string }).status === 'delivered')).toHaveLength(1);
      expect((await h.call('GET', `/riders/${s.riderId}`)).body.status).toBe('idle');
    });

    it("refuses a body that claims the drop while the rider's GPS says 2 km away", async () => {
      const s = await pickedUpBatch();
      await gps(s.riderId, north(DROP_A, 2_000));
      const lie = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, {
        order_id: s.orderA,
        rider_id: s.riderId,
        ...DROP_A,
      });
      expect(lie.status).toBe(409);
      expect(lie.body.error).toMatchObject({ code: 'delivery.claim_disagrees', details: { max_claim_to_fix_m: 30 } });
      expect(lie.body.error.details.claim_to_fix_m).toBeCloseTo(2_000, 0);
      // Without the claim the fix alone decides: still 2 km.
      const bare = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, {
        order_id: s.orderA,
        rider_id: s.riderId,
      });
      expect(bare.status).toBe(409);
      expect(bare.body.error).toMatchObject({ code: 'delivery.too_far' });
      expect(bare.body.error.details.distance_m).toBeCloseTo(2_000, 0);
      expect((await h.call('GET', `/orders/${s.orderA}`)).body.status).toBe('picked_up');
      // A claim a few metres off the fix (GPS jitter) agrees with it.
      await gps(s.riderId, DROP_A);
      const ok = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, {
        order_id: s.orderA,
        rider_id: s.riderId,
        ...north(DROP_A, 8),
      });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ order_id: s.orderA, distance_m: 0 });
    });

    it('refuses a fix 2 minutes old (no fresh fix), accepts one 45 s old, and again once the rider pings', async () => {
      const s = await pickedUpBatch();
      await gps(s.riderId, DROP_A);
      h.clock.advance(120_000);
      const stale = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, {
        order_id: s.orderA,
        rider_id: s.riderId,
        ...DROP_A,
      });
      expect(stale.status).toBe(409);
      expect(stale.body.error).toMatchObject({
        code: 'delivery.no_fix',
        details: { rider_id: s.riderId, max_fix_age_s: 60 },
      });
      expect((await h.call('GET', `/orders/${s.orderA}`)).body.status).toBe('picked_up');

      await gps(s.riderId, DROP_A);
      h.clock.advance(45_000);
      const fresh = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, {
        order_id: s.orderA,
        rider_id: s.riderId,
      });
      expect(fresh.status).toBe(200);
    });

    it('refuses a live fix older than a configured DELIVERY_FIX_MAX_AGE_S (30 s) with delivery.stale_fix', async () => {
      const s = await pickedUpBatch();
      // The service as compose builds it with DELIVERY_FIX_MAX_AGE_S=30, over this suite's stores.
      const strict = createDeliveryService({
        db: h.database.db,
        clock: h.clock,
        logger: silentLogger,
        geo: h.geo,
        fixMaxAgeMs: 30_000,
      });
      await gps(s.riderId, DROP_A);
      h.clock.advance(45_000); // still live in the geo store (60 s), but older than 30 s
      await expect(
        strict.confirmDelivery(s.batchId, { order_id: s.orderA, rider_id: s.riderId }),
      ).rejects.toMatchObject({
        kind: 'conflict',
        slug: 'delivery.stale_fix',
        details: { fix_age_s: 45, max_fix_age_s: 30 },
      });
      await gps(s.riderId, DROP_A);
      expect(await strict.confirmDelivery(s.batchId, { order_id: s.orderA, rider_id: s.riderId })).toMatchObject({
        order_id: s.orderA,
        replayed: false,
      });
    });

    it('answers 503 delivery.fix_unavailable (not 500, not "no fix") while the geo store cannot be read', async () => {
      const s = await pickedUpBatch();
      await gps(s.riderId, DROP_A);
      const geo = h.geo;
      const away = createDeliveryService({
        db: h.database.db,
        clock: h.clock,
        logger: silentLogger,
        geo: {
          getRiderPosition: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
          updateRiderPosition: (id, ping) => geo.updateRiderPosition(id, ping),
          setRiderAvailability: (id, status) => geo.setRiderAvailability(id, status),
          releaseRider: (id, batchId) => geo.releaseRider(id, batchId),
        },
      });
      await expect(away.confirmDelivery(s.batchId, { order_id: s.orderA, rider_id: s.riderId })).rejects.toMatchObject({
        kind: 'unavailable',
        slug: 'delivery.fix_unavailable',
      });
      expect((await h.call('GET', `/orders/${s.orderA}`)).body.status).toBe('picked_up');
    });

    it('answers 400 naming lon when the body sends lat without lon', async () => {
      const s = await pickedUpBatch();
      const half = await h.call('POST', `/batches/${s.batchId}/confirm-delivery`, {
        order_id: s.orderA,
        rider_id: s.riderId,
        lat: DROP_A.lat,
      });
      expect(half.status).toBe(400);
      expect(half.body.error.field).toBe('lon');
    });
  });
});

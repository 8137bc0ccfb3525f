import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiHarness,
  insertBatch,
  insertPathTemplate,
  type ApiHarness,
  HARNESS_BACKENDS,
} from './testing/api-harness.ts';

describe.each(HARNESS_BACKENDS)('on the %s stores', (backend) => {
  let h: ApiHarness;
  const HERE = { lat: 43.7384, lon: 7.4246 };

  beforeAll(async () => {
    h = await createApiHarness('api_riders', backend);
  });
  afterAll(async () => {
    await h?.close();
  });

  const availableIds = async () => (await h.geo.searchAvailable(HERE, 5_000, 100)).map((r) => r.riderId);

  describe('riders', () => {
    it('registers a rider offline by default, with its position recorded but not available', async () => {
      const res = await h.call('POST', '/riders', { name: 'Ada', ...HERE });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ name: 'Ada', status: 'offline', last_position: HERE, batch_id: null });
      expect(await h.geo.getRiderStatus(res.body.id)).toEqual({ status: 'offline', batchId: null });
      expect((await h.geo.getRiderPosition(res.body.id))?.lat).toBeCloseTo(HERE.lat, 5);
      expect(await availableIds()).not.toContain(res.body.id);
      // The token is shown once, at registration.
      const { token, ...rider } = res.body;
      expect(token).toMatch(/^dgo_rd_/);
      expect((await h.call('GET', `/riders/${res.body.id}`)).body).toEqual(rider);
      const events = await h.database.db
        .selectFrom('outbox')
        .selectAll()
        .where('topic', '=', 'rider.updated')
        .where('key', '=', res.body.id)
        .execute();
      expect(events.map((e) => e.event.payload)).toEqual([
        expect.objectContaining({ riderId: res.body.id, status: 'offline' }),
      ]);
    });

    it('goes on shift (available at its last position) and off shift (removed), repeats being no-ops', async () => {
      const id = (await h.call('POST', '/riders', { name: 'Bo', ...HERE })).body.id;
      const on = await h.call('POST', `/riders/${id}/status`, { status: 'idle' });
      expect(on).toMatchObject({ status: 200, body: { status: 'idle' } });
      expect(await availableIds()).toContain(id);
      expect((await h.call('POST', `/riders/${id}/status`, { status: 'idle' })).status).toBe(200);

      const off = await h.call('POST', `/riders/${id}/status`, { status: 'offline' });
      expect(off.body.status).toBe('offline');
      expect(await availableIds()).not.toContain(id);
      expect(await h.geo.getRiderStatus(id)).toEqual({ status: 'offline', batchId: null });
    });

    it('registers an idle rider available at once; one without a position waits for it', async () => {
      const idle = await h.call('POST', '/riders', { name: 'Cy', status: 'idle', lat: 43.739, lon: 7.425 });
      expect(idle.body.status).toBe('idle');
      expect(await availableIds()).toContain(idle.body.id);

      const nowhere = await h.call('POST', '/riders', { name: 'Di' });
      const on = await h.call('POST', `/riders/${nowhere.body.id}/status`, {
        status: 'idle',
        lat: 43.7385,
        lon: 7.4247,
      });
      expect(on.body).toMatchObject({ status: 'idle', last_position: { lat: 43.7385, lon: 7.4247 } });
      expect(await availableIds()).toContain(nowhere.body.id);
    });

    it('refuses to take a rider carrying a batch off shift (409) and shows its batch', async () => {
      const store = (await h.call('POST', '/stores', { name: 'S', ...HERE })).body.id;
      const order = (
        await h.call('POST', '/orders', {
          store_id: store,
          drop: { lat: 43.74, lon: 7.43 },
          items: [{ name: 'x', qty: 1 }],
          prep_minutes: 5,
        })
      ).body.id;
      const rider = (await h.call('POST', '/riders', { name: 'Ed', status: 'idle', ...HERE })).body.id;
      const pathId = await insertPathTemplate(h, store, { lat: 43.74, lon: 7.43 });
      const batchId = await insertBatch(h, {
        storeId: store,
        pathId,
        orderIds: [order],
        status: 'assigned',
        riderId: rider,
      });

      const off = await h.call('POST', `/riders/${rider}/status`, { status: 'offline' });
      expect(off.status).toBe(409);
      expect(off.body.error).toMatchObject({
        code: 'rider.illegal_transition',
        details: { from: 'assigned', to: 'offline' },
      });
      expect((await h.call('GET', `/riders/${rider}`)).body).toMatchObject({ status: 'assigned', batch_id: batchId });
    });

    it('answers 400 naming the field and 404 for an unknown rider', async () => {
      const half = await h.call('POST', '/riders', { name: 'Fi', lat: 43.7 });
      expect(half.status).toBe(400);
      expect(half.body.error.field).toBe('lon');
      const polar = await h.call('POST', '/riders', { name: 'Gu', lat: 89, lon: 0 });
      expect(polar.body.error.field).toBe('lat');
      const badStatus = await h.call('POST', '/riders/0f8fad5b-d9cb-469f-a165-70867728950e/status', {
        status: 'delivering',
      });
      expect(badStatus.body.error.field).toBe('status');
      const unknown = await h.call('POST', '/riders/0f8fad5b-d9cb-469f-a165-70867728950e/status', { status: 'idle' });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('rider.not_found');
    });
  });
});

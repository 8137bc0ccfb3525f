import { latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness, HARNESS_BACKENDS } from './testing/api-harness.ts';

describe.each(HARNESS_BACKENDS)('on the %s stores', (backend) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await createApiHarness('api_stores', backend);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('stores', () => {
    it('creates a store with its H3 cell, gets it, and lists stores newest first with cursor paging', async () => {
      const a = await h.call('POST', '/stores', { name: 'Pizzeria Monte', lat: 43.7384, lon: 7.4246 });
      expect(a.status).toBe(201);
      expect(a.body).toMatchObject({
        name: 'Pizzeria Monte',
        lat: 43.7384,
        lon: 7.4246,
        h3_cell: latLngToCell(43.7384, 7.4246, 8),
      });
      h.clock.advance(1000);
      const b = await h.call('POST', '/stores', { name: 'Sushi Port', lat: 43.735, lon: 7.421 });
      expect(b.status).toBe(201);
      expect(b.body.id).not.toBe(a.body.id);

      // The key is shown once, at creation: a read shows the store without it.
      expect(a.body.api_key).toMatch(/^dgo_st_/);
      const { api_key: _aKey, ...storeA } = a.body;
      const { api_key: _bKey, ...storeB } = b.body;
      const got = await h.call('GET', `/stores/${a.body.id}`);
      expect(got).toMatchObject({ status: 200, body: storeA });
      expect(got.body.api_key).toBeUndefined();

      const all = await h.call('GET', '/stores');
      expect(all.status).toBe(200);
      expect(all.body).toEqual({ items: [storeB, storeA], next_cursor: null });

      const page1 = await h.call('GET', '/stores?limit=1');
      expect(page1.body.items.map((s: { id: string }) => s.id)).toEqual([b.body.id]);
      const page2 = await h.call('GET', `/stores?limit=1&cursor=${page1.body.next_cursor}`);
      expect(page2.body.items.map((s: { id: string }) => s.id)).toEqual([a.body.id]);
      expect(page2.body.next_cursor).toBeNull();
      const badCursor = await h.call('GET', `/stores?cursor=${a.body.id}`);
      expect(badCursor).toMatchObject({
        status: 400,
        body: { error: { code: 'request.invalid_input', field: 'cursor' } },
      });
    });

    it('answers 400 naming the field, 404 for an unknown store and 400 for a malformed id', async () => {
      const bad = await h.call('POST', '/stores', { name: 'x', lat: 91, lon: 0 });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'request.invalid_input', field: 'lat' });
      const noName = await h.call('POST', '/stores', { lat: 1, lon: 0 });
      expect(noName.body.error.field).toBe('name');

      const missing = await h.call('GET', '/stores/0f8fad5b-d9cb-469f-a165-70867728950e');
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('store.not_found');
      const malformed = await h.call('GET', '/stores/not-a-uuid');
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.field).toBe('id');
    });
  });
});

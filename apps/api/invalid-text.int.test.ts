import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness, HARNESS_BACKENDS } from './testing/api-harness.ts';

const HERE = { lat: 43.7384, lon: 7.4246 };

/** Text Postgres cannot store answers 400 `request.invalid_text` naming the field, on every route, never a 500. */
describe.each(HARNESS_BACKENDS)('unstorable text on the %s stores', (backend) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await createApiHarness('api_invalid_text', backend);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses a NUL in a store name, naming the field', async () => {
    const res = await h.call('POST', '/stores', { name: 'Pizza\u0000Monte', ...HERE });
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'request.invalid_text', field: 'name' } } });
  });

  it('refuses a lone surrogate in a rider name (high or low), naming the field', async () => {
    for (const name of ['Ada \ud800', '\udc00 Bo', 'x\ud800y']) {
      const res = await h.call('POST', '/riders', { name, ...HERE });
      expect(res).toMatchObject({ status: 400, body: { error: { code: 'request.invalid_text', field: 'name' } } });
    }
  });

  it('refuses an unstorable order item name, naming it by its path', async () => {
    const store = await h.call('POST', '/stores', { name: 'Sushi Port', ...HERE });
    expect(store.status).toBe(201);
    const res = await h.call('POST', '/orders', {
      store_id: store.body.id,
      drop: { lat: 43.74, lon: 7.43 },
      items: [
        { name: 'miso', qty: 1 },
        { name: 'ma\u0000ki', qty: 2 },
      ],
      prep_minutes: 5,
    });
    expect(res).toMatchObject({
      status: 400,
      body: { error: { code: 'request.invalid_text', field: 'items[1].name' } },
    });
  });

  it('refuses it in a query parameter and in an unknown field name too', async () => {
    const query = await h.call('GET', '/stores?cursor=%00');
    expect(query).toMatchObject({ status: 400, body: { error: { code: 'request.invalid_text', field: 'cursor' } } });
    const key = await h.call('POST', '/stores', { name: 'ok', ...HERE, 'bad\u0000key': 1 });
    expect(key).toMatchObject({
      status: 400,
      body: { error: { code: 'request.invalid_text', field: 'bad\u0000key' } },
    });
  });

  it('keeps well-formed text, surrogate pairs included', async () => {
    const res = await h.call('POST', '/stores', { name: '🍕 Pizza Ünïcode', ...HERE });
    expect(res).toMatchObject({ status: 201, body: { name: '🍕 Pizza Ünïcode' } });
    const malformed = await h.call('POST', '/stores', '{"name": "x\\u0000"');
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'request.malformed_body' } } });
  });
});

import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mintToken } from '../../internal/auth/token.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { withOrderLane } from './order-lane.ts';
import type { RequestLimitSettings } from './rate-limit.ts';
import {
  createApiHarness,
  type ApiHarness,
  HARNESS_BACKENDS,
  type HarnessOptions,
  SAMPLE_DROP,
  sampleOrder,
} from './testing/api-harness.ts';

/**
 * The order lane (order-lane.ts) against the documented Hono route, request for request: the same app served twice
 * over a socket — through the lane, and by Hono alone — and every answer compared whole (status, JSON body, headers
 * but `Date`). Orders placed twice differ only by their id and read token, which are set aside. Each case also says
 * who served it through the lane's listener: the lane itself, or Hono behind it (the requests the lane hands on).
 */

type Answer = { status: number; body: unknown; headers: Record<string, string> };

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );

interface Parity {
  h: ApiHarness;
  /** POSTs `body` (a string as it is, anything else as JSON) to the lane and to Hono; answers both, lane first. */
  both(body: unknown, headers?: Record<string, string>, path?: string): Promise<[Answer, Answer]>;
  /** Whether the lane handed its last request on to Hono. */
  handedOn(): boolean;
}

/** A harness, and its app served through the order lane and by Hono alone. */
function parityOn(backend: (typeof HARNESS_BACKENDS)[number], options: HarnessOptions = {}): Parity {
  const servers: Server[] = [];
  let laneUrl = '';
  let honoUrl = '';
  let handed = false;
  const parity = {
    h: undefined as unknown as ApiHarness,
    async both(body: unknown, headers: Record<string, string> = {}, path = '/orders') {
      const send = async (base: string): Promise<Answer> => {
        const res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${parity.h.operatorKey}`, ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        const text = await res.text();
        const answerHeaders = Object.fromEntries([...res.headers].filter(([name]) => name !== 'date'));
        return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: answerHeaders };
      };
      handed = false;
      const lane = await send(laneUrl);
      return [lane, await send(honoUrl)] as [Answer, Answer];
    },
    handedOn: () => handed,
  };
  beforeAll(async () => {
    parity.h = await createApiHarness('api_order_lane', backend, options);
    const { h } = parity;
    const hono = getRequestListener(h.app.fetch);
    const next: RequestListener = (req, res) => {
      handed = true;
      hono(req, res);
    };
    // The harness's limiter is shared by its app (the Hono route) and this lane, as compose.ts shares it.
    const { requestLimits } = h;
    const lane = createServer(
      withOrderLane(
        { services: h.services, auth: h.auth, logger: silentLogger, metrics: new Registry(), requestLimits },
        next,
      ),
    );
    servers.push(lane, createServer(hono));
    laneUrl = await listen(lane);
    honoUrl = await listen(servers[1]!);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await parity.h?.close();
  });
  return parity;
}

/** An order answer with its per-order parts (id, read token, `Location`, length) set aside. */
function placed({ status, body, headers }: Answer): Answer {
  const { id, read_token, ...rest } = body as Record<string, unknown>;
  expect(id).toEqual(expect.any(String));
  expect(headers.location ?? `/orders/${id}`).toBe(`/orders/${id}`);
  const { location, 'content-length': _length, ...other } = headers;
  return { status, body: { ...rest, read_token: typeof read_token }, headers: { ...other, location: typeof location } };
}

describe.each(HARNESS_BACKENDS)('order lane parity with the Hono route on the %s stores', (backend) => {
  const parity = parityOn(backend);
  let storeId: string;
  let storeKey: string;
  let otherStoreKey: string;
  let riderToken: string;
  const order = (extra: Record<string, unknown> = {}) => sampleOrder(storeId, extra);

  beforeAll(async () => {
    const { h } = parity;
    const store = await h.call('POST', '/stores', { name: 'Pizzeria Monte', lat: 43.7384, lon: 7.4246 });
    storeId = store.body.id;
    storeKey = store.body.api_key;
    otherStoreKey = (await h.call('POST', '/stores', { name: 'Sushi Port', lat: 43.735, lon: 7.421 })).body.api_key;
    riderToken = (await h.call('POST', '/riders', { name: 'Ada' })).body.token;
  });

  /** Both answers equal, and the lane served the request itself (`served`) or handed it to Hono. */
  async function expectSame(
    body: unknown,
    headers: Record<string, string> = {},
    served: 'lane' | 'hono' = 'lane',
    path = '/orders',
  ): Promise<Answer> {
    const [lane, hono] = await parity.both(body, headers, path);
    expect(lane).toEqual(hono);
    expect(parity.handedOn()).toBe(served === 'hono');
    return lane;
  }

  it('places valid orders alike: 201, the order, its read token, Location', async () => {
    const valid: Array<[unknown, Record<string, string>?]> = [
      [order()],
      [order({ prep_minutes: undefined, ready_at: '2026-11-22T12:20:00.000Z', promised_at: '2026-11-22T13:00:00Z' })],
      [
        order({
          items: [
            { name: '  calzone  ', qty: 1 },
            { name: 'tiramisù 🍰', qty: 1000 },
          ],
        }),
      ],
      [order(), { 'idempotency-key': undefined as unknown as string }],
      [order(), { 'content-type': 'application/json; charset=utf-8' }],
      [`\ufeff${JSON.stringify(order())}`], // a byte-order mark, which a web Request's text() drops
    ];
    for (const [body, headers] of valid) {
      const [lane, hono] = await parity.both(body, JSON.parse(JSON.stringify(headers ?? {})));
      expect(parity.handedOn()).toBe(false);
      expect(lane.status).toBe(201);
      expect(lane.body).not.toEqual(hono.body); // two orders
      expect(placed(lane)).toEqual(placed(hono));
    }
  });

  it('places a store key’s order for its own store, and refuses another store’s alike (403)', async () => {
    const [lane, hono] = await parity.both(order(), { authorization: `Bearer ${storeKey}` });
    expect(lane.status).toBe(201);
    expect(placed(lane)).toEqual(placed(hono));
    const refused = await expectSame(order(), { authorization: `Bearer ${otherStoreKey}` });
    expect(refused.status).toBe(403);
    expect((await expectSame(order(), { authorization: `Bearer ${riderToken}` })).status).toBe(403);
  });

  it('refuses a missing or unknown token alike: 401 with its WWW-Authenticate challenge', async () => {
    const answers = [
      await expectSame(order(), { authorization: '' }),
      await expectSame(order(), { authorization: 'Bearer nope' }),
      await expectSame(order(), { authorization: `Bearer ${mintToken('store')}` }),
      await expectSame(order(), { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }),
      await expectSame('{', { authorization: '' }), // authentication comes before the body
    ];
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.headers['www-authenticate']).toMatch(/^Bearer realm="deliverygo"/);
    }
  });

  it('names each invalid field alike (400 request.invalid_input)', async () => {
    const item = { name: 'margherita', qty: 2 };
    const invalid: unknown[] = [
      order({ store_id: 'not-a-uuid' }),
      order({ store_id: undefined }),
      order({ drop: undefined }),
      order({ drop: { lat: 91, lon: 7.4 } }),
      order({ drop: { lat: 43.7, lon: 'east' } }),
      order({ drop: { ...SAMPLE_DROP, alt: 3 } }),
      order({ items: [] }),
      order({ items: undefined }),
      order({ items: Array.from({ length: 101 }, () => item) }),
      order({ items: [{ name: '   ', qty: 1 }] }),
      order({ items: [{ name: 'x'.repeat(201), qty: 1 }] }),
      order({ items: [item, { name: 'cola', qty: 0 }] }),
      order({ items: [{ name: 'cola', qty: 1.5 }] }),
      order({ items: [{ ...item, price: 3 }] }),
      order({ prep_minutes: -1 }),
      order({ prep_minutes: 24 * 60 + 1 }),
      order({ prep_minutes: '12' }),
      order({ prep_minutes: undefined }),
      order({ ready_at: '2026-11-22T12:20:00.000Z' }),
      order({ prep_minutes: undefined, ready_at: 'tomorrow' }),
      order({ promised_at: '2026-11-22 13:00' }),
      order({ coupon: 'FREE' }),
      [],
      null,
      '"margherita"', // a string is sent as it is
      '42',
    ];
    for (const body of invalid) {
      const answer = await expectSame(body);
      expect({ body, status: answer.status, code: (answer.body as any).error.code }).toEqual({
        body,
        status: 400,
        code: 'request.invalid_input',
      });
    }
  });

  it('refuses bodies that are not storable JSON alike: malformed, too deep, NUL, lone surrogate', async () => {
    const cases: Array<[string, string]> = [
      ['{', 'request.malformed_body'],
      ['', 'request.malformed_body'],
      ['{"store_id": }', 'request.malformed_body'],
      ['['.repeat(65) + ']'.repeat(65), 'request.invalid_input'],
      [JSON.stringify(order({ items: [{ name: 'pizza\u0000', qty: 1 }] })), 'request.invalid_text'],
      [JSON.stringify(order({ '\ud800': 1 })), 'request.invalid_text'],
    ];
    for (const [body, code] of cases) {
      const answer = await expectSame(body);
      expect({ body, status: answer.status, code: (answer.body as any).error.code }).toEqual({
        body,
        status: 400,
        code,
      });
    }
  });

  it('answers an unknown store alike (404), and a bad Idempotency-Key before the body (400 in header)', async () => {
    const unknown = await expectSame(order({ store_id: '00000000-0000-4000-8000-000000000000' }));
    expect(unknown.status).toBe(404);
    for (const body of [order(), '{', order({ items: [] })]) {
      const tooLong = await expectSame(body, { 'idempotency-key': 'k'.repeat(256) });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body).toMatchObject({ error: { field: 'idempotency-key', details: { in: 'header' } } });
    }
  });

  it('replays an Idempotency-Key alike, whichever of the two placed the order: 200, Idempotent-Replayed, no token', async () => {
    const key = (name: string) => `${backend}-${name}-${Math.random()}`;
    // Placed by the lane, then replayed by both: the very same answer.
    const first = key('lane-first');
    const [created] = await parity.both(order(), { 'idempotency-key': first });
    expect(created.status).toBe(201);
    const replay = await expectSame(order(), { 'idempotency-key': first });
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual({ ...(created.body as object), read_token: undefined });
    // The same key with another body: 409 alike.
    const reused = await expectSame(order({ prep_minutes: 13 }), { 'idempotency-key': first });
    expect(reused.status).toBe(409);
    expect(reused.body).toMatchObject({ error: { code: 'order.idempotency_key_reused' } });
  });

  it('hands to Hono what it does not serve: other content types (415), query strings, other methods and paths', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const answer = await expectSame(JSON.stringify(order()), { 'content-type': type }, 'hono');
      expect(answer.status).toBe(415);
      expect(answer.body).toMatchObject({ error: { code: 'request.unsupported_media_type' } });
    }
    const [lane, hono] = await parity.both(order(), {}, '/orders?source=app');
    expect(parity.handedOn()).toBe(true);
    expect(lane.status).toBe(201);
    expect(placed(lane)).toEqual(placed(hono));
    expect((await expectSame(order(), {}, 'hono', '/orders?x=%00')).status).toBe(400);
    expect((await expectSame(order(), {}, 'hono', '/orders/')).status).toBe(404);
  });
});

describe('order lane parity under request limits', () => {
  const LIMITS: RequestLimitSettings = {
    enabled: true,
    operator: { perSecond: 1, burst: 50 },
    key: { perSecond: 1, burst: 4 },
    ip: { perSecond: 1, burst: 2 },
    exemptLoopback: false,
    trustProxy: false,
  };
  const parity = parityOn('embedded', { limits: { requests: LIMITS } });
  let storeId: string;
  let storeKey: string;
  beforeEach(() => parity.h.clock.advance(60_000)); // full buckets

  beforeAll(async () => {
    const store = await parity.h.call('POST', '/stores', { name: 'Pizzeria Monte', lat: 43.7384, lon: 7.4246 });
    storeId = store.body.id;
    storeKey = store.body.api_key;
  });

  it('counts lane and Hono requests in the same bucket, with the same RateLimit-* headers and 429', async () => {
    const order = {
      store_id: storeId,
      drop: { lat: 43.74, lon: 7.43 },
      items: [{ name: 'a', qty: 1 }],
      prep_minutes: 5,
    };
    const auth = { authorization: `Bearer ${storeKey}` };
    const [lane, hono] = await parity.both(order, auth); // 2 of 4
    expect(parity.handedOn()).toBe(false);
    expect([lane.status, hono.status]).toEqual([201, 201]);
    expect([lane.headers['ratelimit-remaining'], hono.headers['ratelimit-remaining']]).toEqual(['3', '2']);
    // One token less left, one refill step further away: the rest is the same.
    const counted = { 'ratelimit-remaining': '-', 'ratelimit-reset': '-' };
    expect({ ...placed(lane), headers: { ...placed(lane).headers, ...counted } }).toEqual({
      ...placed(hono),
      headers: { ...placed(hono).headers, ...counted },
    });
    const [invalidLane, invalidHono] = await parity.both({}, auth); // 4 of 4
    expect([invalidLane.status, invalidHono.status]).toEqual([400, 400]);
    const [limitedLane, limitedHono] = await parity.both(order, auth);
    expect(limitedLane.status).toBe(429);
    expect(limitedLane).toEqual(limitedHono);
    expect(limitedLane.headers['retry-after']).toBe('1');
  });

  it('limits a caller without a token by IP before answering its 401, alike', async () => {
    const [first] = await parity.both({}, { authorization: '' });
    expect(first.status).toBe(401);
    expect(first.headers['ratelimit-limit']).toBe('2');
    const [lane, hono] = await parity.both({}, { authorization: '' });
    expect(lane.status).toBe(429);
    expect(lane).toEqual(hono);
  });
});

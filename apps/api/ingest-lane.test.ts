import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../internal/auth/principal.ts';
import { createPrincipalResolver } from '../../internal/auth/principal-resolver.ts';
import { mintToken } from '../../internal/auth/token.ts';
import { ManualClock } from '../../internal/platform/clock.ts';
import { notFound, rateLimited } from '../../internal/platform/errors.ts';
import { MemoryRateLimiter } from '../../internal/ratelimit/memory-rate-limiter.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import type { BulkIngestResult, PingInput, TelemetryService } from '../../internal/telemetry/telemetry-service.ts';
import { createApiApp } from './app.ts';
import { withIngestLane } from './ingest-lane.ts';
import { createRequestLimits } from './rate-limit.ts';

const RIDER = '0f8fad5b-d9cb-469f-a165-70867728950e';
const GHOST = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const BROKEN = '16fd2706-8baf-433b-82eb-8c7fada847da';
const AWAY = '6b1c2d3e-0000-4000-8000-00000000a0a1';
const FAST = '9a0b1c2d-0000-4000-8000-00000000fa57';
const at = '2026-11-22T10:00:00.000Z';

/** A telemetry service that records what it is given: GHOST is unknown, BROKEN fails like a bug. */
function fakeTelemetry() {
  const single: Array<{ riderId: string; ping: PingInput }> = [];
  const bulk: Array<Array<PingInput & { riderId: string }>> = [];
  const telemetry = {
    async ingest(riderId: string, ping: PingInput) {
      if (riderId === GHOST)
        throw notFound('rider.not_found', `rider ${riderId} does not exist`, { rider_id: riderId });
      if (riderId === BROKEN) throw new Error('boom');
      if (riderId === AWAY) throw new Error('Connection terminated unexpectedly'); // pg's words when Postgres goes away
      if (riderId === FAST)
        throw rateLimited('request.rate_limited', 'too fast', 1_500, { limit: 'gps', rider_id: riderId });
      single.push({ riderId, ping });
      return { applied: ping.recordedAt > 0 };
    },
    async ingestMany(pings: Array<PingInput & { riderId: string }>): Promise<BulkIngestResult> {
      bulk.push(pings);
      return { accepted: pings.length, ignored: 0, unknownRider: 0, results: pings.map(() => 'accepted' as const) };
    },
  } as unknown as TelemetryService;
  return { telemetry, single, bulk };
}

const OPERATOR_TOKEN = mintToken('operator');
const RIDER_TOKEN = mintToken('rider');
const STORE_TOKEN = mintToken('store');
const OTHER_RIDER = '9a1b2c3d-0000-4000-8000-0000000000b2';
/** The tokens the fake lookup knows, and how often it was asked (the lane must hit the cache). */
const principals = new Map<string, Principal>([
  [OPERATOR_TOKEN, { kind: 'operator' }],
  [RIDER_TOKEN, { kind: 'rider', riderId: RIDER }],
  [STORE_TOKEN, { kind: 'store', storeId: '3e1f0000-0000-4000-8000-000000000001' }],
]);
let lookups = 0;
const auth = createPrincipalResolver({
  ttlMs: 60_000,
  lookup: async (token) => {
    lookups++;
    return principals.get(token) ?? null;
  },
});

/** The same app served twice: through the lane (as compose.ts serves it) and by Hono alone (the documented routes). */
let lane: Server;
let honoOnly: Server;
let laneBase: string;
let honoBase: string;
const metrics = new Registry();
const fake = fakeTelemetry();

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );

beforeAll(async () => {
  const app = createApiApp({ logger: silentLogger, healthChecks: [], metrics, telemetry: fake.telemetry, auth });
  const hono = getRequestListener(app.fetch);
  lane = createServer(withIngestLane({ telemetry: fake.telemetry, logger: silentLogger, metrics, auth }, hono));
  honoOnly = createServer(hono);
  laneBase = await listen(lane);
  honoBase = await listen(honoOnly);
});

afterAll(async () => {
  await Promise.all([lane, honoOnly].map((s) => new Promise((r) => s.close(r))));
});

const post = async (
  base: string,
  path: string,
  body: string,
  contentType = 'application/json',
  authorization: string | null = `Bearer ${OPERATOR_TOKEN}`,
) => {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(authorization !== null ? { authorization } : {}) },
    body,
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    challenge: res.headers.get('www-authenticate'),
    json: (await res.json()) as Record<string, unknown>,
  };
};

describe('ingest lane', () => {
  const cases: Array<[string, string, string]> = [
    [
      'a valid ping',
      `/riders/${RIDER}/location`,
      JSON.stringify({ lat: 43.7, lon: 7.42, recorded_at: at, speed: 3, heading: 90, accuracy: 5 }),
    ],
    ['a bad latitude', `/riders/${RIDER}/location`, JSON.stringify({ lat: 95, lon: 7.42, recorded_at: at })],
    ['a missing instant', `/riders/${RIDER}/location`, JSON.stringify({ lat: 43, lon: 7 })],
    ['a malformed id', '/riders/not-a-uuid/location', JSON.stringify({ lat: 43, lon: 7, recorded_at: at })],
    [
      'an id that is not valid percent-encoding',
      '/riders/%E0%A4%A/location',
      JSON.stringify({ lat: 43, lon: 7, recorded_at: at }),
    ],
    ['malformed JSON', `/riders/${RIDER}/location`, '{"lat":'],
    ['an unknown rider', `/riders/${GHOST}/location`, JSON.stringify({ lat: 43, lon: 7, recorded_at: at })],
    ['a failing service', `/riders/${BROKEN}/location`, JSON.stringify({ lat: 43, lon: 7, recorded_at: at })],
    [
      'a valid bulk post',
      '/riders/locations',
      JSON.stringify({ pings: [{ rider_id: RIDER, lat: 43, lon: 7, recorded_at: at }] }),
    ],
    [
      'a bad ping in a bulk post',
      '/riders/locations',
      JSON.stringify({
        pings: [
          { rider_id: RIDER, lat: 43, lon: 7, recorded_at: at },
          { rider_id: RIDER, lat: 'north', lon: 7, recorded_at: at },
        ],
      }),
    ],
    ['an empty bulk post', '/riders/locations', JSON.stringify({ pings: [] })],
    [
      'an unknown field',
      `/riders/${RIDER}/location`,
      JSON.stringify({ lat: 43, lon: 7, recorded_at: at, battery: 80 }),
    ],
    [
      'an unknown field in a bulk ping',
      '/riders/locations',
      JSON.stringify({ pings: [{ rider_id: RIDER, lat: 43, lon: 7, recorded_at: at, altitude: 3 }] }),
    ],
    ['a NUL in a string', `/riders/${RIDER}/location`, JSON.stringify({ lat: 43, lon: 7, recorded_at: `${at}\u0000` })],
    [
      'a lone surrogate in a bulk ping',
      '/riders/locations',
      JSON.stringify({ pings: [{ rider_id: `${RIDER}\ud800`, lat: 43, lon: 7, recorded_at: at }] }),
    ],
    ['a dependency outage', `/riders/${AWAY}/location`, JSON.stringify({ lat: 43, lon: 7, recorded_at: at })],
    ['a rider over its ping rate', `/riders/${FAST}/location`, JSON.stringify({ lat: 43, lon: 7, recorded_at: at })],
    [
      'an unknown top-level field in a bulk post',
      '/riders/locations',
      JSON.stringify({ pings: [{ rider_id: RIDER, lat: 43, lon: 7, recorded_at: at }], source: 'app' }),
    ],
  ];

  it.each(cases)('answers %s exactly as the documented Hono route does', async (_name, path, body) => {
    const viaLane = await post(laneBase, path, body);
    const viaHono = await post(honoBase, path, body);
    expect(viaLane).toEqual(viaHono);
  });

  const ping = JSON.stringify({ lat: 43, lon: 7, recorded_at: at });
  const authCases: Array<[string, string, string, string | null, number, string | undefined]> = [
    ['no token', `/riders/${RIDER}/location`, ping, null, 401, 'auth.missing_token'],
    ['a malformed token', `/riders/${RIDER}/location`, ping, 'Bearer nope', 401, 'auth.invalid_token'],
    ['a Basic header', `/riders/${RIDER}/location`, ping, 'Basic dXNlcjpwYXNz', 401, 'auth.invalid_token'],
    ['an unknown token', `/riders/${RIDER}/location`, ping, `Bearer ${mintToken('rider')}`, 401, 'auth.invalid_token'],
    ['no token and a bad body', `/riders/${RIDER}/location`, '{"lat":', null, 401, 'auth.missing_token'],
    ['the rider’s own token', `/riders/${RIDER}/location`, ping, `Bearer ${RIDER_TOKEN}`, 202, undefined],
    ['another rider’s token', `/riders/${OTHER_RIDER}/location`, ping, `Bearer ${RIDER_TOKEN}`, 403, 'auth.forbidden'],
    ['a store key', `/riders/${RIDER}/location`, ping, `Bearer ${STORE_TOKEN}`, 403, 'auth.forbidden'],
    [
      'a rider token posting a bulk',
      '/riders/locations',
      JSON.stringify({ pings: [{ rider_id: RIDER, lat: 43, lon: 7, recorded_at: at }] }),
      `Bearer ${RIDER_TOKEN}`,
      403,
      'auth.forbidden',
    ],
    [
      'a rider token and a bad body',
      `/riders/${OTHER_RIDER}/location`,
      '{}',
      `Bearer ${RIDER_TOKEN}`,
      400,
      'request.invalid_input',
    ],
  ];

  it.each(authCases)(
    'authenticates %s exactly as the Hono route does',
    async (_name, path, body, authorization, status, code) => {
      const viaLane = await post(laneBase, path, body, 'application/json', authorization);
      const viaHono = await post(honoBase, path, body, 'application/json', authorization);
      expect(viaLane).toEqual(viaHono);
      expect(viaLane.status).toBe(status);
      if (code) expect(viaLane.json).toMatchObject({ error: { code } });
      if (status === 401) expect(viaLane.challenge).toMatch(/^Bearer realm="deliverygo"/);
    },
  );

  it('looks a rider token up once, then serves its pings from the cache', async () => {
    const token = mintToken('rider');
    principals.set(token, { kind: 'rider', riderId: RIDER });
    const before = lookups;
    for (let i = 0; i < 20; i++) {
      const res = await post(laneBase, `/riders/${RIDER}/location`, ping, 'application/json', `Bearer ${token}`);
      expect(res.status).toBe(202);
    }
    expect(lookups - before).toBe(1);
  });

  it('answers an unstorable string 400 naming the field, and an outage 503 with Retry-After, on both paths', async () => {
    for (const base of [laneBase, honoBase]) {
      const nul = await post(
        base,
        '/riders/locations',
        JSON.stringify({ pings: [{ rider_id: RIDER, lat: 43, lon: 7, recorded_at: `${at}\u0000` }] }),
      );
      expect(nul).toMatchObject({
        status: 400,
        json: { error: { code: 'request.invalid_text', field: 'pings[0].recorded_at' } },
      });
      const res = await fetch(`${base}/riders/${AWAY}/location`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_TOKEN}` },
        body: JSON.stringify({ lat: 43, lon: 7, recorded_at: at }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(await res.json()).toMatchObject({
        error: { code: 'dependency.unavailable', details: { dependency: 'postgres' } },
      });
    }
  });

  it('hands the service the parsed ping and names the field of a bad one', async () => {
    fake.single.length = 0;
    const ok = await post(
      laneBase,
      `/riders/${RIDER}/location`,
      JSON.stringify({ lat: 43.7, lon: 7.42, recorded_at: at, speed: 3 }),
    );
    expect(ok).toMatchObject({ status: 202, json: { rider_id: RIDER, status: 'accepted' } });
    expect(fake.single).toEqual([
      { riderId: RIDER, ping: { lat: 43.7, lon: 7.42, recordedAt: Date.parse(at), speed: 3 } },
    ]);
    const bad = await post(
      laneBase,
      '/riders/locations',
      JSON.stringify({
        pings: [
          { rider_id: RIDER, lat: 43, lon: 7, recorded_at: at },
          { rider_id: RIDER, lat: 'north', lon: 7, recorded_at: at },
        ],
      }),
    );
    expect(bad).toMatchObject({
      status: 400,
      json: { error: { code: 'request.invalid_input', field: 'pings[1].lat' } },
    });
    const unknown = await post(
      laneBase,
      `/riders/${RIDER}/location`,
      JSON.stringify({ lat: 43, lon: 7, recorded_at: at, battery: 80 }),
    );
    expect(unknown).toMatchObject({
      status: 400,
      json: { error: { code: 'request.invalid_input', field: 'battery', message: 'battery: unknown field' } },
    });
    const malformed = await post(laneBase, `/riders/${RIDER}/location`, '{"lat":');
    expect(malformed).toMatchObject({ status: 400, json: { error: { code: 'request.malformed_body' } } });
  });

  it('leaves every other request to Hono: other routes, methods and content types', async () => {
    const plain = await fetch(`${laneBase}/riders/${RIDER}/location`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${OPERATOR_TOKEN}` },
      body: '{}',
    });
    const viaHono = await fetch(`${honoBase}/riders/${RIDER}/location`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${OPERATOR_TOKEN}` },
      body: '{}',
    });
    expect(plain.status).toBe(viaHono.status);
    expect(
      (
        await fetch(`${laneBase}/no/such/route`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_TOKEN}` },
          body: '{}',
        })
      ).status,
    ).toBe(404);
    expect((await fetch(`${laneBase}/health`)).status).toBe(200);
  });

  it('refuses a body over 2 MiB with 413 without handing it to the service', async () => {
    fake.bulk.length = 0;
    const huge = JSON.stringify({
      pings: [{ rider_id: RIDER, lat: 43, lon: 7, recorded_at: at, pad: 'x'.repeat(3 * 1024 * 1024) }],
    });
    const res = await post(laneBase, '/riders/locations', huge);
    expect(res).toMatchObject({ status: 413, json: { error: { code: 'request.payload_too_large' } } });
    expect(fake.bulk).toHaveLength(0);
    const viaHono = await post(honoBase, '/riders/locations', huge);
    expect(viaHono).toEqual(res);
    expect(fake.bulk).toHaveLength(0);
  });

  it('counts its requests in the same histogram, by route pattern', async () => {
    const text = await metrics.metrics();
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/riders\/:id\/location",status="202"\} \d+/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/riders\/locations",status="400"\} \d+/,
    );
  });
});

describe('ingest lane limits', () => {
  it('answers a rider over its ping rate 429 with Retry-After, as the Hono route does', async () => {
    for (const base of [laneBase, honoBase]) {
      const res = await fetch(`${base}/riders/${FAST}/location`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_TOKEN}` },
        body: JSON.stringify({ lat: 43, lon: 7, recorded_at: at }),
      });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(await res.json()).toEqual({
        error: {
          code: 'request.rate_limited',
          message: 'too fast',
          details: { limit: 'gps', rider_id: FAST, retry_after_s: 2 },
        },
      });
    }
  });

  it('counts a bulk post as one request of its caller, with the same limits as the Hono routes', async () => {
    const clock = new ManualClock(1_000_000);
    const limits = createRequestLimits(
      new MemoryRateLimiter({ clock }),
      {
        enabled: true,
        operator: { perSecond: 1, burst: 2 },
        key: { perSecond: 1, burst: 2 },
        ip: { perSecond: 1, burst: 2 },
        exemptLoopback: false, // this test's client is on loopback
        trustProxy: false,
      },
      silentLogger,
    );
    const own = fakeTelemetry();
    const app = createApiApp({
      logger: silentLogger,
      healthChecks: [],
      metrics: new Registry(),
      telemetry: own.telemetry,
      requestLimits: limits,
      auth,
    });
    const server = createServer(
      withIngestLane(
        { telemetry: own.telemetry, logger: silentLogger, metrics: new Registry(), requestLimits: limits, auth },
        getRequestListener(app.fetch),
      ),
    );
    const base = await listen(server);
    try {
      const bulk = (authorization?: string) =>
        fetch(`${base}/riders/locations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: JSON.stringify({ pings: [{ rider_id: RIDER, lat: 43, lon: 7, recorded_at: at }] }),
        });
      // Without a token: refused (401), but counted against the client IP first, in a bucket shared with the Hono
      // routes (here, by the socket's loopback address) — so a flood of anonymous or made-up requests ends in 429s.
      const first = await bulk();
      expect(first.status).toBe(401);
      expect(first.headers.get('ratelimit-remaining')).toBe('1');
      const viaHono = await fetch(`${base}/stores`);
      expect(viaHono.status).toBe(401);
      expect(viaHono.headers.get('ratelimit-remaining')).toBe('0');
      const refused = await bulk();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.headers.get('ratelimit-limit')).toBe('2');
      expect(await refused.json()).toMatchObject({ error: { code: 'request.rate_limited', details: { limit: 'ip' } } });
      // An operator key has a bucket of its own: two posts pass, the third is over its rate.
      const asOperator = `Bearer ${OPERATOR_TOKEN}`;
      expect((await bulk(asOperator)).status).toBe(202);
      expect((await bulk(asOperator)).status).toBe(202);
      const overKey = await bulk(asOperator);
      expect(overKey.status).toBe(429);
      expect(await overKey.json()).toMatchObject({ error: { details: { limit: 'operator' } } });
      expect(own.bulk).toHaveLength(2);
      // Time refills both buckets.
      clock.advance(1_000);
      expect((await bulk()).status).toBe(401);
      expect((await bulk(asOperator)).status).toBe(202);
      // A single ping is limited per rider (in the geo store), not per caller here.
      const single = await fetch(`${base}/riders/${RIDER}/location`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${RIDER_TOKEN}` },
        body: JSON.stringify({ lat: 43, lon: 7, recorded_at: at }),
      });
      expect(single.status).toBe(202);
      expect(single.headers.get('ratelimit-limit')).toBeNull();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

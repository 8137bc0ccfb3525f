/**
 * Authentication and scopes at the API (issue 13 item 1), on both harness backends: who is refused with 401, who with
 * 403, and that every principal kind can do what its token grants. The ingest lane's own checks are in
 * ingest-lane.test.ts; the hub's protocol in internal/ws-hub/ws-hub.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeysCommand } from '../../internal/auth/keys-command.ts';
import { hashToken, mintToken } from '../../internal/auth/token.ts';
import { MemoryLiveFeed } from '../../internal/livefeed/memory-live-feed.ts';
import { WsHub } from '../../internal/ws-hub/ws-hub.ts';
import { HubTestClient } from '../../internal/ws-hub/ws-hub-test-client.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import {
  createApiHarness,
  HARNESS_BACKENDS,
  insertBatch,
  insertPathTemplate,
  type ApiHarness,
} from './testing/api-harness.ts';

const HERE = { lat: 43.7384, lon: 7.4246 };
const DROP = { lat: 43.7402, lon: 7.4291 };
const AUTH_TTL_MS = 300;

describe.each(HARNESS_BACKENDS)('on the %s stores', (backend) => {
  let h: ApiHarness;
  /** Two stores with their keys, two riders with their tokens, an order of each store with its read token. */
  let s1: { id: string; key: string };
  let s2: { id: string; key: string };
  let r1: { id: string; token: string };
  let r2: { id: string; token: string };
  let o1: { id: string; token: string };
  let o2: { id: string; token: string };
  let pathId: string;

  const newOrder = (storeId: string) => ({
    store_id: storeId,
    drop: DROP,
    items: [{ name: 'pizza', qty: 1 }],
    prep_minutes: 10,
  });

  beforeAll(async () => {
    h = await createApiHarness('api_auth', backend, { authCacheTtlMs: AUTH_TTL_MS });
    const store = async (name: string) => {
      const res = await h.call('POST', '/stores', { name, ...HERE });
      expect(res.status).toBe(201);
      expect(res.body.api_key).toMatch(/^dgo_st_[A-Za-z0-9_-]{43}$/);
      return { id: res.body.id as string, key: res.body.api_key as string };
    };
    const rider = async (name: string) => {
      const res = await h.call('POST', '/riders', { name, status: 'idle', ...HERE });
      expect(res.status).toBe(201);
      expect(res.body.token).toMatch(/^dgo_rd_[A-Za-z0-9_-]{43}$/);
      return { id: res.body.id as string, token: res.body.token as string };
    };
    s1 = await store('One');
    s2 = await store('Two');
    r1 = await rider('Ada');
    r2 = await rider('Bo');
    const order = async (s: { id: string; key: string }) => {
      const res = await h.callAs(s.key, 'POST', '/orders', newOrder(s.id));
      expect(res.status).toBe(201);
      expect(res.body.read_token).toMatch(/^dgo_or_[A-Za-z0-9_-]{43}$/);
      return { id: res.body.id as string, token: res.body.read_token as string };
    };
    o1 = await order(s1);
    o2 = await order(s2);
    pathId = await insertPathTemplate(h, s1.id, DROP);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('authentication', () => {
    it('answers 401 auth.missing_token without a token and auth.invalid_token with a bad one, with a Bearer challenge', async () => {
      const none = await h.callAs(null, 'GET', '/stores');
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('auth.missing_token');
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="deliverygo"');
      for (const authorization of [
        'Bearer nope',
        `Bearer ${mintToken('operator')}`, // well-formed, never issued
        'Basic b3A6b3A=',
        `Bearer ${h.operatorKey.slice(0, -1)}x`,
      ]) {
        const bad = await h.call('GET', '/stores', undefined, { authorization });
        expect(bad.status, authorization).toBe(401);
        expect(bad.body.error.code).toBe('auth.invalid_token');
        expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="deliverygo", error="invalid_token"');
      }
      // Refused before the body is looked at.
      const unread = await h.callAs(null, 'POST', '/orders', '{"not json');
      expect(unread.status).toBe(401);
    });

    it('keeps health, metrics, the API description, the docs, the map and dashboard pages public — but not their data', async () => {
      for (const path of [
        '/health',
        '/metrics',
        '/openapi.json',
        '/docs',
        '/map',
        '/map/assets/map.js',
        '/dashboard',
        '/dashboard/assets/chart.js/chart.umd.min.js',
        '/favicon.ico',
      ]) {
        const res = await h.app.request(path);
        expect(res.status, path).toBe(200);
      }
      expect((await h.app.request('/')).status).toBe(302);
      expect((await h.callAs(null, 'GET', '/map/state')).status).toBe(401);
      expect((await h.callAs(null, 'GET', '/stats/live')).status).toBe(401);
      expect((await h.callAs(null, 'GET', '/analytics/fulfilment')).status).toBe(401);
    });
  });

  describe('a store key', () => {
    it('reads its store only, and is no operator', async () => {
      expect((await h.callAs(s1.key, 'GET', `/stores/${s1.id}`)).status).toBe(200);
      const other = await h.callAs(s1.key, 'GET', `/stores/${s2.id}`);
      expect(other.status).toBe(403);
      expect(other.body.error.code).toBe('auth.forbidden');
      for (const [method, path, body] of [
        ['GET', '/stores', undefined],
        ['POST', '/stores', { name: 'Mine', ...HERE }],
        ['GET', '/riders', undefined],
        ['POST', '/riders', { name: 'X' }],
        ['GET', `/riders/${r1.id}`, undefined],
        ['GET', '/stats/regret', undefined],
        ['GET', '/map/state', undefined],
        ['GET', `/riders/nearby?lat=${HERE.lat}&lon=${HERE.lon}`, undefined],
        ['POST', `/riders/${r1.id}/token`, undefined],
      ] as const) {
        const res = await h.callAs(s1.key, method, path, body);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.error.code).toBe('auth.forbidden');
      }
    });

    it('places orders for its own store only', async () => {
      const other = await h.callAs(s1.key, 'POST', '/orders', newOrder(s2.id));
      expect(other.status).toBe(403);
      expect(other.body.error.code).toBe('auth.forbidden');
      const count = await h.database.db
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('store_id', '=', s2.id)
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(1); // only o2
    });

    it('lists its own store’s orders and batches whatever it asks, and may not ask for another store', async () => {
      const mine = await h.callAs(s1.key, 'GET', '/orders');
      expect(mine.status).toBe(200);
      expect(mine.body.items.length).toBeGreaterThan(0);
      for (const o of mine.body.items) expect(o.store_id).toBe(s1.id);
      expect((await h.callAs(s1.key, 'GET', `/orders?store_id=${s1.id}`)).status).toBe(200);
      const theirs = await h.callAs(s1.key, 'GET', `/orders?store_id=${s2.id}`);
      expect(theirs.status).toBe(403);
      expect(theirs.body.error.code).toBe('auth.forbidden');
      expect((await h.callAs(s1.key, 'GET', '/batches')).status).toBe(200);
      expect((await h.callAs(s1.key, 'GET', `/batches?store_id=${s2.id}`)).status).toBe(403);
      // An operator lists everything.
      const all = await h.call('GET', '/orders');
      expect(new Set(all.body.items.map((o: { store_id: string }) => o.store_id))).toEqual(new Set([s1.id, s2.id]));
    });

    it('reads and runs the kitchen steps of its own orders: another store’s order is 403 and unchanged', async () => {
      expect((await h.callAs(s1.key, 'GET', `/orders/${o1.id}`)).status).toBe(200);
      const read = await h.callAs(s1.key, 'GET', `/orders/${o2.id}`);
      expect(read.status).toBe(403);
      expect(read.body.error.code).toBe('auth.forbidden');
      for (const step of ['cooking', 'ready', 'cancel']) {
        const res = await h.callAs(s1.key, 'POST', `/orders/${o2.id}/${step}`);
        expect(res.status, step).toBe(403);
        expect(res.body.error.code).toBe('auth.forbidden');
      }
      expect((await h.call('GET', `/orders/${o2.id}`)).body).toMatchObject({
        status: 'placed',
        kitchen_status: 'waiting',
      });
      const cooking = await h.callAs(s1.key, 'POST', `/orders/${o1.id}/cooking`);
      expect(cooking.status).toBe(200);
      expect(cooking.body.kitchen_status).toBe('cooking');
    });
  });

  describe('a rider token', () => {
    it('reads and moves its own rider only', async () => {
      expect((await h.callAs(r1.token, 'GET', `/riders/${r1.id}`)).status).toBe(200);
      expect((await h.callAs(r1.token, 'GET', `/riders/${r2.id}`)).status).toBe(403);
      const ping = { ...HERE, recorded_at: new Date(h.clock.now()).toISOString() };
      expect((await h.callAs(r1.token, 'POST', `/riders/${r1.id}/location`, ping)).status).toBe(202);
      const theirs = await h.callAs(r1.token, 'POST', `/riders/${r2.id}/location`, ping);
      expect(theirs.status).toBe(403);
      expect(theirs.body.error.code).toBe('auth.forbidden');
      expect(await h.geo.getRiderPosition(r2.id)).toMatchObject({ lat: HERE.lat }); // registered there, not moved
      expect((await h.callAs(r1.token, 'GET', `/riders/${r1.id}/location`)).status).toBe(200);
      expect((await h.callAs(r1.token, 'GET', `/riders/${r2.id}/location`)).status).toBe(403);
      const bulk = await h.callAs(r1.token, 'POST', '/riders/locations', { pings: [{ rider_id: r1.id, ...ping }] });
      expect(bulk.status).toBe(403);
      expect((await h.callAs(r1.token, 'POST', `/riders/${r2.id}/status`, { status: 'offline' })).status).toBe(403);
      for (const path of ['/orders', `/orders/${o1.id}`, '/batches', `/stores/${s1.id}`]) {
        expect((await h.callAs(r1.token, 'GET', path)).status, path).toBe(403);
      }
    });

    it('picks up only the batches assigned to it: another rider’s batch is 403 batch.not_your_batch', async () => {
      const order = (await h.callAs(s1.key, 'POST', '/orders', newOrder(s1.id))).body.id as string;
      const batchId = await insertBatch(h, {
        storeId: s1.id,
        pathId,
        orderIds: [order],
        status: 'assigned',
        riderId: r1.id,
      });
      expect(await h.geo.claimRider(r1.id, batchId)).toBe(true);

      // Another rider's token: not its batch, with or without naming itself.
      const notYours = await h.callAs(r2.token, 'POST', `/batches/${batchId}/pickup`, {});
      expect(notYours.status).toBe(403);
      expect(notYours.body.error.code).toBe('batch.not_your_batch');
      expect(
        (await h.callAs(r2.token, 'POST', `/batches/${batchId}/pickup`, { rider_id: r2.id })).body.error.code,
      ).toBe('batch.not_your_batch');
      // Naming the batch's rider with another rider's token is acting as someone else.
      const impostor = await h.callAs(r2.token, 'POST', `/batches/${batchId}/pickup`, { rider_id: r1.id });
      expect(impostor.status).toBe(403);
      expect(impostor.body.error.code).toBe('auth.forbidden');
      expect((await h.callAs(r2.token, 'GET', `/batches/${batchId}`)).status).toBe(403);
      // A store key reads its batch but does not ride it.
      expect((await h.callAs(s1.key, 'GET', `/batches/${batchId}`)).status).toBe(200);
      expect((await h.callAs(s2.key, 'GET', `/batches/${batchId}`)).status).toBe(403);
      expect((await h.callAs(s1.key, 'POST', `/batches/${batchId}/pickup`, { rider_id: r1.id })).status).toBe(403);
      // An operator must name the rider.
      const anonymous = await h.call('POST', `/batches/${batchId}/pickup`, {});
      expect(anonymous.status).toBe(400);
      expect(anonymous.body.error).toMatchObject({ code: 'request.invalid_input', field: 'rider_id' });
      expect((await h.call('GET', `/batches/${batchId}`)).body.status).toBe('assigned');

      // Its own token: the rider acts without naming itself.
      expect((await h.callAs(r1.token, 'GET', `/batches/${batchId}`)).status).toBe(200);
      const picked = await h.callAs(r1.token, 'POST', `/batches/${batchId}/pickup`, {});
      expect(picked.status).toBe(200);
      expect(picked.body).toMatchObject({ status: 'picked_up', rider_id: r1.id });

      // Confirming the drop: the same rules, judged by its own GPS.
      const other = await h.callAs(r2.token, 'POST', `/batches/${batchId}/confirm-delivery`, { order_id: order });
      expect(other.status).toBe(403);
      expect(other.body.error.code).toBe('batch.not_your_batch');
      h.clock.advance(1_000); // newer than the rider's earlier ping, so it becomes its position
      const ping = { ...DROP, recorded_at: new Date(h.clock.now()).toISOString() };
      expect((await h.callAs(r1.token, 'POST', `/riders/${r1.id}/location`, ping)).status).toBe(202);
      const done = await h.callAs(r1.token, 'POST', `/batches/${batchId}/confirm-delivery`, { order_id: order });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ order_id: order, batch_delivered: true });
    });

    it('is issued again by POST /riders/{id}/token (operator only); the new token works at once', async () => {
      const res = await h.call('POST', `/riders/${r2.id}/token`);
      expect(res.status).toBe(201);
      expect(res.body.token).toMatch(/^dgo_rd_/);
      expect((await h.callAs(res.body.token, 'GET', `/riders/${r2.id}`)).status).toBe(200);
      expect((await h.callAs(r2.token, 'GET', `/riders/${r2.id}`)).status).toBe(200); // the first still works
      expect((await h.callAs(r2.token, 'POST', `/riders/${r2.id}/token`)).status).toBe(403);
      expect((await h.call('POST', '/riders/00000000-0000-4000-8000-000000000000/token')).status).toBe(404);
    });
  });

  describe('an order read token', () => {
    it('reads its own order only, and nothing else', async () => {
      const own = await h.callAs(o1.token, 'GET', `/orders/${o1.id}`);
      expect(own.status).toBe(200);
      expect(own.body.id).toBe(o1.id);
      expect(own.body.read_token).toBeUndefined();
      const other = await h.callAs(o1.token, 'GET', `/orders/${o2.id}`);
      expect(other.status).toBe(403);
      expect(other.body.error.code).toBe('auth.forbidden');
      // Not even whether an order exists.
      expect((await h.callAs(o1.token, 'GET', '/orders/00000000-0000-4000-8000-000000000000')).status).toBe(403);
      for (const [method, path] of [
        ['GET', '/orders'],
        ['POST', `/orders/${o1.id}/cancel`],
        ['GET', `/stores/${s1.id}`],
        ['GET', `/riders/${r1.id}`],
      ] as const) {
        expect((await h.callAs(o1.token, method, path)).status, `${method} ${path}`).toBe(403);
      }
      expect((await h.callAs(o1.token, 'POST', '/orders', newOrder(s1.id))).status).toBe(403);
    });

    it('subscribes over WebSocket to its order’s channel only; no or a bad token is refused at the upgrade', async () => {
      const feed = new MemoryLiveFeed();
      const hub = new WsHub({ feed, auth: h.auth });
      const server: Server = createServer((_req, res) => res.end());
      hub.attach(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
      const clients: HubTestClient[] = [];
      try {
        await expect(HubTestClient.connect(base)).rejects.toThrow(/401/);
        await expect(HubTestClient.connect(`${base}?token=${mintToken('order')}`)).rejects.toThrow(/401/);

        const customer = await HubTestClient.connect(`${base}?token=${o1.token}`);
        clients.push(customer);
        await customer.subscribe(`order:${o1.id}`);
        for (const channel of [`order:${o2.id}`, 'map', `rider:${r1.id}`]) {
          customer.send({ type: 'subscribe', channel });
          const refused = await customer.waitFor((f) => f.type === 'error' && f.channel === channel);
          expect(refused).toMatchObject({ code: 'auth.forbidden' });
        }
        await feed.publish({ channel: `order:${o1.id}`, type: 'order.updated', data: { orderId: o1.id }, at: 'now' });
        await customer.waitFor((f) => f.type === 'order.updated' && f.channel === `order:${o1.id}`);

        // The Authorization header works as well as ?token=: a rider follows itself, an operator anything.
        const rider = await HubTestClient.connect(base, { headers: { authorization: `Bearer ${r1.token}` } });
        clients.push(rider);
        await rider.subscribe(`rider:${r1.id}`);
        rider.send({ type: 'subscribe', channel: `rider:${r2.id}` });
        expect(await rider.waitFor((f) => f.type === 'error')).toMatchObject({ code: 'auth.forbidden' });
        const operator = await HubTestClient.connect(`${base}?token=${h.operatorKey}`);
        clients.push(operator);
        await operator.subscribe('map');
        await operator.subscribe(`order:${o2.id}`);
      } finally {
        for (const c of clients) await c.close();
        await hub.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await feed.close();
      }
    });
  });

  describe('keys', () => {
    it('npm run keys creates a working operator key; revoked, it answers 401 once the cache TTL has passed', async () => {
      const out: string[] = [];
      const deps = {
        db: h.database.db,
        clock: h.clock,
        out: (l: string) => out.push(l),
        err: (l: string) => out.push(l),
      };
      expect(await runKeysCommand(['create', '--label', 'night shift'], deps)).toBe(0);
      const token = out.find((l) => l.startsWith('token: '))!.slice('token: '.length);
      const id = out[0]!.split(/\s+/)[1]!;
      expect(token).toMatch(/^dgo_op_/);
      expect((await h.callAs(token, 'GET', '/stores')).status).toBe(200);

      out.length = 0;
      expect(await runKeysCommand(['list'], deps)).toBe(0);
      expect(out.some((l) => l.startsWith(id) && l.includes('"night shift"') && l.endsWith('active'))).toBe(true);
      expect(out.join('\n')).not.toContain(token);

      expect(await runKeysCommand(['revoke', id], deps)).toBe(0);
      await waitFor(async () => (await h.callAs(token, 'GET', '/stores')).status === 401, {
        timeoutMs: AUTH_TTL_MS * 20,
        what: 'the revoked key to be refused',
      });
      expect((await h.callAs(token, 'GET', '/stores')).body.error.code).toBe('auth.invalid_token');
      expect((await h.call('GET', '/stores')).status).toBe(200); // the harness's own key is untouched

      // A store key from the command is bound to its store; an unknown store or id is refused.
      out.length = 0;
      expect(await runKeysCommand(['create', '--label', 'till 2', '--store', s1.id], deps)).toBe(0);
      const storeKey = out.find((l) => l.startsWith('token: '))!.slice('token: '.length);
      expect(storeKey).toMatch(/^dgo_st_/);
      expect((await h.callAs(storeKey, 'GET', `/stores/${s1.id}`)).status).toBe(200);
      expect((await h.callAs(storeKey, 'GET', `/stores/${s2.id}`)).status).toBe(403);
      expect(
        await runKeysCommand(['create', '--label', 'x', '--store', '00000000-0000-4000-8000-000000000000'], deps),
      ).toBe(1);
      expect(await runKeysCommand(['revoke', '00000000-0000-4000-8000-000000000000'], deps)).toBe(1);
      expect(await runKeysCommand(['create'], deps)).toBe(2);
    });

    it('keeps only hashes at rest: no token appears in the database', async () => {
      const tokens = [h.operatorKey, s1.key, s2.key, r1.token, r2.token, o1.token, o2.token];
      const credentials = await sql<{ row: string }>`select c::text as row from credentials c`.execute(h.database.db);
      const orders = await sql<{ row: string }>`select o::text as row from orders o`.execute(h.database.db);
      const everything = [...credentials.rows, ...orders.rows].map((r) => r.row).join('\n');
      expect(everything).not.toContain('dgo_');
      for (const token of tokens) expect(everything).not.toContain(token.slice(7));
      for (const token of [h.operatorKey, s1.key, r1.token]) {
        const row = await h.database.db
          .selectFrom('credentials')
          .select('id')
          .where('token_hash', '=', hashToken(token))
          .executeTakeFirst();
        expect(row, token.slice(0, 7)).toBeDefined();
      }
      const order = await h.database.db
        .selectFrom('orders')
        .select('read_token_hash')
        .where('id', '=', o1.id)
        .executeTakeFirstOrThrow();
      expect(order.read_token_hash).toBe(hashToken(o1.token));
    });
  });
});

/**
 * The live map in a real browser: the API as `npm run api` composes it (fresh Postgres database, the test Redis and
 * Kafka), stores/riders/orders created through the HTTP API, and headless Chromium loading `GET /map`. Checks that
 * the markers appear, that a rider marker moves when the rider reports a new position, and keeps a screenshot in
 * test-artifacts/live-map.png.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApi, type ApiRuntime } from '../../apps/api/compose.ts';
import { mintToken } from '../../internal/auth/token.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { launchChromium, type TestBrowser } from '../e2e/chromium.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { deleteByPrefix, testRedisUrl } from '../support/redis.ts';
import { Redis } from 'ioredis';
import { scaledMs } from '../support/time-scale.ts';
import { operatorFetch, realServersConfig } from '../support/real-servers-env.ts';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
const CENTER = { lat: 48.8566, lon: 2.3522 };

let testDb: TestDatabase;
let api: ApiRuntime;
let base: string;
let chromium: TestBrowser;
const redisPrefix = `test:livemap:${randomBytes(4).toString('hex')}:`;
/** The operator key the API registers (OPERATOR_KEY) and the page gets in its address, as `npm start` prints it. */
const operatorKey = mintToken('operator');

async function call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await operatorFetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${operatorKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function created<T = any>(path: string, body: unknown): Promise<T> {
  const res = await call<T>('POST', path, body);
  expect(res.status, `POST ${path} → ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

/** Offsets a point by metres east/north (good enough for a few km). */
function offset(p: { lat: number; lon: number }, eastM: number, northM: number) {
  return { lat: p.lat + northM / 111_320, lon: p.lon + eastM / (111_320 * Math.cos((p.lat * Math.PI) / 180)) };
}

beforeAll(async () => {
  testDb = await createTestDatabase('live_map');
  const config = realServersConfig({
    databaseUrl: testDb.url,
    redisPrefix,
    topicPrefix: `livemap-${randomBytes(4).toString('hex')}.`,
  });
  api = await composeApi({ ...config, auth: { ...config.auth, operatorKey } }, silentLogger);
  const { port } = await api.start();
  base = `http://127.0.0.1:${port}`;
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  await api?.cleanup();
  await testDb?.drop();
  const redis = new Redis(testRedisUrl(), { lazyConnect: true });
  await redis
    .connect()
    .then(() => deleteByPrefix(redis, redisPrefix))
    .catch(() => {});
  redis.disconnect();
});

/** The rider marker's centre on the screen, or null while it is not drawn. */
async function riderScreenPoint(page: Page, riderId: string): Promise<{ x: number; y: number } | null> {
  const box = await page.locator(`.rider-marker[data-rider-id="${riderId}"]`).boundingBox();
  return box ? { x: box.x + box.width / 2, y: box.y + box.height / 2 } : null;
}

describe('GET /map in headless Chromium', () => {
  it('draws stores, riders and orders, moves a rider when it reports a position, and keeps a screenshot', async () => {
    const storeNames = ['Pizzeria Monte', 'Sushi Kai', 'Green Bowl'];
    const stores = [];
    for (const [i, name] of storeNames.entries()) {
      stores.push(
        await created<{ id: string; lat: number; lon: number }>('/stores', {
          name,
          ...offset(CENTER, (i - 1) * 1_400, (i % 2) * 900 - 300),
        }),
      );
    }
    const riders = [];
    for (const [i, name] of ['Ada', 'Linus', 'Grace', 'Ken'].entries()) {
      riders.push(
        await created<{ id: string }>('/riders', {
          name,
          status: 'idle',
          ...offset(CENTER, i * 500 - 700, i * 350 - 500),
        }),
      );
    }
    const orders = [];
    for (let i = 0; i < 6; i++) {
      const store = stores[i % stores.length]!;
      orders.push(
        await created<{ id: string }>('/orders', {
          store_id: store.id,
          drop: offset(store, ((i * 37) % 11) * 120 - 600, ((i * 53) % 7) * 150 - 450),
          items: [{ name: 'Margherita', qty: 1 + (i % 2) }],
          prep_minutes: 10 + i,
        }),
      );
    }
    await created(`/orders/${orders[0]!.id}/cooking`, {});
    await created(`/orders/${orders[1]!.id}/ready`, {});

    // The JSON the page starts from.
    const state = await call<any>('GET', '/map/state');
    expect(state.status).toBe(200);
    expect(state.body.stores.map((s: any) => s.name).sort()).toEqual([...storeNames].sort());
    expect(state.body.riders).toHaveLength(4);
    for (const r of state.body.riders) expect(r).toMatchObject({ status: 'idle', source: 'geo' });
    expect(state.body.orders).toHaveLength(6);
    const stats = await call<any>('GET', '/stats/live');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({
      orders: { placed: 6, delivered: 0, active: 6 },
      riders: { idle: 4, busy: 0 },
      meanClickToDoorS: null,
    });

    const page = await chromium.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
    await page.goto(`${base}/map#key=${operatorKey}`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: scaledMs(15_000) });

    await expect.poll(() => page.locator('.store-pin').count()).toBe(3);
    await expect.poll(() => page.locator('.rider-marker').count()).toBe(4);
    await expect.poll(() => page.locator('.order-marker').count()).toBe(6);
    await expect.poll(() => page.locator('.order-marker.status-ready').count()).toBe(1);
    await expect.poll(() => page.locator('#fig-placed').textContent()).toBe('6');
    await expect.poll(() => page.locator('#fig-idle').textContent()).toBe('4');
    // Leaflet came from this server, not a CDN.
    expect(await page.evaluate(() => typeof (globalThis as any).L?.map)).toBe('function');

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'live-map-initial.png') });

    // Subscribed to the hub's map channel: from here on updates arrive over /ws (the page polls only while it is away,
    // and re-reads the snapshot every 30 s otherwise, so a move within the wait below came over the socket).
    await page.waitForSelector('body[data-conn="live"]', { timeout: scaledMs(15_000) });

    // A rider reports a new position; its marker glides there.
    const rider = riders[0]!;
    const before = await riderScreenPoint(page, rider.id);
    expect(before).not.toBeNull();
    const target = offset(CENTER, 900, 700);
    const ping = await call('POST', `/riders/${rider.id}/location`, {
      lat: target.lat,
      lon: target.lon,
      recorded_at: new Date().toISOString(),
    });
    expect(ping.status, JSON.stringify(ping.body)).toBeLessThan(300);
    await expect
      .poll(async () => page.evaluate((id) => (globalThis as any).deliverygoMap.riderLatLng(id), rider.id), {
        timeout: scaledMs(15_000),
        interval: 200,
      })
      .toMatchObject({ lat: expect.closeTo(target.lat, 5), lng: expect.closeTo(target.lon, 5) });
    const after = await riderScreenPoint(page, rider.id);
    expect(after).not.toBeNull();
    // 900 m east and 700 m north: right and up on the screen.
    expect(after!.x - before!.x).toBeGreaterThan(5);
    expect(after!.y - before!.y).toBeLessThan(-5);

    await page.screenshot({ path: join(ARTIFACTS, 'live-map.png') });
    expect(problems).toEqual([]);
  });
});

describe('GET /map base layer without MAP_TILE_URL', () => {
  it("draws the demo city's streets (OpenStreetMap, attributed) under the markers", async () => {
    const page = await chromium.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
    await page.goto(`${base}/map#key=${operatorKey}`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: scaledMs(15_000) });
    // Every street of data/monaco/roads.geojson became a line on the map.
    await expect
      .poll(() => page.evaluate(() => (globalThis as any).deliverygoMap.streetCount()), { timeout: scaledMs(15_000) })
      .toBeGreaterThan(1_000);
    expect(await page.locator('.leaflet-control-attribution').textContent()).toContain('OpenStreetMap');
    // Look at Monaco: the streets' canvas is painted (a good share of its pixels), not blank.
    await page.evaluate(
      () => void (globalThis as any).deliverygoMap.map.setView([43.7384, 7.4246], 16, { animate: false }),
    );
    const painted = await page.evaluate(async () => {
      const w = globalThis as any;
      await new Promise((resolve) => w.requestAnimationFrame(() => w.requestAnimationFrame(resolve)));
      const canvas = w.document.querySelector('.leaflet-streets-pane canvas');
      if (!canvas) return -1;
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height) as {
        data: Uint8ClampedArray;
      };
      let inked = 0;
      for (let i = 3; i < data.length; i += 4 * 7) if (data[i]! > 0) inked += 1;
      return inked / (data.length / (4 * 7));
    });
    expect(painted).toBeGreaterThan(0.05);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'live-map-streets.png') });
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('GET /map without the WebSocket hub', () => {
  it('falls back to polling the snapshot, keeps retrying the socket, and still moves riders', async () => {
    const rider = await created<{ id: string }>('/riders', {
      name: 'Offline-hub rider',
      status: 'idle',
      ...offset(CENTER, -300, 200),
    });
    const page = await chromium.context.newPage();
    let attempts = 0;
    // Every socket the page opens is closed at once, as when the hub (or a proxy in front of it) is away.
    await page.routeWebSocket(/\/ws(\?|$)/, (ws) => {
      attempts += 1;
      void ws.close({ code: 1011, reason: 'hub away' });
    });
    await page.goto(`${base}/map#key=${operatorKey}`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: scaledMs(15_000) });
    await page.waitForSelector('body[data-conn="polling"]', { timeout: scaledMs(15_000) });
    await expect.poll(() => page.locator(`.rider-marker[data-rider-id="${rider.id}"]`).count()).toBe(1);

    const target = offset(CENTER, -1_200, -900);
    const ping = await call('POST', `/riders/${rider.id}/location`, {
      lat: target.lat,
      lon: target.lon,
      recorded_at: new Date().toISOString(),
    });
    expect(ping.status).toBeLessThan(300);
    await expect
      .poll(async () => page.evaluate((id) => (globalThis as any).deliverygoMap.riderLatLng(id), rider.id), {
        timeout: scaledMs(15_000),
        interval: 250,
      })
      .toMatchObject({ lat: expect.closeTo(target.lat, 5), lng: expect.closeTo(target.lon, 5) });
    // Backoff: a few reconnection attempts in these seconds, not one per frame.
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThan(10);
    await page.close();
  });
});

describe('GET /map without an operator key', () => {
  it('asks for the key, refuses a wrong one, and loads with the right one', async () => {
    const page = await chromium.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    await page.goto(`${base}/map`);
    await page.waitForSelector('#key-form:not([hidden])', { timeout: scaledMs(15_000) });
    expect(await page.locator('body[data-loaded="true"]').count()).toBe(0);

    await page.fill('#key-input', mintToken('operator')); // well-formed, never registered: the API answers 401
    await page.click('#key-form button');
    await page.waitForSelector('#key-form:not([hidden])', { timeout: scaledMs(15_000) });
    expect(await page.locator('#key-reason').textContent()).toContain('refused');

    await page.fill('#key-input', operatorKey);
    await page.click('#key-form button');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: scaledMs(15_000) });
    expect(await page.locator('#key-form').isHidden()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });
});

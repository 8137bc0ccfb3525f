/**
 * Telemetry end to end against the real servers: the API as composed from configuration (fresh Postgres database,
 * Redis, Kafka under a unique topic prefix) and the worker's history consumer on the same topics.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApi, type ApiRuntime } from '../../apps/api/compose.ts';
import type { Config } from '../config/config.ts';
import { createDatabase, type DatabaseHandle } from '../db/database.ts';
import { createEventBus } from '../eventbus/create-event-bus.ts';
import type { EventBus } from '../eventbus/event-bus.ts';
import { systemClock } from '../platform/clock.ts';
import { silentLogger } from '../platform/logger.ts';
import { uniqueTopic } from '../../tests/support/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { createTestRedis, type TestRedis } from '../../tests/support/redis.ts';
import { ensureHistoryPartitions, listHistoryPartitions } from './history-repository.ts';
import { startTelemetryWorker, type TelemetryWorker } from './telemetry-worker.ts';
import { Registry } from 'prom-client';
import { operatorFetch, realServersConfig } from '../../tests/support/real-servers-env.ts';
import { testKafkaBrokers } from '../../tests/support/kafka.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { deadLetterTopic } from '../eventbus/event-bus.ts';
import { KafkaTopicReader } from '../eventbus/kafka-topic-reader.ts';
import type { DeadLetterPayload } from '../eventbus/middleware.ts';
import { historyShardKey, record, topics } from '../events/catalog.ts';

let testDb: TestDatabase;
let redis: TestRedis;
let config: Config;
let api: ApiRuntime;
let base: string;
let db: DatabaseHandle;
let workerBus: EventBus;
let worker: TelemetryWorker;
const topicPrefix = `${uniqueTopic('telemetry')}.`;

// Somewhere nobody else's test riders are (the API's geo store shares Redis keys across suites).
const CENTRE = { lat: -33.9 + Math.random() * 0.5, lon: 18.4 + Math.random() * 0.5 };

beforeAll(async () => {
  testDb = await createTestDatabase('telemetry');
  redis = await createTestRedis();
  config = realServersConfig(
    { databaseUrl: testDb.url, redisPrefix: redis.prefix, topicPrefix },
    // One rider's 26 pings sent at once (the history test below) are a burst no rider's rate allows: no GPS limit here
    // (apps/api/limits.int.test.ts tests it).
    { TELEMETRY_HISTORY_LINGER_MS: '20', RATE_LIMIT_GPS_PER_S: '0' },
  );
  api = await composeApi(config, silentLogger);
  const { port } = await api.start();
  base = `http://127.0.0.1:${port}`;
  db = createDatabase(testDb.url);
  workerBus = createEventBus(config, silentLogger).bus;
  worker = await startTelemetryWorker({
    config,
    db: db.db,
    bus: workerBus,
    clock: systemClock,
    logger: silentLogger,
    registry: new Registry(),
  });
});

afterAll(async () => {
  await worker?.stop();
  await workerBus?.close();
  await api?.cleanup();
  await db?.close();
  await redis?.cleanup();
  await testDb?.drop();
});

async function newRider(): Promise<string> {
  const id = randomUUID();
  await db.db
    .insertInto('riders')
    .values({ id, name: `rider ${id.slice(0, 4)}` })
    .execute();
  return id;
}

const post = (path: string, body: unknown) =>
  operatorFetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

interface ErrorBody {
  error: { code: string; field?: string; message: string };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Waits until the history writer has written nothing new for 500 ms. */
async function historySettled(): Promise<void> {
  let last = -1;
  while (worker.history.writer.stats.rows !== last) {
    last = worker.history.writer.stats.rows;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('POST /riders/{id}/location', () => {
  it('answers 202 and makes the ping current; an older ping is ignored and never overwrites it', async () => {
    const rider = await newRider();
    const t = Date.now() - 10_000;
    const res = await post(`/riders/${rider}/location`, {
      ...CENTRE,
      recorded_at: iso(t),
      speed: 5,
      heading: 90,
      accuracy: 4,
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ rider_id: rider, status: 'accepted' });

    const older = await post(`/riders/${rider}/location`, {
      lat: CENTRE.lat + 0.01,
      lon: CENTRE.lon,
      recorded_at: iso(t - 5_000),
    });
    expect(older.status).toBe(202);
    expect(await older.json()).toEqual({ rider_id: rider, status: 'ignored' });

    const current = await operatorFetch(`${base}/riders/${rider}/location`);
    expect(current.status).toBe(200);
    expect(await current.json()).toMatchObject({
      rider_id: rider,
      lat: CENTRE.lat,
      lon: CENTRE.lon,
      recorded_at: iso(t),
      speed: 5,
      heading: 90,
      accuracy: 4,
      availability: 'offline',
      batch_id: null,
    });
  });

  it('answers 400 naming the field', async () => {
    const rider = await newRider();
    const cases: Array<[unknown, string]> = [
      [{ lat: 95, lon: 7, recorded_at: iso(Date.now()) }, 'lat'],
      [{ lat: 43, lon: 'x', recorded_at: iso(Date.now()) }, 'lon'],
      [{ lat: 43, lon: 7 }, 'recorded_at'],
      [{ lat: 43, lon: 7, recorded_at: 'yesterday' }, 'recorded_at'],
      [{ lat: 43, lon: 7, recorded_at: iso(Date.now()), heading: 400 }, 'heading'],
      [{ lat: 43, lon: 7, recorded_at: iso(Date.now()), speed: -1 }, 'speed'],
      [{ lat: 43, lon: 7, recorded_at: iso(Date.now() + 3_600_000) }, 'recorded_at'],
    ];
    for (const [body, field] of cases) {
      const res = await post(`/riders/${rider}/location`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as ErrorBody).error.field).toBe(field);
    }
    const badId = await post('/riders/not-a-uuid/location', { lat: 43, lon: 7, recorded_at: iso(Date.now()) });
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as ErrorBody).error.field).toBe('id');
  });

  it('answers 404 for an unknown rider, and for a known one without a live position', async () => {
    const res = await post(`/riders/${randomUUID()}/location`, { ...CENTRE, recorded_at: iso(Date.now()) });
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).error.code).toBe('rider.not_found');
    const silent = await operatorFetch(`${base}/riders/${await newRider()}/location`);
    expect(silent.status).toBe(404);
    expect(((await silent.json()) as ErrorBody).error.code).toBe('rider.location_unknown');
  });
});

describe('POST /riders/locations', () => {
  it('takes 1,000 pings at once, with per-ping outcomes and counts', async () => {
    const riders = await Promise.all(Array.from({ length: 100 }, () => newRider()));
    const unknown = randomUUID();
    const t0 = Date.now() - 60_000;
    const pings = Array.from({ length: 1_000 }, (_, i) => ({
      rider_id: i === 999 ? unknown : riders[i % 100]!,
      lat: CENTRE.lat + (i % 100) * 1e-4,
      lon: CENTRE.lon + Math.floor(i / 100) * 1e-4,
      // Ping 500 of each rider's sequence goes back in time: ignored.
      recorded_at: iso(i >= 500 && i < 600 ? t0 - 1_000 : t0 + Math.floor(i / 100) * 1_000),
    }));
    const res = await post('/riders/locations', { pings });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; ignored: number; unknown_rider: number; results: string[] };
    expect(body.results).toHaveLength(1_000);
    expect(body.unknown_rider).toBe(1);
    expect(body.results[999]).toBe('unknown_rider');
    expect(body.ignored).toBe(100);
    expect(body.results.slice(500, 600).every((r) => r === 'ignored')).toBe(true);
    expect(body.accepted).toBe(899);
  });

  it('rejects the whole post naming the ping and field, and more than 1,000 pings', async () => {
    const rider = await newRider();
    const ok = { rider_id: rider, ...CENTRE, recorded_at: iso(Date.now()) };
    const res = await post('/riders/locations', { pings: [ok, ok, ok, { ...ok, lat: 'north' }] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.field).toBe('pings[3].lat');
    const badRider = await post('/riders/locations', { pings: [{ ...ok, rider_id: 'r1' }] });
    expect(((await badRider.json()) as ErrorBody).error.field).toBe('pings[0].rider_id');
    const tooMany = await post('/riders/locations', { pings: Array.from({ length: 1_001 }, () => ok) });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as ErrorBody).error.field).toBe('pings');
    const empty = await post('/riders/locations', { pings: [] });
    expect(empty.status).toBe(400);
  });
});

describe('history', () => {
  it('has partitions for yesterday, today and 7 days ahead; maintenance is idempotent', async () => {
    const day = (offset: number) =>
      `rider_locations_${iso(Date.now() + offset * 86_400_000)
        .slice(0, 10)
        .replace(/-/g, '')}`;
    const partitions = await listHistoryPartitions(db.db);
    for (const offset of [-1, 0, 1, 7]) expect(partitions).toContain(day(offset));
    expect(await ensureHistoryPartitions(db.db, new Date())).toBe(0);
    // The loop's job a week from now: one new day.
    expect(await ensureHistoryPartitions(db.db, new Date(Date.now() + 86_400_000))).toBe(1);
    expect(await listHistoryPartitions(db.db)).toContain(day(8));
  });

  it('writes pings in batches through Kafka and serves them ordered on /route as a GeoJSON LineString', async () => {
    const rider = await newRider();
    const t0 = Date.now() - 120_000;
    const pings = Array.from({ length: 50 }, (_, i) => ({
      rider_id: rider,
      lat: CENTRE.lat + i * 1e-4,
      lon: CENTRE.lon,
      recorded_at: iso(t0 + i * 1_000),
    }));
    // Half in one bulk post (shuffled), half one by one, one duplicate: history keeps each instant once.
    await historySettled(); // earlier tests' messages must not count below
    const before = worker.history.writer.stats.batches;
    const shuffled = pings.slice(0, 25).reverse();
    expect((await post('/riders/locations', { pings: shuffled })).status).toBe(202);
    await Promise.all(pings.slice(25).map(({ rider_id: _r, ...p }) => post(`/riders/${rider}/location`, p)));
    await post(`/riders/${rider}/location`, {
      lat: pings[10]!.lat,
      lon: pings[10]!.lon,
      recorded_at: pings[10]!.recorded_at,
    });

    const url = `${base}/riders/${rider}/route?from=${encodeURIComponent(iso(t0 - 1))}&to=${encodeURIComponent(iso(t0 + 60_000))}`;
    const deadline = Date.now() + 30_000;
    let route:
      | {
          count: number;
          line: { type: string; coordinates: number[][] } | null;
          points: Array<{ recorded_at: string; lat: number }>;
          truncated: boolean;
        }
      | undefined;
    while (Date.now() < deadline) {
      const res = await operatorFetch(url);
      expect(res.status).toBe(200);
      route = (await res.json()) as typeof route;
      if (route!.count >= 50) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(route!.count).toBe(50);
    expect(route!.truncated).toBe(false);
    expect(route!.points.map((p) => p.recorded_at)).toEqual(pings.map((p) => p.recorded_at));
    expect(route!.line).toEqual({ type: 'LineString', coordinates: pings.map((p) => [p.lon, p.lat]) });
    // 27 messages (1 bulk + 25 singles + 1 duplicate) took fewer INSERTs than messages.
    await historySettled();
    const batches = worker.history.writer.stats.batches - before;
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(27);

    const limited = (await (await operatorFetch(`${url}&limit=10`)).json()) as { count: number; truncated: boolean };
    expect(limited).toMatchObject({ count: 10, truncated: true });
  });

  it('parks a malformed rider.location message in rider.location.dlq with its reason; the pings around it are written', async () => {
    const rider = await newRider();
    const key = historyShardKey(rider); // one key, hence one partition: the good messages sit on both sides of the bad one
    const t0 = Date.now() - 60_000;
    const good = (i: number) =>
      record('riderLocation', key, {
        receivedAt: iso(Date.now()),
        pings: [{ riderId: rider, lat: CENTRE.lat, lon: CENTRE.lon + i * 1e-4, recordedAt: iso(t0 + i * 1_000) }],
      });
    const bad = {
      id: randomUUID(),
      type: topics.riderLocation.name,
      occurredAt: iso(Date.now()),
      payload: { receivedAt: iso(Date.now()), pings: 'not a list' },
    };
    await workerBus.publishAll([good(0)]);
    await workerBus.publish(topics.riderLocation.name, key, bad);
    await workerBus.publishAll([good(1)]);

    const url = `${base}/riders/${rider}/route?from=${encodeURIComponent(iso(t0 - 1))}&to=${encodeURIComponent(iso(t0 + 60_000))}`;
    const count = await waitFor(
      async () => {
        const { count } = (await (await operatorFetch(url)).json()) as { count: number };
        return count >= 2 ? count : undefined;
      },
      { timeoutMs: 60_000, what: 'the two good pings in the history', intervalMs: 200 },
    );
    expect(count).toBe(2);

    const reader = new KafkaTopicReader({
      brokers: testKafkaBrokers(),
      clientId: 'telemetry-dlq',
      logger: silentLogger,
    });
    try {
      const parked = await waitFor(
        async () => {
          const found = (await reader.readAll(`${topicPrefix}${deadLetterTopic(topics.riderLocation.name)}`))
            .map((m) => JSON.parse(m.value) as { id: string; payload: DeadLetterPayload })
            .filter((e) => e.id === bad.id)
            .map((e) => e.payload);
          return found.length > 0 ? found : undefined;
        },
        { timeoutMs: 60_000, what: 'the malformed message in rider.location.dlq', intervalMs: 200 },
      );
      expect(parked.length).toBeGreaterThanOrEqual(1); // at least once: a redelivered batch parks it again
      expect(parked[0]).toMatchObject({ kind: 'poison', key, originalTopic: topics.riderLocation.name });
      expect(parked[0]!.reason).toMatch(/pings/);
      expect(JSON.parse(parked[0]!.value)).toEqual(bad);
    } finally {
      await reader.close();
    }
  });

  it('validates the route query and answers 404 for an unknown rider', async () => {
    const rider = await newRider();
    const q = (from: string, to: string) =>
      operatorFetch(`${base}/riders/${rider}/route?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    const backwards = await q(iso(Date.now()), iso(Date.now() - 1_000));
    expect(backwards.status).toBe(400);
    expect(((await backwards.json()) as ErrorBody).error.field).toBe('to');
    const missing = await operatorFetch(`${base}/riders/${rider}/route?to=${encodeURIComponent(iso(Date.now()))}`);
    expect(((await missing.json()) as ErrorBody).error.field).toBe('from');
    const unknown = await operatorFetch(
      `${base}/riders/${randomUUID()}/route?from=${encodeURIComponent(iso(0))}&to=${encodeURIComponent(iso(1_000))}`,
    );
    expect(unknown.status).toBe(404);
  });
});

describe('GET /riders/nearby', () => {
  it('lists live riders around a point, nearest first, any availability', async () => {
    const centre = { lat: CENTRE.lat - 1, lon: CENTRE.lon - 1 };
    const near = await newRider();
    const far = await newRider();
    const outside = await newRider();
    const now = Date.now();
    await post('/riders/locations', {
      pings: [
        { rider_id: far, lat: centre.lat + 0.005, lon: centre.lon, recorded_at: iso(now) }, // ~556 m
        { rider_id: near, lat: centre.lat + 0.001, lon: centre.lon, recorded_at: iso(now) }, // ~111 m
        { rider_id: outside, lat: centre.lat + 0.05, lon: centre.lon, recorded_at: iso(now) }, // ~5.6 km
      ],
    });
    const res = await operatorFetch(`${base}/riders/nearby?lat=${centre.lat}&lon=${centre.lon}&radius_m=1000&limit=10`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      riders: Array<{ rider_id: string; distance_m: number; availability: string }>;
    };
    expect(body.riders.map((r) => r.rider_id)).toEqual([near, far]);
    expect(body.riders[0]!.distance_m).toBeCloseTo(111, -1);
    expect(body.riders[0]!.availability).toBe('offline');
    const bad = await operatorFetch(`${base}/riders/nearby?lat=100&lon=0`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.field).toBe('lat');
  });
});

/**
 * Two API instances sharing one Redis (live feed) and one Kafka (domain events): a WebSocket client may connect to
 * either and still sees everything.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApi, type ApiRuntime } from '../../apps/api/compose.ts';
import type { Config } from '../config/config.ts';
import { createDatabase, type DatabaseHandle } from '../db/database.ts';
import { createEventBus } from '../eventbus/create-event-bus.ts';
import type { EventBus } from '../eventbus/event-bus.ts';
import { record } from '../events/catalog.ts';
import { silentLogger } from '../platform/logger.ts';
import { uniqueTopic } from '../../tests/support/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { createTestRedis, type TestRedis } from '../../tests/support/redis.ts';
import { HubTestClient } from './ws-hub-test-client.ts';
import { operatorFetch, realServersConfig, TEST_OPERATOR_KEY } from '../../tests/support/real-servers-env.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';

let testDb: TestDatabase;
let redis: TestRedis;
let config: Config;
let apiA: ApiRuntime;
let apiB: ApiRuntime;
let baseA: string;
let baseB: string;
let db: DatabaseHandle;
let bus: EventBus;
const clients: HubTestClient[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase('ws_cluster');
  redis = await createTestRedis();
  config = realServersConfig({
    databaseUrl: testDb.url,
    redisPrefix: redis.prefix,
    topicPrefix: `${uniqueTopic('ws')}.`,
  });
  [apiA, apiB] = await Promise.all([composeApi(config, silentLogger), composeApi(config, silentLogger)]);
  baseA = `127.0.0.1:${(await apiA.start()).port}`;
  baseB = `127.0.0.1:${(await apiB.start()).port}`;
  db = createDatabase(testDb.url);
  bus = createEventBus(config, silentLogger).bus;
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await bus?.close();
  await Promise.all([apiA?.cleanup(), apiB?.cleanup()]);
  await db?.close();
  await redis?.cleanup();
  await testDb?.drop();
});

async function connect(base: string): Promise<HubTestClient> {
  const c = await HubTestClient.connect(`ws://${base}/ws?token=${TEST_OPERATOR_KEY}`);
  clients.push(c);
  return c;
}

async function newRider(): Promise<string> {
  const id = randomUUID();
  await db.db.insertInto('riders').values({ id, name: 'ws rider' }).execute();
  return id;
}

const ping = (base: string, riderId: string, lat: number, at = Date.now()) =>
  operatorFetch(`http://${base}/riders/${riderId}/location`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lat, lon: 7.42, recorded_at: new Date(at).toISOString(), speed: 4 }),
  });

describe('WebSocket hub across two API instances', () => {
  it('a client on instance A receives a ping posted to instance B, on rider:{id}, map and map:{cell}', async () => {
    const rider = await newRider();
    const onA = await connect(baseA);
    await onA.subscribe(`rider:${rider}`);
    await onA.subscribe('map');
    const recordedAt = Date.now();
    expect((await ping(baseB, rider, 43.73, recordedAt)).status).toBe(202);
    const frame = await onA.waitFor((f) => f.type === 'rider.location' && f.channel === `rider:${rider}`);
    expect(frame).toMatchObject({
      channel: `rider:${rider}`,
      type: 'rider.location',
      data: { riderId: rider, lat: 43.73, lon: 7.42, recordedAt: new Date(recordedAt).toISOString(), speed: 4 },
    });
    expect(Date.parse(frame.at!)).toBeGreaterThan(0);
    await onA.waitFor(
      (f) => f.type === 'rider.location' && f.channel === 'map' && (f.data as { riderId: string }).riderId === rider,
    );

    // The area channel of the ping's resolution-5 cell; and unsubscribing stops the rider channel.
    const { latLngToCell } = await import('h3-js');
    const cell = latLngToCell(43.74, 7.42, 5);
    await onA.subscribe(`map:${cell}`);
    await onA.unsubscribe(`rider:${rider}`);
    await ping(baseB, rider, 43.74);
    await onA.waitFor((f) => f.channel === `map:${cell}`);
    await new Promise((r) => setTimeout(r, 200));
    expect(onA.frames.filter((f) => f.type === 'rider.location' && f.channel === `rider:${rider}`)).toHaveLength(1);
  });

  it(
    'forwards order.updated from the bus to clients on both instances, and relays the order’s rider',
    async () => {
      const rider = await newRider();
      const orderId = randomUUID();
      const onA = await connect(baseA);
      const onB = await connect(baseB);
      await onA.subscribe(`order:${orderId}`);
      await onB.subscribe(`order:${orderId}`);
      // The forwarders join their consumer group in the background and start at the latest offset: publish until seen.
      const deadline = Date.now() + scaledMs(45_000);
      while (!onA.frames.some((f) => f.type === 'order.updated') && Date.now() < deadline) {
        await bus.publishAll([
          record('orderUpdated', orderId, {
            orderId,
            storeId: randomUUID(),
            status: 'assigned',
            riderId: rider,
            batchId: randomUUID(),
          }),
        ]);
        await new Promise((r) => setTimeout(r, 500));
      }
      const update = await onA.waitFor((f) => f.type === 'order.updated');
      expect(update).toMatchObject({
        channel: `order:${orderId}`,
        data: { orderId, status: 'assigned', riderId: rider },
      });
      await onB.waitFor((f) => f.type === 'order.updated');

      // While assigned, the customer's order channel carries the rider's positions (posted to either instance).
      await ping(baseA, rider, 43.75);
      const relayed = await onB.waitFor((f) => f.type === 'rider.location');
      expect(relayed).toMatchObject({ channel: `order:${orderId}`, data: { riderId: rider, lat: 43.75 } });
      await onA.waitFor((f) => f.type === 'rider.location');
    },
    scaledMs(60_000),
  );
});

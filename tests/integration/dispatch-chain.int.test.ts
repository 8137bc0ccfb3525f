/**
 * The dispatch chain end to end, over HTTP and through the real Kafka, Redis and Postgres:
 * order → H3 cell → hot path → multi-order batch → nearest rider → 30 m drop confirmation.
 *
 * The API (composeApi) and the worker (composeWorker: outbox relay, the dispatch consumers and the per-scope rounds of
 * the dispatch core) run in this process, on both backends: the real servers (a fresh database, a Redis key prefix and a
 * Kafka topic prefix) and the embedded adapters `npm start` runs on (PGlite, in-process bus, in-memory geo store).
 * Riders are simulated here: each polls for its batch, picks it up and confirms every drop standing at the drop point.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectConsistentBatches } from '../support/batch-integrity.ts';
import { offset } from '../../internal/pipeline/test-fixtures.ts';
import { listTopics } from '../support/kafka.ts';
import { DISPATCH_BACKENDS, startDispatchStack, type DispatchStack } from '../support/dispatch-stack.ts';
import { scaledMs } from '../support/time-scale.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + scaledMs(timeoutMs);
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

async function createStore(name: string, at: { lat: number; lon: number }): Promise<string> {
  const res = await stack.api('POST', '/stores', { name, ...at });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function placeOrder(storeId: string, drop: { lat: number; lon: number }, prepMinutes = 20): Promise<string> {
  const res = await stack.api('POST', '/orders', {
    store_id: storeId,
    drop,
    items: [{ name: 'pad thai', qty: 1 }],
    prep_minutes: prepMinutes,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function batchedCount(orderIds: readonly string[]): Promise<number> {
  const rows = await stack.database.db
    .selectFrom('batch_orders')
    .select('order_id')
    .where('order_id', 'in', orderIds)
    .execute();
  return rows.length;
}

let stack: DispatchStack;

describe.each(DISPATCH_BACKENDS)('dispatch chain (HTTP → bus → worker → HTTP) on %s', (backend) => {
  beforeAll(async () => {
    stack = await startDispatchStack({ name: 'dispatch_chain', backend, worker: { sweepIntervalMs: 300 } });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it(
    '2 stores, 10 riders, 30 orders: multi-order batches, every order delivered, one batch per rider at a time, 30 m rule',
    async () => {
      const centre = { lat: 52.52, lon: 13.405 }; // Berlin
      const storeAt = [offset(centre, 0, -2_500), offset(centre, 0, 2_500)];
      const stores = [await createStore('Kiez Kitchen', storeAt[0]!), await createStore('Spree Sushi', storeAt[1]!)];

      const riders: string[] = [];
      for (let i = 0; i < 10; i++) {
        const near = storeAt[i % 2]!;
        const res = await stack.api('POST', '/riders', {
          name: `rider ${i}`,
          status: 'idle',
          ...offset(near, 200 + i * 60, -150 + i * 30),
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        riders.push(res.body.id as string);
      }

      // 15 orders per store into three drop areas 1.5–2.5 km out, posted together.
      const orders: Array<{ id: string; drop: { lat: number; lon: number } }> = [];
      const posts: Array<Promise<void>> = [];
      for (const [s, storeId] of stores.entries()) {
        for (let i = 0; i < 15; i++) {
          const area = offset(storeAt[s]!, [1_500, -1_800, 600][i % 3]!, [900, 400, -2_200][i % 3]!);
          const drop = offset(area, (i % 5) * 45, Math.floor(i / 5) * 45);
          posts.push(placeOrder(storeId, drop).then((id) => void orders.push({ id, drop })));
        }
      }
      await Promise.all(posts);
      const orderIds = orders.map((o) => o.id);

      // Hot paths are provisioned on demand and every order lands in exactly one batch.
      await until('all 30 orders batched', async () => (await batchedCount(orderIds)) === 30, 60_000);
      const paths = await stack.database.db.selectFrom('path_templates').select(['id', 'store_id']).execute();
      expect(paths.length).toBeGreaterThanOrEqual(2);

      // The kitchens finish: every order marked ready, which seals the batches at once (the 30 s SLA starts here).
      for (const id of orderIds) {
        const res = await stack.api('POST', `/orders/${id}/ready`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }

      // Simulated riders: pick up the batch they were given and confirm each drop at the drop point. The API judges a drop
      // on the rider's own last GPS fix, so each posts a fix where it stands first (a strictly newer one each time: the
      // geo store ignores a fix not newer than the current one).
      const lastFixAt = new Map<string, number>();
      const gps = async (riderId: string, at: { lat: number; lon: number }): Promise<void> => {
        const recordedAt = Math.max(Date.now(), (lastFixAt.get(riderId) ?? 0) + 1);
        lastFixAt.set(riderId, recordedAt);
        const res = await stack.api('POST', `/riders/${riderId}/location`, {
          ...at,
          recorded_at: new Date(recordedAt).toISOString(),
        });
        expect([res.status, res.body?.status], JSON.stringify(res.body)).toEqual([202, 'accepted']);
      };
      const confirmAt = async (batchId: string, riderId: string, orderId: string, at: { lat: number; lon: number }) => {
        await gps(riderId, at);
        return stack.api('POST', `/batches/${batchId}/confirm-delivery`, {
          order_id: orderId,
          rider_id: riderId,
          ...at,
        });
      };
      let tooFarChecked = false;
      const tooFar: number[] = [];
      const accepted: number[] = [];
      const delivered = new Set<string>();
      const deadline = Date.now() + scaledMs(90_000);
      const rideLoop = async (riderId: string): Promise<void> => {
        while (delivered.size < orderIds.length && Date.now() < deadline) {
          const rider = await stack.api('GET', `/riders/${riderId}`);
          const batchId = rider.body.batch_id as string | null;
          if (rider.body.status !== 'assigned' || !batchId) {
            await sleep(100);
            continue;
          }
          const batch = (await stack.api('GET', `/batches/${batchId}`)).body;
          const pickup = await stack.api('POST', `/batches/${batchId}/pickup`, { rider_id: riderId });
          expect(pickup.status, JSON.stringify(pickup.body)).toBe(200);
          const drops = (
            batch.stops as Array<{ kind: string; order_id: string | null; lat: number; lon: number }>
          ).filter((s) => s.kind === 'drop');
          expect(drops.length).toBe(batch.order_count);
          for (const stop of drops) {
            const order = orders.find((o) => o.id === stop.order_id)!;
            if (!tooFarChecked) {
              tooFarChecked = true;
              const far = await confirmAt(batchId, riderId, order.id, offset(order.drop, 31, 0));
              tooFar.push(far.status);
              const near = await confirmAt(batchId, riderId, order.id, offset(order.drop, 29, 0));
              accepted.push(near.status);
              expect(near.status, JSON.stringify(near.body)).toBe(200);
            } else {
              const res = await confirmAt(batchId, riderId, order.id, order.drop);
              expect(res.status, JSON.stringify(res.body)).toBe(200);
            }
            delivered.add(order.id);
          }
        }
      };
      await Promise.all(riders.map(rideLoop));

      expect(tooFar).toEqual([409]);
      expect(accepted).toEqual([200]);
      const finalOrders = await stack.database.db
        .selectFrom('orders')
        .select(['id', 'status', 'delivery_distance_m'])
        .where('id', 'in', orderIds)
        .execute();
      expect(finalOrders.filter((o) => o.status !== 'delivered')).toEqual([]);
      expect(Math.max(...finalOrders.map((o) => o.delivery_distance_m ?? Infinity))).toBeLessThanOrEqual(30);

      const all = await stack.database.db
        .selectFrom('batches')
        .select([
          'id',
          'rider_id',
          'order_count',
          'status',
          'seal_reason',
          'assigned_at',
          'delivered_at',
          'refined_cost_s',
        ])
        .where('store_id', 'in', stores)
        .execute();
      // Batches absorbed by a merge (riders were scarce: 10 riders for 30 orders) are retired empty, never half-done.
      const merged = all.filter((b) => b.status === 'cancelled');
      expect(merged.every((b) => b.seal_reason === 'merged' && b.order_count === 0 && b.rider_id === null)).toBe(true);
      const batches = all.filter((b) => b.status !== 'cancelled');
      expect(batches.every((b) => b.status === 'delivered' && b.rider_id !== null && b.refined_cost_s !== null)).toBe(
        true,
      );
      expect(batches.reduce((n, b) => n + b.order_count, 0)).toBe(30);
      expect(Math.max(...batches.map((b) => b.order_count))).toBeGreaterThanOrEqual(2);

      // No rider on two batches at once: each rider's batches, by assignment time, never overlap.
      const byRider = new Map<string, typeof batches>();
      for (const b of batches) byRider.set(b.rider_id!, [...(byRider.get(b.rider_id!) ?? []), b]);
      for (const list of byRider.values()) {
        list.sort((a, b) => a.assigned_at!.getTime() - b.assigned_at!.getTime());
        for (let i = 1; i < list.length; i++)
          expect(list[i]!.assigned_at!.getTime()).toBeGreaterThanOrEqual(list[i - 1]!.delivered_at!.getTime());
      }
      if (backend === 'real servers') {
        // Every hop went through Kafka, under this suite's topic prefix and DeliveryGO's topic names.
        const prefix = stack.config.kafka.topicPrefix;
        expect(await listTopics()).toEqual(
          expect.arrayContaining(
            [
              'order.placed',
              'path.provisioned',
              'order.ready',
              'batches.assigned',
              'routes.refined',
              'rider.updated',
            ].map((t) => prefix + t),
          ),
        );
      }
      // The route estimate was recorded for every refined batch (the regret in hindsight follows once a batch is
      // delivered and its decision window is over: regret-hindsight.int.test.ts).
      const regrets = await stack.database.db
        .selectFrom('batch_regret')
        .select('batch_id')
        .where(
          'batch_id',
          'in',
          batches.map((b) => b.id),
        )
        .execute();
      expect(regrets.length).toBe(batches.length);
      // … and the worker exports dispatch_batch_regret from the start, before any batch has a regret.
      const metrics = await stack.worker!.metrics.metrics();
      expect(metrics).toMatch(/^dispatch_batch_regret_count \d+$/m);
    },
    scaledMs(180_000),
  );

  it(
    '50 orders posted at once into one area end in correct batches',
    async () => {
      const storeAt = { lat: 48.137, lon: 11.575 }; // Munich: no riders here, batches just form
      const storeId = await createStore('Viktualien Vans', storeAt);
      const area = offset(storeAt, 1_200, 700);
      const orderIds = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          placeOrder(storeId, offset(area, (i % 7) * 35, Math.floor(i / 7) * 35), 30),
        ),
      );
      await until('all 50 orders batched', async () => (await batchedCount(orderIds)) === 50, 60_000);

      const perBatch = await expectConsistentBatches(stack.database.db, storeId, 50);
      expect(Math.max(...perBatch.values())).toBeGreaterThanOrEqual(2);
      // The hot path(s) of the area were built once each, though rounds raced on every order.placed.
      const provisioned = await stack.database.db
        .selectFrom('outbox')
        .select('event')
        .where('topic', '=', 'path.provisioned')
        .execute();
      const mine = provisioned
        .map((p) => p.event.payload as { storeId: string; cell: string })
        .filter((p) => p.storeId === storeId);
      expect(mine.length).toBeGreaterThanOrEqual(1);
      expect(new Set(mine.map((p) => p.cell)).size).toBe(mine.length);
    },
    scaledMs(120_000),
  );
});

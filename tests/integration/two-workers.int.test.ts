/**
 * Two workers, one city: two worker runtimes composed as `npm run worker` composes them (each with its own Kafka, Redis
 * and Postgres clients, in one consumer group per consumer) on the real servers, through a rush of orders at twelve stores.
 * Kafka splits the store-keyed partitions between them: each OWNS the partitions its `order.placed` consumer is assigned
 * and sweeps only the stores behind them (a ready event heard for another worker's store gets one nudge round). A rider
 * is claimed by at most one of them and no order ends in two batches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeWorker, type WorkerRuntime } from '../../apps/worker/worker.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { topics } from '../../internal/events/catalog.ts';
import { createEventBus } from '../../internal/eventbus/create-event-bus.ts';
import { offset } from '../../internal/pipeline/test-fixtures.ts';
import { startDispatchStack, type DispatchStack } from '../support/dispatch-stack.ts';
import { waitFor } from '../support/wait-for.ts';

let stack: DispatchStack;
const workers: WorkerRuntime[] = [];

beforeAll(async () => {
  stack = await startDispatchStack({ name: 'two_workers', inProcessWorker: false, env: { KAFKA_PARTITIONS: '4' } });
  for (let i = 0; i < 2; i++) {
    const w = await composeWorker(stack.config, silentLogger, { sweepIntervalMs: 300 });
    workers.push(w);
    await w.start();
  }
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.cleanup()));
  await stack?.close();
});

describe('two workers on one Kafka', () => {
  it('split the partitions, both serve the rush; every order in one batch, every rider claimed once', async () => {
    // The group settles on a split: disjoint partitions that cover all four.
    const owned = () => workers.map((w) => [...w.pipeline()!.ownedPartitions()]);
    await waitFor(
      () => {
        const [a, b] = owned();
        return a!.length > 0 && b!.length > 0 && [...a!, ...b!].sort().join() === '0,1,2,3';
      },
      { timeoutMs: 60_000, what: `the four partitions to be split between the workers (${JSON.stringify(owned())})` },
    );
    const centre = { lat: 52.52, lon: 13.405 };
    const storeAt = Array.from({ length: 12 }, (_, i) => offset(centre, Math.cos(i) * 3_000, Math.sin(i) * 3_000));
    const stores: string[] = [];
    for (const [i, at] of storeAt.entries()) {
      const res = await stack.api('POST', '/stores', { name: `store ${i}`, ...at });
      expect(res.status).toBe(201);
      stores.push(res.body.id);
    }
    const riders: string[] = [];
    for (let i = 0; i < 24; i++) {
      const res = await stack.api('POST', '/riders', {
        name: `rider ${i}`,
        status: 'idle',
        ...offset(storeAt[i % 12]!, 150 + i * 20, -100),
      });
      expect(res.status).toBe(201);
      riders.push(res.body.id);
    }
    // The rush: 60 orders at once, 5 per store, in two drop areas per store. Twelve stores over four partitions: each
    // worker's two partitions hold some of them (all twelve behind one worker's two: a 1-in-2,000 chance).
    const orderIds = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const s = i % 12;
        const drop = offset(storeAt[s]!, (i % 2 ? 1_200 : -900) + (i % 5) * 40, 800 + (i % 3) * 40);
        const res = await stack.api('POST', '/orders', {
          store_id: stores[s],
          drop,
          items: [{ name: 'x', qty: 1 }],
          prep_minutes: 1,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        return res.body.id as string;
      }),
    );
    for (const id of orderIds) expect((await stack.api('POST', `/orders/${id}/ready`)).status).toBe(200);

    // Wait until every rider carries a batch or no order waits any more.
    const db = stack.database.db;
    await waitFor(
      async () => {
        const busy = await db.selectFrom('riders').select('id').where('status', '=', 'assigned').execute();
        const waiting = await db
          .selectFrom('orders')
          .select('id')
          .where('id', 'in', orderIds)
          .where('status', '!=', 'assigned')
          .execute();
        return busy.length === riders.length || waiting.length === 0;
      },
      { timeoutMs: 90_000, what: 'every rider busy or every order assigned', intervalMs: 200 },
    );

    // No order in two batches (and none lost).
    const members = await db
      .selectFrom('batch_orders')
      .select(['order_id', 'batch_id'])
      .where('order_id', 'in', orderIds)
      .execute();
    expect(new Set(members.map((m) => m.order_id)).size).toBe(members.length);
    // A rider on at most one active batch, and the geo store agrees with Postgres about who carries what.
    const active = await db.selectFrom('batches').select(['id', 'rider_id']).where('status', '=', 'assigned').execute();
    expect(new Set(active.map((b) => b.rider_id)).size).toBe(active.length);
    expect(active.length).toBeGreaterThan(0);
    for (const b of active)
      expect(await stack.geo.getRiderStatus(b.rider_id!)).toEqual({ status: 'busy', batchId: b.id });
    const assignedRiders = await db.selectFrom('riders').select('id').where('status', '=', 'assigned').execute();
    expect(assignedRiders.length).toBe(active.length);

    // Both took part, each in its own part of the city: a worker sweeps only stores whose partition it owns, so the
    // stores the two learned are disjoint, and each committed riders.
    const { bus } = createEventBus(stack.config, silentLogger);
    try {
      const learned = workers.map((w) => [...w.pipeline()!.scopes().values()].flatMap((s) => [...s]));
      expect(learned[0]!.length).toBeGreaterThan(0);
      expect(learned[1]!.length).toBeGreaterThan(0);
      expect(learned[0]!.filter((id) => learned[1]!.includes(id))).toEqual([]);
      for (const [i, ids] of learned.entries()) {
        for (const id of ids)
          expect(workers[i]!.pipeline()!.ownedPartitions()).toContain(
            await bus.partitionOf(topics.orderPlaced.name, id),
          );
      }
    } finally {
      await bus.close();
    }
    expect(workers.map((w) => w.pipeline()!.totals.rounds).every((n) => n > 0)).toBe(true);
    expect(workers.map((w) => w.pipeline()!.totals.assigned).every((n) => n > 0)).toBe(true);
    expect(workers.reduce((n, w) => n + w.pipeline()!.totals.assigned, 0)).toBe(active.length);
  }, 180_000);
});

/**
 * Redis restarted empty, end to end: the API and the worker as `npm run api` / `npm run worker` compose them, on the
 * real servers (the stack's own Redis key prefix is deleted — never FLUSHALL, other suites share the server) and on the
 * embedded adapters (the in-memory geo store is cleared). The worker's reconciler notices and rebuilds from Postgres,
 * and a new order is assigned to the idle rider without anyone posting its status again.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryGeoStore } from '../../internal/geostore/memory-geo-store.ts';
import { offset } from '../../internal/pipeline/test-fixtures.ts';
import { DISPATCH_BACKENDS, startDispatchStack, type DispatchStack } from '../support/dispatch-stack.ts';
import { deleteByPrefix } from '../support/redis.ts';
import { waitFor } from '../support/wait-for.ts';

describe.each(DISPATCH_BACKENDS)('self-healing after the geo store lost its data, on %s', (backend) => {
  let stack: DispatchStack;

  beforeAll(async () => {
    stack = await startDispatchStack({
      name: 'self_healing',
      backend,
      worker: { sweepIntervalMs: 300 },
      env: { GEO_RECONCILE_INTERVAL_MS: '200' },
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  /** What a Redis restarted empty leaves: nothing under the stack's prefix. */
  const loseGeoData = async (): Promise<void> => {
    if (stack.geo instanceof MemoryGeoStore) {
      stack.geo.clear();
      return;
    }
    const redis = new Redis(stack.config.redisUrl!, { lazyConnect: true });
    try {
      await redis.connect();
      expect(await deleteByPrefix(redis, stack.config.redisKeyPrefix)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  };

  it('rebuilds paths and rider availability from Postgres, and dispatch resumes by itself', async () => {
    const centre = { lat: 48.1372, lon: 11.5756 }; // Munich
    const store = await stack.api('POST', '/stores', { name: 'Viktualien Küche', ...centre });
    expect(store.status, JSON.stringify(store.body)).toBe(201);
    const rider = await stack.api('POST', '/riders', { name: 'rider 1', status: 'idle', ...offset(centre, 150, 0) });
    expect(rider.status, JSON.stringify(rider.body)).toBe(201);
    const riderId = rider.body.id as string;
    const placeReadyOrder = async (drop: { lat: number; lon: number }) => {
      const order = await stack.api('POST', '/orders', {
        store_id: store.body.id,
        drop,
        items: [{ name: 'brezn', qty: 1 }],
        prep_minutes: 10,
      });
      expect(order.status, JSON.stringify(order.body)).toBe(201);
      return order.body.id as string;
    };

    // A first order provisions the hot path; the worker's reconciler has written its marker by then.
    const first = await placeReadyOrder(offset(centre, 1_500, 300));
    const cellOf = async (orderId: string) =>
      (
        await stack.database.db
          .selectFrom('orders')
          .select('h3_cell')
          .where('id', '=', orderId)
          .executeTakeFirstOrThrow()
      ).h3_cell;
    const firstCell = await cellOf(first);
    await waitFor(
      async () => (await stack.geo.pathsForCell(firstCell)).length > 0 && (await stack.geo.getEpoch()) !== null,
      { timeoutMs: 30_000, what: 'the hot path indexed and the marker written' },
    );
    const paths = await stack.geo.pathsForCell(firstCell);
    // Its batch waits for the food (10 min): nothing is assigned before the restart.
    expect((await stack.api('GET', `/riders/${riderId}`)).body).toMatchObject({ status: 'idle' });

    await loseGeoData();

    await waitFor(async () => (await stack.geo.getRiderStatus(riderId)).status === 'available', {
      timeoutMs: 15_000,
      what: 'the idle rider available again',
    });
    expect(await stack.geo.pathsForCell(firstCell)).toEqual(paths);
    expect(await stack.worker?.metrics.getSingleMetricAsString('geostore_rebuilds_total')).toMatch(
      /geostore_rebuilds_total [1-9]/,
    );

    // Another order after the restart; the kitchen marks both ready, which seals their batch: the rider gets it.
    const next = await placeReadyOrder(offset(centre, 1_550, 300));
    for (const id of [first, next]) expect((await stack.api('POST', `/orders/${id}/ready`)).status).toBe(200);
    const busy = await waitFor(
      async () => {
        const me = await stack.api('GET', `/riders/${riderId}`);
        return me.body.status === 'assigned' ? me.body : null;
      },
      { timeoutMs: 30_000, what: 'the rider assigned after the restart' },
    );
    const carried = await stack.database.db
      .selectFrom('batch_orders')
      .select('order_id')
      .where('batch_id', '=', busy.batch_id)
      .execute();
    expect(carried.map((r) => r.order_id)).toEqual(expect.arrayContaining([first]));
  });
});

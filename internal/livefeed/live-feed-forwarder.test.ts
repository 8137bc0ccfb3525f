import { describe, expect, it } from 'vitest';
import { MemoryEventBus } from '../eventbus/memory-event-bus.ts';
import { record } from '../events/catalog.ts';
import type { LiveMessage } from './live-feed.ts';
import { startLiveFeedForwarder } from './live-feed-forwarder.ts';
import { MemoryLiveFeed } from './memory-live-feed.ts';
import { silentLogger } from '../platform/logger.ts';

describe('live feed forwarder', () => {
  it('forwards order/batch/rider updates to the entity channel and the map', async () => {
    const bus = new MemoryEventBus();
    const feed = new MemoryLiveFeed();
    const got: LiveMessage[] = [];
    for (const channel of ['order:o1', 'batch:b1', 'rider:r1', 'map'])
      await feed.subscribe(channel, (m) => got.push(m));
    const forwarder = await startLiveFeedForwarder({
      bus,
      feed,
      logger: silentLogger,
      consume: { maxAttempts: 2, backoffMs: 1 },
    });
    try {
      const at = new Date('2026-11-22T10:00:00Z');
      await bus.publishAll([
        record(
          'orderUpdated',
          'o1',
          { orderId: 'o1', storeId: 's1', status: 'assigned', riderId: 'r1', batchId: 'b1' },
          at,
        ),
        record('batchUpdated', 'b1', { batchId: 'b1', storeId: 's1', status: 'assigned', riderId: 'r1' }, at),
        record('riderUpdated', 'r1', { riderId: 'r1', status: 'assigned', batchId: 'b1' }, at),
      ]);
      const deadline = Date.now() + 3_000;
      while (got.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const pairs = got.map((m) => `${m.channel} ${m.type}`).sort();
      expect(pairs).toEqual([
        'batch:b1 batch.updated',
        'map batch.updated',
        'map order.updated',
        'map rider.updated',
        'order:o1 order.updated',
        'rider:r1 rider.updated',
      ]);
      const order = got.find((m) => m.channel === 'order:o1')!;
      expect(order.at).toBe(at.toISOString());
      expect(order.data).toMatchObject({ orderId: 'o1', status: 'assigned', riderId: 'r1' });
    } finally {
      await forwarder.stop();
      await bus.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { silentLogger } from '../platform/logger.ts';
import type { ReceivedMessage } from './event-bus.ts';
import { MemoryEventBus } from './memory-event-bus.ts';
import { consume } from './middleware.ts';
import { PrefixedEventBus } from './prefixed-event-bus.ts';

const event = (n: number) => ({
  id: `e${n}`,
  type: 'order.placed',
  occurredAt: new Date().toISOString(),
  payload: { n },
});

describe('PrefixedEventBus', () => {
  it('publishes and consumes under the prefix, hiding it from handlers; dead letters stay under it', async () => {
    const inner = new MemoryEventBus({ logger: silentLogger });
    const bus = new PrefixedEventBus(inner, 'suite-1.');
    const seenInner: ReceivedMessage[] = [];
    const seenOuter: ReceivedMessage[] = [];
    const dlq: ReceivedMessage[] = [];
    await inner.subscribe('suite-1.order.placed', 'raw', async (m) => void seenInner.push(m));
    await inner.subscribe('suite-1.order.placed.dlq', 'raw', async (m) => void dlq.push(m));
    await consume(bus, {
      topic: 'order.placed',
      group: 'g',
      maxAttempts: 1,
      backoffMs: 1,
      logger: silentLogger,
      handler: async (e, m) => {
        seenOuter.push(m);
        if ((e.payload as { n: number }).n === 2) throw new Error('boom');
      },
    });
    await bus.publish('order.placed', 'k', event(1));
    await bus.publishAll([{ topic: 'order.placed', key: 'k', event: event(2) }]);
    for (let i = 0; i < 100 && dlq.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seenInner.map((m) => m.topic)).toEqual(['suite-1.order.placed', 'suite-1.order.placed']);
    expect(seenOuter.map((m) => m.topic)).toEqual(['order.placed', 'order.placed']);
    expect(dlq).toHaveLength(1);
    await bus.close();
  });
});

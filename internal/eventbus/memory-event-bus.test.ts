import { describe, expect, it } from 'vitest';
import { eventBusContract, Inbox, makeEvent, uniqueName } from './event-bus.contract.ts';
import { topicReaderContract } from './topic-reader.contract.ts';
import { MemoryEventBus, partitionOf } from './memory-event-bus.ts';

eventBusContract('memory', { persistent: false, partitions: 3, waitMs: 5_000 }, () => {
  return new MemoryEventBus({ partitions: 3, redeliveryDelayMs: 10 });
});

describe('MemoryEventBus', () => {
  it('forgets messages beyond the retention; a new group starts at the oldest one kept', async () => {
    const bus = new MemoryEventBus({ partitions: 1, retainPerPartition: 8 });
    const topic = uniqueName('retention');
    for (let i = 0; i < 20; i++) await bus.publish(topic, 'k', makeEvent('t', { i }));
    const seen = new Inbox<number>();
    await bus.subscribe(topic, 'late', async (m) =>
      seen.push((JSON.parse(m.value) as { payload: { i: number } }).payload.i),
    );
    await seen.until((items) => items.includes(19), 'the newest message', 1_000);
    // The log keeps between 8 and 8 + 8/4 messages (it trims in chunks): whatever is kept is the newest, in order.
    const first = seen.items[0]!;
    expect(first).toBeGreaterThanOrEqual(10);
    expect(first).toBeLessThanOrEqual(12);
    expect(seen.items).toEqual(Array.from({ length: 20 - first }, (_, i) => first + i));
    await bus.close();
  });

  it('rejects publishing and subscribing once closed', async () => {
    const bus = new MemoryEventBus();
    await bus.close();
    await expect(bus.publish('t', 'k', makeEvent('t', {}))).rejects.toMatchObject({ slug: 'eventbus.closed' });
    await expect(bus.subscribe('t', 'g', async () => {})).rejects.toMatchObject({ slug: 'eventbus.closed' });
  });

  it('hashes a key to the same partition every time, spreading keys over all partitions', () => {
    expect(partitionOf('batch-42', 3)).toBe(partitionOf('batch-42', 3));
    const used = new Set(Array.from({ length: 100 }, (_, i) => partitionOf(`key-${i}`, 3)));
    expect(used).toEqual(new Set([0, 1, 2]));
  });
});

topicReaderContract('memory', async () => {
  const bus = new MemoryEventBus();
  return { bus, reader: bus };
});

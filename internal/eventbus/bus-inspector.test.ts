import { describe, expect, it } from 'vitest';
import { makeEvent } from './event-bus.contract.ts';
import { supportsInspection } from './bus-inspector.ts';
import { MemoryEventBus } from './memory-event-bus.ts';
import { PrefixedEventBus } from './prefixed-event-bus.ts';
import { waitFor } from '../../tests/support/wait-for.ts';

describe('BusInspector on the in-process bus', () => {
  it('reports unacknowledged messages per group and partition as lag, and what a topic holds as depth', async () => {
    const inner = new MemoryEventBus({ partitions: 2 });
    const bus = new PrefixedEventBus(inner, 'p.');
    expect(supportsInspection(bus)).toBe(true);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    await bus.subscribe('lagging', 'slow', async () => gate);
    for (let i = 0; i < 4; i++) await bus.publish('lagging', 'same-key', makeEvent('t', { i }));
    await bus.publish('lagging.dlq', 'x', makeEvent('dead_letter', {}));
    await bus.publish('lagging.dlq', 'y', makeEvent('dead_letter', {}));

    const lags = await bus.consumerLag();
    expect(lags).toHaveLength(2); // one row per partition of the consumed topic
    expect(lags.every((l) => l.group === 'slow' && l.topic === 'lagging')).toBe(true);
    expect(lags.reduce((sum, l) => sum + l.messages, 0)).toBe(4); // the first is in flight, not acknowledged
    expect(bus.consumedTopics()).toEqual(['lagging']);
    expect(await bus.topicDepth(['lagging.dlq', 'never.created'])).toEqual([
      { topic: 'lagging.dlq', messages: 2 },
      { topic: 'never.created', messages: 0 },
    ]);

    open();
    await waitFor(async () => (await bus.consumerLag()).every((l) => l.messages === 0), {
      timeoutMs: 5_000,
      what: 'the group to catch up',
    });
    await bus.close();
  });
});

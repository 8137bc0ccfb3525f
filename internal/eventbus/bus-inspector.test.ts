import { describe, expect, it } from 'vitest';
import { busInspectorContract } from './bus-inspector.contract.ts';
import { supportsInspection } from './bus-inspector.ts';
import { MemoryEventBus } from './memory-event-bus.ts';
import { PrefixedEventBus } from './prefixed-event-bus.ts';

busInspectorContract('in-memory', { partitions: 2, waitMs: 5_000 }, () => new MemoryEventBus({ partitions: 2 }));
busInspectorContract(
  'in-memory behind a topic prefix',
  { partitions: 2, waitMs: 5_000 },
  () => new PrefixedEventBus(new MemoryEventBus({ partitions: 2 }), 'p.'),
);

describe('supportsInspection', () => {
  it('recognises the adapters that answer lag and depth', () => {
    expect(supportsInspection(new MemoryEventBus())).toBe(true);
    expect(supportsInspection({ publish: async () => {} })).toBe(false);
  });
});

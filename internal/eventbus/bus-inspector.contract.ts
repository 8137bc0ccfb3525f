/**
 * The contract every `BusInspector` adapter passes (in-memory: bus-inspector.test.ts; Kafka:
 * kafka-bus-inspector.int.test.ts): lag counts what a group has not acknowledged, per partition, and falls back to 0
 * once the group caught up; depth counts what a topic holds, 0 for a topic that does not exist.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../tests/support/wait-for.ts';
import { makeEvent, uniqueName } from './event-bus.contract.ts';
import type { EventBus } from './event-bus.ts';
import type { BusInspector } from './bus-inspector.ts';

export function busInspectorContract(
  name: string,
  options: { partitions: number; waitMs: number },
  makeBus: () => EventBus & BusInspector,
): void {
  describe(`BusInspector contract: ${name}`, () => {
    it('reports unacknowledged messages per group and partition as lag, and what a topic holds as depth', async () => {
      const bus = makeBus();
      try {
        const topic = uniqueName('lagging');
        const group = uniqueName('slow');
        let open!: () => void;
        const gate = new Promise<void>((resolve) => (open = resolve));
        await bus.subscribe(topic, group, async () => gate);
        for (let i = 0; i < 4; i++) await bus.publish(topic, 'same-key', makeEvent('t', { i }));
        await bus.publish(`${topic}.dlq`, 'x', makeEvent('dead_letter', {}));
        await bus.publish(`${topic}.dlq`, 'y', makeEvent('dead_letter', {}));

        // The first message is in flight, not acknowledged: all four count, on one partition (one key).
        const lags = await waitFor(
          async () => {
            const mine = (await bus.consumerLag()).filter((l) => l.topic === topic);
            return mine.reduce((sum, l) => sum + l.messages, 0) === 4 ? mine : undefined;
          },
          { timeoutMs: options.waitMs, what: 'a lag of 4', intervalMs: 100 },
        );
        expect(lags).toHaveLength(options.partitions);
        expect(lags.every((l) => l.group === group)).toBe(true);
        expect(lags.filter((l) => l.messages > 0)).toHaveLength(1);
        expect(bus.consumedTopics()).toContain(topic);
        const missing = uniqueName('never.created');
        expect(await bus.topicDepth([`${topic}.dlq`, missing])).toEqual([
          { topic: `${topic}.dlq`, messages: 2 },
          { topic: missing, messages: 0 },
        ]);

        open();
        await waitFor(
          async () => (await bus.consumerLag()).filter((l) => l.topic === topic).every((l) => l.messages === 0),
          { timeoutMs: options.waitMs, what: 'the group to catch up', intervalMs: 100 },
        );
      } finally {
        await bus.close();
      }
    });
  });
}

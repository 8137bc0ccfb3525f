import { describe, expect, it } from 'vitest';
import { makeEvent, uniqueName } from './event-bus.contract.ts';
import type { EventBus, RawPublisher } from './event-bus.ts';
import type { TopicReader } from './topic-reader.ts';

/** A bus to publish with and a reader of the same backend. */
export interface TopicReaderFixture {
  bus: EventBus & RawPublisher;
  reader: TopicReader;
}

/**
 * THE topic-reader contract (see topic-reader.ts), run against every adapter: the in-memory bus and `KafkaTopicReader`.
 * Topics carry a random suffix, so a shared broker is fine.
 */
export function topicReaderContract(name: string, fixture: () => Promise<TopicReaderFixture>): void {
  describe(`TopicReader contract: ${name}`, () => {
    it('lists a topic once published to, and reads all of it in per-partition offset order, twice alike', async () => {
      const { bus, reader } = await fixture();
      const topic = uniqueName('reader');
      const events = Array.from({ length: 12 }, (_, i) => makeEvent('test.read', { i }));
      for (const [i, event] of events.entries()) await bus.publish(topic, `k${i % 4}`, event, { 'x-i': String(i) });
      await bus.publishRaw(topic, 'k0', 'not json');

      expect(await reader.listTopics()).toContain(topic);
      const read = await reader.readAll(topic);
      expect(read).toHaveLength(13);
      expect(read.every((m) => m.topic === topic)).toBe(true);
      // Per key, publish order; within a partition, increasing offsets.
      for (const key of ['k0', 'k1', 'k2', 'k3']) {
        const values = read.filter((m) => m.key === key).map((m) => m.value);
        const expected = events.filter((_, i) => `k${i % 4}` === key).map((e) => JSON.stringify(e));
        expect(values).toEqual(key === 'k0' ? [...expected, 'not json'] : expected);
      }
      for (let i = 1; i < read.length; i++) {
        const [a, b] = [read[i - 1]!, read[i]!];
        if (a.partition === b.partition) expect(BigInt(b.offset)).toBeGreaterThan(BigInt(a.offset));
        else expect(b.partition).toBeGreaterThan(a.partition);
      }
      expect(read.find((m) => m.value === 'not json')).toBeDefined();
      expect(read.filter((m) => m.headers['x-i'] === '5')).toHaveLength(1);
      // Reading acknowledges nothing: the same messages again.
      expect(await reader.readAll(topic)).toEqual(read);
    });

    it('reads an unknown topic as empty', async () => {
      const { reader } = await fixture();
      const topic = uniqueName('never-published');
      expect(await reader.readAll(topic)).toEqual([]);
      expect(await reader.listTopics()).not.toContain(topic);
    });
  });
}

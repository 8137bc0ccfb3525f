import type { ReceivedMessage } from './event-bus.ts';

/**
 * Reading a topic as a log, outside any consumer group's position: what tools need (the dead-letter CLI lists and
 * replays `<topic>.dlq`), not what services consume with. Adapters: `KafkaTopicReader` (kafka-topic-reader.ts) and
 * `MemoryEventBus` itself; both pass topic-reader.contract.ts.
 *
 * - `listTopics` names every topic that exists (Kafka: internal `__…` topics left out).
 * - `readAll` returns every message still retained in `topic` up to its end as of the call, partition by partition in
 *   offset order; an unknown topic reads as empty. Nothing is acknowledged: reading twice gives the same messages.
 */
export interface TopicReader {
  listTopics(): Promise<string[]>;
  readAll(topic: string): Promise<ReceivedMessage[]>;
}

/** True when `value` can read topics (the in-memory bus can; `PrefixedEventBus` and the Kafka bus cannot). */
export function isTopicReader(value: unknown): value is TopicReader {
  const reader = value as Partial<TopicReader> | null;
  return typeof reader?.listTopics === 'function' && typeof reader.readAll === 'function';
}

/**
 * `reader` seen through `KAFKA_TOPIC_PREFIX`, as `PrefixedEventBus` sees the bus: only topics under `prefix` are
 * listed, by their unprefixed names, and messages carry unprefixed topic names.
 */
export function prefixedTopicReader(reader: TopicReader, prefix: string): TopicReader {
  if (prefix === '') return reader;
  return {
    async listTopics() {
      return (await reader.listTopics()).filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length));
    },
    async readAll(topic) {
      return (await reader.readAll(prefix + topic)).map((m) => ({ ...m, topic }));
    },
  };
}

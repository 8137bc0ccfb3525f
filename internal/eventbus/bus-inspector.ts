/**
 * What an operator asks of a bus besides publishing and consuming: how far behind each consumer group is, and how many
 * messages wait in the dead-letter topics. Both adapters answer it (Kafka from its admin API, the in-process bus from
 * its logs), so the metrics built on it carry the same names on the real stack and under `npm start`.
 */
export interface ConsumerLag {
  /** The logical group name (as given to `subscribe`), not the adapter's group id. */
  group: string;
  topic: string;
  partition: number;
  /** Messages in the partition the group has not acknowledged yet (end offset − committed offset, ≥ 0). */
  messages: number;
}

export interface TopicDepth {
  topic: string;
  /** Messages the topic holds (sum over partitions of end − oldest retained offset); 0 for a topic not created yet. */
  messages: number;
}

export interface BusInspector {
  /** Lag of every (group, topic, partition) this bus instance consumes. */
  consumerLag(): Promise<ConsumerLag[]>;
  /** Messages held by each of `topics`. */
  topicDepth(topics: readonly string[]): Promise<TopicDepth[]>;
  /** The topics this bus instance consumes (their `.dlq` topics are where its failures land). */
  consumedTopics(): string[];
}

/** True when `bus` can answer `BusInspector`'s questions. */
export function supportsInspection(bus: object): bus is BusInspector {
  const candidate = bus as Partial<BusInspector>;
  return (
    typeof candidate.consumerLag === 'function' &&
    typeof candidate.topicDepth === 'function' &&
    typeof candidate.consumedTopics === 'function'
  );
}

import type {
  Event,
  EventBus,
  Headers,
  KeyPartitioner,
  MessageHandler,
  OutgoingRecord,
  RawPublisher,
  SubscribeOptions,
  Subscription,
} from './event-bus.ts';
import {
  supportsBatch,
  type BatchHandler,
  type BatchSubscribeOptions,
  type BatchSubscriber,
} from './batch-subscriber.ts';
import { supportsInspection, type BusInspector, type ConsumerLag, type TopicDepth } from './bus-inspector.ts';

/**
 * Puts every topic of `inner` under `prefix` (`KAFKA_TOPIC_PREFIX`): `order.placed` is published to and consumed
 * from `<prefix>order.placed`, so a test suite or a second deployment shares one broker without sharing topics.
 *
 * The prefix is invisible above this line: handlers receive the unprefixed topic name, so dead-lettering
 * (`<topic>.dlq`, published back through this bus) lands under the same prefix too.
 */
export class PrefixedEventBus implements EventBus, BatchSubscriber, KeyPartitioner, BusInspector, RawPublisher {
  constructor(
    private readonly inner: EventBus & KeyPartitioner,
    private readonly prefix: string,
  ) {}

  publish(topic: string, key: string, event: Event, headers?: Headers): Promise<void> {
    return this.inner.publish(this.prefix + topic, key, event, headers);
  }

  publishAll(records: readonly OutgoingRecord[]): Promise<void> {
    return this.inner.publishAll(records.map((r) => ({ ...r, topic: this.prefix + r.topic })));
  }

  /** Passes raw publishing through (tools: the dead-letter replay); rejects when the inner bus cannot publish raw. */
  async publishRaw(topic: string, key: string, value: string, headers?: Headers): Promise<void> {
    const inner = this.inner as Partial<RawPublisher>;
    if (typeof inner.publishRaw !== 'function') throw new TypeError('the wrapped event bus cannot publish raw values');
    return inner.publishRaw.call(this.inner, this.prefix + topic, key, value, headers);
  }

  subscribe(topic: string, group: string, handler: MessageHandler, options?: SubscribeOptions): Promise<Subscription> {
    const strip = (name: string) => (name.startsWith(this.prefix) ? name.slice(this.prefix.length) : name);
    return this.inner.subscribe(
      this.prefix + topic,
      group,
      (message) => handler({ ...message, topic: strip(message.topic) }),
      options,
    );
  }

  /** Passes batch consumption through; rejects when the inner bus cannot consume in batches. */
  async subscribeBatch(
    topic: string,
    group: string,
    handler: BatchHandler,
    options?: BatchSubscribeOptions,
  ): Promise<Subscription> {
    if (!supportsBatch(this.inner)) throw new TypeError('the wrapped event bus cannot consume in batches');
    const strip = (name: string) => (name.startsWith(this.prefix) ? name.slice(this.prefix.length) : name);
    return this.inner.subscribeBatch(
      this.prefix + topic,
      group,
      (messages) => handler(messages.map((m) => ({ ...m, topic: strip(m.topic) }))),
      options,
    );
  }

  partitionOf(topic: string, key: string): Promise<number> {
    return this.inner.partitionOf(this.prefix + topic, key);
  }

  /** The inner bus's lag for this prefix's topics, under their unprefixed names. */
  async consumerLag(): Promise<ConsumerLag[]> {
    if (!supportsInspection(this.inner)) return [];
    return (await this.inner.consumerLag())
      .filter((lag) => lag.topic.startsWith(this.prefix))
      .map((lag) => ({ ...lag, topic: lag.topic.slice(this.prefix.length) }));
  }

  async topicDepth(topics: readonly string[]): Promise<TopicDepth[]> {
    if (!supportsInspection(this.inner)) return topics.map((topic) => ({ topic, messages: 0 }));
    const depths = await this.inner.topicDepth(topics.map((t) => this.prefix + t));
    return depths.map((d) => ({ ...d, topic: d.topic.slice(this.prefix.length) }));
  }

  consumedTopics(): string[] {
    if (!supportsInspection(this.inner)) return [];
    return this.inner
      .consumedTopics()
      .filter((t) => t.startsWith(this.prefix))
      .map((t) => t.slice(this.prefix.length));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

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

/**
 * Puts every topic of `inner` under `prefix` (`KAFKA_TOPIC_PREFIX`): `order.placed` is published to and consumed
 * from `<prefix>order.placed`, so a test suite or a second deployment shares one broker without sharing topics.
 *
 * The prefix is invisible above this line: handlers receive the unprefixed topic name, so dead-lettering
 * (`<topic>.dlq`, published back through this bus) lands under the same prefix too.
 */
export class PrefixedEventBus implements EventBus, BatchSubscriber, KeyPartitioner, RawPublisher {
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

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * The event bus port: how deliverygo's processes hand events to each other.
 *
 * Contract (every adapter — Kafka, in-memory — passes the same suite in `event-bus.contract.ts`):
 *
 * - Delivery is at-least-once. A message is acknowledged (Kafka: its offset committed) only after the handler's promise
 *   resolves. A handler that throws gets the same message again; a consumer that dies before acknowledging leaves the
 *   message to the next consumer of its group. Handlers must therefore be idempotent (guarded by state, or by `processed_events`).
 * - Every consumer group sees every message of a topic; within a group each message goes to one consumer.
 *   A group belongs to one topic: the same group name subscribed to two topics is two independent groups.
 * - Messages with the same key keep their publish order for a consumer. Keys are chosen by the publisher so that events
 *   that must stay ordered (one batch, one rider, one area) share a key. A message whose handler failed is redelivered
 *   before any later message of its partition, so a failure never reorders a key.
 * - A subscription's handler runs for one message of a partition at a time, but may run concurrently for messages of
 *   different partitions (hence different keys).
 * - A topic is created on first use (Kafka: with the configured partition count).
 * - Retry with backoff, dead-lettering to `<topic>.dlq` and de-duplication are middleware (see `middleware.ts`), not
 *   adapter features, so every adapter behaves the same way. Application code consumes through `consume()`, which
 *   chains them; a bare handler that always throws is redelivered forever and holds up its partition.
 */
export interface EventBus {
  /**
   * Publishes one event under `key`; resolves once the bus has durably accepted it. Calls are ordered as made: two
   * publishes with the same key keep their call order even when the caller does not await the first.
   */
  publish(topic: string, key: string, event: Event, headers?: Headers): Promise<void>;
  /** Publishes several records; resolves once all were accepted. Order per (topic, key) is the array's order. */
  publishAll(records: readonly OutgoingRecord[]): Promise<void>;
  /**
   * Starts consuming `topic` as a member of `group`. Resolves when the subscription is ready to receive messages
   * published from now on (and any earlier ones not yet acknowledged by the group).
   */
  subscribe(topic: string, group: string, handler: MessageHandler, options?: SubscribeOptions): Promise<Subscription>;
  /** Stops all subscriptions (waiting for in-flight handlers) and releases connections. */
  close(): Promise<void>;
}

/** The envelope every deliverygo message carries. */
export interface Event<P = unknown> {
  /** Unique id; consumers de-duplicate on it. */
  id: string;
  /** Dotted name, e.g. `order.placed`, `batches.assigned`. */
  type: string;
  /** ISO-8601 instant at which the fact happened (not when it was published). */
  occurredAt: string;
  payload: P;
}

export type Headers = Record<string, string>;

export interface OutgoingRecord {
  topic: string;
  key: string;
  event: Event;
  headers?: Headers;
}

/** A message as a consumer receives it: still raw, so that a malformed one can be dead-lettered with its bytes. */
export interface ReceivedMessage {
  topic: string;
  key: string;
  /** The raw value as published (JSON of an `Event` when the publisher was well-behaved). */
  value: string;
  headers: Headers;
  /** Partition and offset (Kafka) or a sequence number (in-memory), for logs. */
  partition: number;
  offset: string;
  /**
   * Aborted when the consumer gives this delivery up before the handler finished: the subscription is closing, the
   * partition is being taken away (a rebalance) or the consumer crashed. The message then stays unacknowledged and is
   * delivered again (to this group's next owner of the partition), so a handler waiting to retry should stop waiting.
   */
  signal?: AbortSignal;
}

export type MessageHandler = (message: ReceivedMessage) => Promise<void>;

export interface SubscribeOptions {
  /** Where a group with no committed position starts: `earliest` (default) or `latest`. */
  from?: 'earliest' | 'latest';
  /**
   * Told the partitions of `topic` this member owns, each time the group assigns them (after joining and after every
   * rebalance; an empty list when it owns none). Work that follows a partition — a dispatch scope — follows this.
   */
  onAssignment?: (partitions: readonly number[]) => void;
}

/** Which partition of a topic a key is published to — the same function the adapter's producer uses. */
export interface KeyPartitioner {
  partitionOf(topic: string, key: string): Promise<number>;
}

export interface Subscription {
  /** Stops receiving; waits for the in-flight handler, commits what was acknowledged. */
  close(): Promise<void>;
}

/** The dead-letter topic of `topic`. */
export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;

/** The wire form of an event: its JSON. Every adapter serialises with this, so a consumer's `value` is comparable. */
export const encodeEvent = (event: Event): string => JSON.stringify(event);

/**
 * Publishing bytes that need not be an `Event`. Both adapters offer it beside `EventBus`: bridges and tools forward foreign
 * messages with it, and the contract suite uses it to prove that malformed messages are dead-lettered, not fatal.
 */
export interface RawPublisher {
  publishRaw(topic: string, key: string, value: string, headers?: Headers): Promise<void>;
}

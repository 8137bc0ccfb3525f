import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { unavailable } from '../platform/errors.ts';
import { silentLogger, type Logger } from '../platform/logger.ts';
import {
  encodeEvent,
  type Event,
  type EventBus,
  type Headers,
  type KeyPartitioner,
  type MessageHandler,
  type OutgoingRecord,
  type RawPublisher,
  type ReceivedMessage,
  type SubscribeOptions,
  type Subscription,
} from './event-bus.ts';
import { maxBatchOf, type BatchHandler, type BatchSubscribeOptions, type BatchSubscriber } from './batch-subscriber.ts';
import type { BusInspector, ConsumerLag, TopicDepth } from './bus-inspector.ts';
import type { TopicReader } from './topic-reader.ts';

export interface MemoryEventBusOptions {
  /** Partitions per topic; keys are hashed onto them, as Kafka does. Default 3. */
  partitions?: number;
  /** Pause before a message whose handler failed is delivered again. Default 50 ms. */
  redeliveryDelayMs?: number;
  /**
   * Messages kept per partition (the in-memory "retention"). Older ones are dropped; a group whose position falls
   * behind the oldest kept message resumes from it, like Kafka's `auto.offset.reset=earliest`. Default 100 000.
   */
  retainPerPartition?: number;
  logger?: Logger;
}

/**
 * The in-process event bus behind the embedded default (no Kafka configured). It models what the port promises of
 * Kafka, not more: per-topic partitioned append-only logs, per-group committed positions, partitions shared among the
 * members of a group, redelivery of unacknowledged messages. Nothing survives the process.
 *
 * Delivery runs one loop per (topic, group, partition). A loop hands the message at the group's position to the member
 * that owns the partition, waits for the handler, and only then advances the position (the "commit"). Loops sleep on a
 * signal while there is nothing to do — publishing and membership changes wake them — so an idle bus costs nothing and
 * a busy one is not bounded by a polling interval.
 */
export class MemoryEventBus
  implements EventBus, RawPublisher, BatchSubscriber, KeyPartitioner, BusInspector, TopicReader
{
  private readonly topics = new Map<string, Topic>();
  private readonly subscriptions = new Set<MemorySubscription>();
  private readonly partitions: number;
  private readonly redeliveryDelayMs: number;
  private readonly retain: number;
  private readonly logger: Logger;
  private closed = false;

  constructor(options: MemoryEventBusOptions = {}) {
    this.partitions = options.partitions ?? 3;
    this.redeliveryDelayMs = options.redeliveryDelayMs ?? 50;
    this.retain = options.retainPerPartition ?? 100_000;
    this.logger = (options.logger ?? silentLogger).child({ component: 'memory-event-bus' });
    if (!Number.isInteger(this.partitions) || this.partitions < 1) throw new RangeError('partitions must be ≥ 1');
    if (!Number.isInteger(this.retain) || this.retain < 1) throw new RangeError('retainPerPartition must be ≥ 1');
  }

  async publish(topic: string, key: string, event: Event, headers: Headers = {}): Promise<void> {
    this.append(topic, key, encodeEvent(event), headers);
  }

  async publishAll(records: readonly OutgoingRecord[]): Promise<void> {
    this.assertOpen();
    for (const record of records)
      this.append(record.topic, record.key, encodeEvent(record.event), record.headers ?? {});
  }

  /** The partition `key` lands on in `topic` (FNV-1a, see `partitionOf` below). */
  async partitionOf(topic: string, key: string): Promise<number> {
    return partitionOf(key, this.topic(topic).partitions.length);
  }

  async publishRaw(topic: string, key: string, value: string, headers: Headers = {}): Promise<void> {
    this.append(topic, key, value, headers);
  }

  async subscribe(
    topicName: string,
    groupName: string,
    handler: MessageHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    return this.join(topicName, groupName, options, {
      handler,
      inFlight: new Set(),
      aborts: new Set(),
      onAssignment: options.onAssignment,
    });
  }

  private join(topicName: string, groupName: string, options: SubscribeOptions, member: Member): Subscription {
    this.assertOpen();
    const topic = this.topic(topicName);
    let group = topic.groups.get(groupName);
    if (!group) {
      group = new Group(groupName, topic, options.from ?? 'earliest');
      topic.groups.set(groupName, group);
      for (let p = 0; p < topic.partitions.length; p++) void this.deliver(topic, group, p);
    }
    group.members.push(member);
    group.reassign();
    const subscription = new MemorySubscription(group, member, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** See batch-subscriber.ts: the member gets up to `maxBatch` consecutive messages of a partition per call. */
  async subscribeBatch(
    topicName: string,
    groupName: string,
    handler: BatchHandler,
    options: BatchSubscribeOptions = {},
  ): Promise<Subscription> {
    const batch = { handler, maxBatch: maxBatchOf(options) };
    return this.join(topicName, groupName, options, {
      handler: async () => {
        throw new Error('unreachable: batch members are delivered batches');
      },
      batch,
      inFlight: new Set(),
      aborts: new Set(),
      onAssignment: options.onAssignment,
    });
  }

  /** Undelivered messages per (group, topic, partition): the log's end minus the group's position. */
  async consumerLag(): Promise<ConsumerLag[]> {
    const lags: ConsumerLag[] = [];
    for (const topic of this.topics.values())
      for (const group of topic.groups.values())
        topic.partitions.forEach((log, partition) => {
          const position = Math.max(group.positions[partition]!, log.base);
          lags.push({ group: group.name, topic: topic.name, partition, messages: Math.max(0, log.end - position) });
        });
    return lags;
  }

  /** Messages each topic still keeps (end − base over its partitions). */
  async topicDepth(topics: readonly string[]): Promise<TopicDepth[]> {
    return topics.map((name) => {
      const partitions = this.topics.get(name)?.partitions ?? [];
      return { topic: name, messages: partitions.reduce((sum, log) => sum + log.end - log.base, 0) };
    });
  }

  /** Topics some group consumes. */
  consumedTopics(): string[] {
    return [...this.topics.values()].filter((t) => t.groups.size > 0).map((t) => t.name);
  }

  /** See topic-reader.ts: the topics published to or subscribed to so far. */
  async listTopics(): Promise<string[]> {
    return [...this.topics.keys()].sort();
  }

  /** See topic-reader.ts: the retained messages of `topicName`, partition by partition. */
  async readAll(topicName: string): Promise<ReceivedMessage[]> {
    const topic = this.topics.get(topicName);
    if (!topic) return [];
    return topic.partitions.flatMap((log, partition) => {
      const messages: ReceivedMessage[] = [];
      for (let offset = log.base; offset < log.end; offset++) {
        const stored = log.at(offset);
        messages.push({
          topic: topicName,
          ...stored,
          headers: { ...stored.headers },
          partition,
          offset: String(offset),
        });
      }
      return messages;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    for (const topic of this.topics.values()) for (const group of topic.groups.values()) group.wakeAll();
  }

  private append(topicName: string, key: string, value: string, headers: Headers): void {
    this.assertOpen();
    const topic = this.topic(topicName);
    const partition = partitionOf(key, topic.partitions.length);
    topic.partitions[partition]!.append({ key, value, headers: { ...headers } }, this.retain);
    for (const group of topic.groups.values()) group.signals[partition]!.notify();
  }

  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = {
        name,
        partitions: Array.from({ length: this.partitions }, () => new PartitionLog()),
        groups: new Map(),
      };
      this.topics.set(name, topic);
    }
    return topic;
  }

  private assertOpen(): void {
    if (this.closed) throw unavailable('eventbus.closed', 'the event bus is closed');
  }

  /** The delivery loop of one (topic, group, partition); runs until the bus closes. */
  private async deliver(topic: Topic, group: Group, partition: number): Promise<void> {
    const log = topic.partitions[partition]!;
    const signal = group.signals[partition]!;
    let sinceYield = 0;
    while (!this.closed) {
      const member = group.ownerOf(partition);
      if (group.positions[partition]! < log.base) group.positions[partition] = log.base;
      const offset = group.positions[partition]!;
      if (!member || offset >= log.end) {
        await signal.wait();
        continue;
      }
      const count = member.batch ? Math.min(member.batch.maxBatch, log.end - offset) : 1;
      const messages: ReceivedMessage[] = [];
      for (let o = offset; o < offset + count; o++) {
        const stored = log.at(o);
        messages.push({
          topic: topic.name,
          key: stored.key,
          value: stored.value,
          headers: { ...stored.headers },
          partition,
          offset: String(o),
        });
      }
      const abort = new AbortController();
      if (!member.batch) messages[0]!.signal = abort.signal;
      const outcome = member.batch ? runBatchHandler(member.batch.handler, messages) : runHandler(member, messages[0]!);
      member.inFlight.add(outcome);
      member.aborts.add(abort);
      const error = await outcome;
      member.inFlight.delete(outcome);
      member.aborts.delete(abort);
      if (error === undefined) {
        group.positions[partition] = offset + count;
        // A backlog of handlers that settle at once would otherwise run on microtasks alone and starve timers and I/O.
        if (++sinceYield >= 256) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
      } else {
        this.logger.warn(
          { topic: topic.name, group: group.name, partition, offset, err: error },
          'handler failed; the message will be redelivered',
        );
        await sleep(this.redeliveryDelayMs);
      }
    }
  }
}

interface StoredMessage {
  key: string;
  value: string;
  headers: Headers;
}

interface Topic {
  name: string;
  partitions: PartitionLog[];
  groups: Map<string, Group>;
}

interface Member {
  handler: MessageHandler;
  /** Set for `subscribeBatch` members: they get batches instead of single messages. */
  batch?: { handler: BatchHandler; maxBatch: number };
  /** Settled outcomes of handlers currently running for this member (resolve to the error, or undefined). */
  inFlight: Set<Promise<unknown>>;
  /** One per running delivery, aborted when the member leaves (see `ReceivedMessage.signal`). */
  aborts: Set<AbortController>;
  /** `SubscribeOptions.onAssignment`. */
  onAssignment?: (partitions: readonly number[]) => void;
}

/** One partition's append-only log. Offsets are absolute; `base` is the offset of the oldest message still kept. */
class PartitionLog {
  base = 0;
  private messages: StoredMessage[] = [];

  get end(): number {
    return this.base + this.messages.length;
  }

  at(offset: number): StoredMessage {
    return this.messages[offset - this.base]!;
  }

  append(message: StoredMessage, retain: number): void {
    this.messages.push(message);
    // Trim in chunks of a quarter of the retention, so dropping old messages costs O(1) amortised per append.
    if (this.messages.length > retain + Math.max(1, retain >> 2)) {
      const drop = this.messages.length - retain;
      this.messages = this.messages.slice(drop);
      this.base += drop;
    }
  }
}

class Group {
  readonly members: Member[] = [];
  readonly positions: number[];
  readonly signals: Signal[];

  constructor(
    readonly name: string,
    topic: Topic,
    from: 'earliest' | 'latest',
  ) {
    this.positions = topic.partitions.map((log) => (from === 'latest' ? log.end : log.base));
    this.signals = topic.partitions.map(() => new Signal());
  }

  /** Partitions are dealt round-robin over the members in join order, as Kafka's round-robin assignor does. */
  ownerOf(partition: number): Member | undefined {
    return this.members.length === 0 ? undefined : this.members[partition % this.members.length];
  }

  leave(member: Member): void {
    const index = this.members.indexOf(member);
    if (index >= 0) this.members.splice(index, 1);
    this.reassign();
  }

  /** A member joined or left: tells every member its partitions (as a Kafka rebalance does), then wakes the loops. */
  reassign(): void {
    this.members.forEach((member, index) => {
      const owned = this.positions.map((_, p) => p).filter((p) => p % this.members.length === index);
      member.onAssignment?.(owned);
    });
    this.wakeAll();
  }

  wakeAll(): void {
    for (const signal of this.signals) signal.notify();
  }
}

class MemorySubscription implements Subscription {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly group: Group,
    private readonly member: Member,
    private readonly onClosed: () => void,
  ) {}

  close(): Promise<void> {
    // Leaving first means no new message reaches this member; the loop delivers its partitions to the others (or
    // waits for a new member) once the in-flight handler settles, and commits that one only if it succeeded.
    this.closing ??= (async () => {
      this.group.leave(this.member);
      // Handlers waiting to retry give their message up (it stays unacknowledged) instead of holding the close.
      for (const abort of this.member.aborts) abort.abort(new Error('subscription closing'));
      await Promise.all(this.member.inFlight);
      this.onClosed();
    })();
    return this.closing;
  }
}

/** A wake-up flag for one waiter: `notify` before `wait` is remembered, so no wake-up is lost. */
class Signal {
  private resolve: (() => void) | undefined;
  private pending: Promise<void> | undefined;
  private flagged = false;

  notify(): void {
    const resolve = this.resolve;
    if (resolve) {
      this.resolve = undefined;
      this.pending = undefined;
      resolve();
    } else {
      this.flagged = true;
    }
  }

  wait(): Promise<void> {
    if (this.flagged) {
      this.flagged = false;
      return Promise.resolve();
    }
    this.pending ??= new Promise<void>((resolve) => (this.resolve = resolve));
    return this.pending;
  }
}

/** Runs the handler and settles to its error (or undefined), so a synchronous throw counts as a failure too. */
function runHandler(member: Member, message: ReceivedMessage): Promise<unknown> {
  try {
    return member.handler(message).then(
      () => undefined,
      (error: unknown) => error ?? new Error('handler rejected without a reason'),
    );
  } catch (error) {
    return Promise.resolve(error ?? new Error('handler threw without a reason'));
  }
}

/** `runHandler` for a batch member. */
function runBatchHandler(handler: BatchHandler, messages: ReceivedMessage[]): Promise<unknown> {
  try {
    return handler(messages).then(
      () => undefined,
      (error: unknown) => error ?? new Error('handler rejected without a reason'),
    );
  } catch (error) {
    return Promise.resolve(error ?? new Error('handler threw without a reason'));
  }
}

/** FNV-1a over the key's UTF-16 code units: stable across runs, so a key always lands on the same partition. */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

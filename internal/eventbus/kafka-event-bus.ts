import {
  type Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type EachMessagePayload,
  type IHeaders,
  type KafkaConfig,
  type KafkaMessage,
  type logCreator,
  type Message,
  type Producer,
} from 'kafkajs';
import { kafkaClient } from './kafka-client.ts';
import { Coalescer } from '../platform/coalescer.ts';
import { AppError, unavailable } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import { retryUntil } from '../platform/retry-until.ts';
import {
  encodeEvent,
  type Event,
  type EventBus,
  type Headers,
  type MessageHandler,
  type OutgoingRecord,
  type RawPublisher,
  type ReceivedMessage,
  type KeyPartitioner,
  type SubscribeOptions,
  type Subscription,
} from './event-bus.ts';
import { maxBatchOf, type BatchHandler, type BatchSubscribeOptions, type BatchSubscriber } from './batch-subscriber.ts';
import type { BusInspector, ConsumerLag, TopicDepth } from './bus-inspector.ts';
import { GroupJoinTimeoutError, isTransientKafkaError } from './kafka-transient.ts';

export interface KafkaEventBusOptions {
  brokers: string[];
  /** `config.kafka.clientId`. */
  clientId: string;
  /** Partition count of the topics this bus creates (`config.kafka.partitions`). */
  partitions: number;
  logger: Logger;
  /** Replication factor of created topics. Default -1: the broker's `default.replication.factor`. */
  replicationFactor?: number;
  /** Pause before a message whose handler failed is fetched again. Default 100 ms. */
  redeliveryDelayMs?: number;
  /** Consumer session timeout (the broker enforces ≥ `group.min.session.timeout.ms`, 6 s by default). Default 10 s. */
  sessionTimeoutMs?: number;
  /** How long the coordinator waits for members to re-join during a rebalance. Default 10 s. */
  rebalanceTimeoutMs?: number;
  /** Heartbeat period; also how quickly a member notices that a rebalance started. Default 500 ms. */
  heartbeatIntervalMs?: number;
  /** Longest a fetch waits on an idle partition; bounds how long `close()` waits for the last fetch. Default 250 ms. */
  maxWaitTimeMs?: number;
  /** How long one attempt to subscribe waits for the consumer to join its group before trying again. Default 30 s. */
  joinTimeoutMs?: number;
  /**
   * How long subscribing and creating topics keep retrying transient failures (broker not up yet, a new topic's
   * partitions without a leader, coordinator loading) before start-up fails. Default 120 s: a broker restart.
   */
  startDeadlineMs?: number;
  /** How long one publish keeps retrying transient failures before it is rejected. Default 30 s. */
  publishDeadlineMs?: number;
  /** kafkajs' retry policy for connecting and requests (its defaults: 5 retries from 300 ms). */
  retry?: { retries?: number; initialRetryTime?: number; maxRetryTime?: number };
}

/**
 * The Kafka group id of port group `group` on `topic`. The port scopes groups to a topic; Kafka scopes them to the
 * cluster, and kafkajs members of one group id that subscribe to different topics get assigned each other's
 * partitions and silently drop them. One id per (group, topic) makes `subscribe(a, 'svc')` + `subscribe(b, 'svc')` safe.
 */
export const kafkaGroupId = (group: string, topic: string): string => `${group}:${topic}`;

/**
 * The event bus on Kafka, via kafkajs.
 *
 * Publishing: one shared idempotent producer (acks=all, so "published" means replicated to the in-sync replicas).
 * Calls made while a send is in flight are coalesced into the next `sendBatch` — batching under load without a
 * linger delay when idle — and sends are strictly sequential, so per-key order is the call order.
 * Topics are created on first use with `partitions` partitions; the producer never auto-creates (broker defaults
 * would pick the partition count). Keys go through kafkajs' DefaultPartitioner (murmur2, the Java client's), so a
 * key maps to the same partition from every producer.
 *
 * Consuming: one kafkajs consumer per subscription (group id `kafkaGroupId(group, topic)`), `autoCommit: false`. After the handler resolves we queue
 * offset+1 for that partition and the next message runs at once: the commit goes out in the background (one request
 * in flight per subscription; offsets queued meanwhile coalesce, the latest per partition wins), queued offsets are
 * dropped when the member re-joins its group (a rebalance may have moved their partitions: the new owner sees those
 * messages again), and `close()` waits for the last commit. At-least-once either way: an offset is only ever queued
 * after its handler succeeded, and one that never reaches the broker means a redelivery, never a loss. When the handler throws we do NOT rethrow into kafkajs:
 * a throw from `eachMessage` lands in the runner's retrier, which restarts the fetch loop with backoff and, after
 * `retry.retries` failures, crashes and restarts the whole consumer (seconds). Instead we `seek` the partition back
 * to the failed offset — kafkajs then abandons the rest of the fetched batch — and pause the partition for
 * `redeliveryDelayMs`; other partitions keep flowing. kafkajs has no background heartbeat (it heartbeats between
 * messages), so while a handler runs we heartbeat on a timer; otherwise a handler slower than the session timeout
 * gets its member evicted, its commit rejected and its message redelivered — forever, if it is always that slow.
 */
export class KafkaEventBus implements EventBus, RawPublisher, BatchSubscriber, KeyPartitioner, BusInspector {
  private readonly options: Required<Omit<KafkaEventBusOptions, 'logger' | 'brokers' | 'clientId' | 'retry'>>;
  private readonly kafkaConfig: KafkaConfig;
  private readonly logger: Logger;
  private readonly kafka: Kafka;
  private producerReady: Promise<Producer> | undefined;
  private adminReady: Promise<Admin> | undefined;
  /** Topics known to exist (or being created); a failed creation is forgotten so the next call retries. */
  private readonly topics = new Map<string, Promise<void>>();
  /** Partition counts read from the broker, per topic. */
  private readonly partitionCounts = new Map<string, Promise<number>>();
  /** The producer's own partitioner, for `partitionOf`. */
  private readonly keyPartitioner = Partitioners.DefaultPartitioner();
  private readonly subscriptions = new Set<KafkaSubscription>();
  /** Every (group, topic) this instance subscribed, keyed by the Kafka group id: what `consumerLag` reports on. */
  private readonly consumed = new Map<string, { group: string; topic: string }>();
  /** Publishes made while a send is in flight leave together in the next one (see `send`). */
  private readonly sending = new Coalescer<OutboundRecord[], void>((sends) => this.send(sends), {
    maxInFlight: 1,
    maxBatch: Number.POSITIVE_INFINITY,
  });
  private closed = false;
  /** Aborted by `close()`: stops retry loops that wait for the broker. */
  private readonly closing = new AbortController();

  constructor(options: KafkaEventBusOptions) {
    if (options.brokers.length === 0) throw new RangeError('brokers must not be empty');
    if (!Number.isInteger(options.partitions) || options.partitions < 1) throw new RangeError('partitions must be ≥ 1');
    this.logger = options.logger.child({ component: 'kafka-event-bus' });
    this.options = {
      partitions: options.partitions,
      replicationFactor: options.replicationFactor ?? -1,
      redeliveryDelayMs: options.redeliveryDelayMs ?? 100,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 10_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 500,
      maxWaitTimeMs: options.maxWaitTimeMs ?? 250,
      joinTimeoutMs: options.joinTimeoutMs ?? 30_000,
      startDeadlineMs: options.startDeadlineMs ?? 120_000,
      publishDeadlineMs: options.publishDeadlineMs ?? 30_000,
    };
    this.kafkaConfig = {
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: KafkaLogLevel.WARN,
      logCreator: pinoLogCreator(this.logger),
      retry: options.retry,
    };
    this.kafka = kafkaClient(this.kafkaConfig);
  }

  publish(topic: string, key: string, event: Event, headers: Headers = {}): Promise<void> {
    return this.enqueue([{ topic, key, value: encodeEvent(event), headers }]);
  }

  publishAll(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.enqueue(
      records.map((r) => ({ topic: r.topic, key: r.key, value: encodeEvent(r.event), headers: r.headers ?? {} })),
    );
  }

  publishRaw(topic: string, key: string, value: string, headers: Headers = {}): Promise<void> {
    return this.enqueue([{ topic, key, value, headers }]);
  }

  subscribe(
    topic: string,
    group: string,
    handler: MessageHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    return this.startConsumer(topic, group, handler, undefined, options);
  }

  /**
   * See batch-subscriber.ts. kafkajs `eachBatch`: a fetched partition batch is cut into chunks of `maxBatch`; each chunk
   * is handled, then committed, before the next. Failure handling is `subscribe`'s: seek back to the chunk's first
   * offset and pause the partition for `redeliveryDelayMs`.
   */
  async subscribeBatch(
    topic: string,
    group: string,
    handler: BatchHandler,
    options: BatchSubscribeOptions = {},
  ): Promise<Subscription> {
    const batch = { handler, maxBatch: maxBatchOf(options) };
    return this.startConsumer(topic, group, async () => undefined, batch, options);
  }

  /**
   * Subscribes, retrying transient failures (broker down or restarting, the topic's partitions not led yet, the group
   * coordinator loading) with backoff until `startDeadlineMs`; each attempt gets a fresh consumer.
   */
  private async startConsumer(...args: ConsumerArgs): Promise<Subscription> {
    this.assertOpen();
    const [topic, group] = args;
    this.consumed.set(kafkaGroupId(group, topic), { group, topic });
    const log = this.logger.child({ topic, group });
    const supervised = new SupervisedSubscription(
      log,
      (signal) =>
        // After a crash: retry whatever fails (the broker may come back slowly, or with its metadata not there yet)
        // until it works, the subscription is closed or the bus is.
        retryUntil(
          () => {
            // The broker may have come back without its data: make sure the topic exists again (idempotent).
            this.topics.delete(topic);
            return this.tryStartConsumer(args, (from, error) => supervised.crashed(from, error));
          },
          {
            what: `restart consumer of ${topic} as ${group}`,
            isTransient: () => true,
            deadlineMs: Number.POSITIVE_INFINITY,
            logger: this.logger,
            maxDelayMs: 10_000,
            signal,
          },
        ),
      this.closing.signal,
    );
    try {
      supervised.current = await this.retryTransient(
        `subscribe to ${topic} as ${group}`,
        this.options.startDeadlineMs,
        () => this.tryStartConsumer(args, (from, error) => supervised.crashed(from, error)),
      );
    } catch (error) {
      throw subscribeFailed(topic, group, error);
    }
    return supervised;
  }

  /** Runs `operation`, retrying what `isTransientKafkaError` accepts until `deadlineMs` or `close()`. */
  private retryTransient<T>(what: string, deadlineMs: number, operation: () => Promise<T>): Promise<T> {
    return retryUntil(operation, {
      what,
      isTransient: isTransientKafkaError,
      deadlineMs,
      logger: this.logger,
      signal: this.closing.signal,
    });
  }

  /**
   * One attempt: create the topic if needed, connect, join the group; on failure the consumer is closed again. Once
   * running, a crash of the kafkajs consumer is reported to `onCrash` (kafkajs is told never to restart it itself).
   */
  private async tryStartConsumer(
    [topic, group, handler, batch, options]: ConsumerArgs,
    onCrash: (subscription: KafkaSubscription, error: unknown) => void,
  ): Promise<KafkaSubscription> {
    this.assertOpen();
    await this.ensureTopics([topic]);
    const from = options.from ?? 'earliest';
    const log = this.logger.child({ topic, group });
    // A client per consumer: kafkajs caches committed offsets per group id in the client, shared by its consumers.
    const consumer = kafkaClient(this.kafkaConfig).consumer({
      groupId: kafkaGroupId(group, topic),
      sessionTimeout: this.options.sessionTimeoutMs,
      rebalanceTimeout: this.options.rebalanceTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      maxWaitTimeInMs: this.options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      // A crashed consumer is replaced by a fresh one, with our backoff, by `SupervisedSubscription` — whatever the
      // error. kafkajs would restart it only for errors it deems retriable, and a non-retriable crash would leave the
      // subscription silently dead (a broker restarting can produce both kinds).
      retry: { ...this.kafkaConfig.retry, restartOnFailure: async () => false },
    });
    const subscription = new KafkaSubscription(
      consumer,
      topic,
      handler,
      log,
      this.options.redeliveryDelayMs,
      this.options.heartbeatIntervalMs,
      this.options.sessionTimeoutMs,
      () => this.subscriptions.delete(subscription),
      batch,
    );
    this.subscriptions.add(subscription);

    // Ready = joined the group; for `latest`, also past the first fetch, which is when kafkajs resolves "latest" to
    // an offset (a message published in between would otherwise be skipped).
    const { promise: ready, resolve, reject } = deferred();
    ready.catch(() => undefined); // a crash after we stopped waiting must not become an unhandled rejection
    // Every join (the first, and each rebalance) tells the member which partitions of its topic it now owns.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      subscription.rejoined();
      options.onAssignment?.(payload.memberAssignment[topic] ?? []);
    });
    const removeJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
      removeJoin();
      if (from === 'earliest') return resolve();
      const removeFetch = consumer.on(consumer.events.FETCH, () => {
        removeFetch();
        resolve();
      });
    });
    let running = false;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      log.warn({ err: payload.error }, running ? 'kafka consumer crashed; replacing it' : 'kafka consumer crashed');
      if (running) onCrash(subscription, payload.error);
      else reject(payload.error);
    });
    const timer = setTimeout(
      () => reject(new GroupJoinTimeoutError(this.options.joinTimeoutMs)),
      this.options.joinTimeoutMs,
    );
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: from === 'earliest' });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: this.options.partitions,
        ...(batch
          ? { eachBatchAutoResolve: false, eachBatch: (payload: EachBatchPayload) => subscription.eachBatch(payload) }
          : { eachMessage: (payload: EachMessagePayload) => subscription.eachMessage(payload) }),
      });
      await ready;
      running = true;
    } catch (error) {
      await subscription.close().catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.sending.close();
    const [producer, admin] = await Promise.allSettled([this.producerReady, this.adminReady]);
    if (producer.status === 'fulfilled' && producer.value) await producer.value.disconnect();
    if (admin.status === 'fulfilled' && admin.value) await admin.value.disconnect();
  }

  // ------------------------------------------------------------------------------------------------------- publishing

  private enqueue(records: OutboundRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(unavailable('eventbus.closed', 'the event bus is closed'));
    return this.sending.call(records);
  }

  /**
   * Sends the publishes queued while the previous send was in flight, as one `sendBatch` (the coalescer runs one at a
   * time, in call order, so per-key order holds). A failure rejects every publish of that send.
   */
  private async send(sends: OutboundRecord[][]): Promise<undefined[]> {
    try {
      const byTopic = new Map<string, Message[]>();
      for (const r of sends.flat()) {
        let messages = byTopic.get(r.topic);
        if (!messages) {
          messages = [];
          byTopic.set(r.topic, messages);
        }
        messages.push({ key: r.key, value: r.value, headers: r.headers });
      }
      const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      await this.retryTransient(
        `publish to ${[...byTopic.keys()].join(', ')}`,
        this.options.publishDeadlineMs,
        async () => {
          const producer = await this.producer();
          await this.ensureTopics(byTopic.keys());
          try {
            await producer.sendBatch({ acks: -1, topicMessages });
          } catch (error) {
            // A broker that came back without its data (a fresh one) no longer has the topics we created: forget
            // them, so the next attempt creates them again instead of failing until the deadline.
            if (hasKafkaErrorType(error, 'UNKNOWN_TOPIC_OR_PARTITION'))
              for (const t of byTopic.keys()) this.topics.delete(t);
            // A failure kafkajs gives up on (e.g. the idempotent producer's sequence numbers out of step with a
            // restarted broker's) can leave the producer failing every later send: replace it with a fresh one.
            if (!isTransientKafkaError(error)) this.dropProducer(producer);
            throw error;
          }
        },
      );
      return sends.map(() => undefined);
    } catch (error) {
      const topics = [...new Set(sends.flatMap((records) => records.map((r) => r.topic)))];
      throw new AppError(
        'unavailable',
        'eventbus.publish_failed',
        `cannot publish to ${topics.join(', ')}: ${String(error)}`,
        { topics, dependency: 'kafka' },
        { cause: error },
      );
    }
  }

  private producer(): Promise<Producer> {
    this.producerReady ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return producer;
    })();
    this.producerReady.catch(() => (this.producerReady = undefined));
    return this.producerReady;
  }

  /** Forgets `producer` (if it is still the current one) and disconnects it; the next send connects a new one. */
  private dropProducer(producer: Producer): void {
    const ready = this.producerReady;
    void ready
      ?.then((current) => {
        if (current !== producer || this.producerReady !== ready) return;
        this.producerReady = undefined;
        this.logger.warn('kafka producer replaced after a non-retriable send failure');
        void producer.disconnect().catch(() => undefined);
      })
      .catch(() => undefined);
  }

  private admin(): Promise<Admin> {
    this.adminReady ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    this.adminReady.catch(() => (this.adminReady = undefined));
    return this.adminReady;
  }

  /**
   * The partition the producer puts `key` on: kafkajs's default partitioner (murmur2, as Java's client) over the
   * topic's partition count, read once from the broker (the topic may predate `partitions`).
   */
  async partitionOf(topic: string, key: string): Promise<number> {
    let count = this.partitionCounts.get(topic);
    if (!count) {
      count = this.retryTransient(`read partitions of ${topic}`, this.options.startDeadlineMs, async () => {
        await this.ensureTopics([topic]);
        const admin = await this.admin();
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return topics[0]!.partitions.length;
      });
      this.partitionCounts.set(topic, count);
      count.catch(() => this.partitionCounts.delete(topic));
    }
    const partitionMetadata = Array.from({ length: await count }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    }));
    return this.keyPartitioner({ topic, partitionMetadata, message: { key, value: null } });
  }

  /**
   * Lag per (group, topic, partition) of the groups this instance consumes, from the admin API: the partition's high
   * watermark (`fetchTopicOffsets`) minus the group's committed offset (`fetchOffsets`); with nothing committed yet,
   * from the partition's low watermark.
   */
  async consumerLag(): Promise<ConsumerLag[]> {
    const admin = await this.admin();
    const lags: ConsumerLag[] = [];
    for (const [groupId, { group, topic }] of this.consumed) {
      const [committed, ends] = await Promise.all([
        admin.fetchOffsets({ groupId, topics: [topic] }),
        admin.fetchTopicOffsets(topic),
      ]);
      const committedOf = new Map(
        (committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
      );
      for (const end of ends) {
        const done = committedOf.get(end.partition) ?? -1;
        const from = done >= 0 ? done : Number(end.low);
        lags.push({ group, topic, partition: end.partition, messages: Math.max(0, Number(end.high) - from) });
      }
    }
    return lags;
  }

  /** Messages each topic holds (high − low watermark over its partitions); 0 for a topic the broker does not have. */
  async topicDepth(topics: readonly string[]): Promise<TopicDepth[]> {
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    return Promise.all(
      topics.map(async (topic) => {
        if (!existing.has(topic)) return { topic, messages: 0 };
        const offsets = await admin.fetchTopicOffsets(topic);
        return { topic, messages: offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0) };
      }),
    );
  }

  /** Topics this instance subscribed to. */
  consumedTopics(): string[] {
    return [...new Set([...this.consumed.values()].map((c) => c.topic))];
  }

  /** Creates the topics not known yet (in one request); "already exists" counts as success. */
  private async ensureTopics(names: Iterable<string>): Promise<void> {
    const missing = [...new Set(names)].filter((name) => !this.topics.has(name));
    if (missing.length > 0) {
      const creation = this.retryTransient(
        `create topics ${missing.join(', ')}`,
        this.options.startDeadlineMs,
        async () => {
          const admin = await this.admin();
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((topic) => ({
              topic,
              numPartitions: this.options.partitions,
              replicationFactor: this.options.replicationFactor,
            })),
          });
        },
      );
      for (const name of missing) this.topics.set(name, creation);
      creation.catch(() => {
        for (const name of missing) if (this.topics.get(name) === creation) this.topics.delete(name);
      });
    }
    await Promise.all([...new Set(names)].map((name) => this.topics.get(name)));
  }

  private assertOpen(): void {
    if (this.closed) throw unavailable('eventbus.closed', 'the event bus is closed');
  }
}

/** What `subscribe` / `subscribeBatch` hand to `startConsumer`: topic, group, handler, batch mode, options. */
type ConsumerArgs = [
  topic: string,
  group: string,
  handler: MessageHandler,
  batch: { handler: BatchHandler; maxBatch: number } | undefined,
  options: SubscribeOptions,
];

interface OutboundRecord {
  topic: string;
  key: string;
  value: string;
  headers: Headers;
}

/**
 * The subscription `subscribe` returns: the running `KafkaSubscription`, replaced by a fresh consumer (new client,
 * same group, resuming at the committed offsets) whenever the current one crashes — a broker killed or restarted, a
 * leader election that outlasted kafkajs' own retries. So no outage, however long, leaves a subscription dead.
 */
class SupervisedSubscription implements Subscription {
  current: KafkaSubscription | undefined;
  private restarting: Promise<void> | undefined;
  private readonly closed = new AbortController();
  /** Aborted when this subscription or the whole bus closes: stops a restart in progress. */
  private readonly stopping: AbortSignal;

  constructor(
    private readonly logger: Logger,
    private readonly restart: (signal: AbortSignal) => Promise<KafkaSubscription>,
    busClosing: AbortSignal,
  ) {
    this.stopping = AbortSignal.any([this.closed.signal, busClosing]);
  }

  /** Called by the crashed consumer's CRASH listener; a crash of an already replaced consumer is ignored. */
  crashed(from: KafkaSubscription, error: unknown): void {
    if (this.stopping.aborted || from !== this.current || this.restarting) return;
    this.restarting = (async () => {
      const started = Date.now();
      // Gives in-flight deliveries up (uncommitted: the new consumer gets them again) and disconnects.
      await from.close().catch(() => undefined);
      try {
        this.current = await this.restart(this.stopping);
        this.logger.info({ ms: Date.now() - started, err: error }, 'kafka consumer replaced after a crash');
      } catch (failure) {
        if (!this.stopping.aborted) this.logger.error({ err: failure }, 'kafka consumer could not be replaced');
      } finally {
        this.restarting = undefined;
      }
    })();
  }

  async close(): Promise<void> {
    this.closed.abort();
    await this.restarting;
    await this.current?.close();
  }
}

class KafkaSubscription implements Subscription {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  /** One per message whose handler runs now: aborted on close (see `ReceivedMessage.signal`). */
  private readonly aborts = new Set<AbortController>();
  private readonly committer: OffsetCommitter;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly topic: string,
    private readonly handler: MessageHandler,
    private readonly logger: Logger,
    private readonly redeliveryDelayMs: number,
    private readonly heartbeatIntervalMs: number,
    private readonly sessionTimeoutMs: number,
    private readonly onClosed: () => void,
    private readonly batch?: { handler: BatchHandler; maxBatch: number },
  ) {
    this.committer = new OffsetCommitter(consumer, topic, logger);
  }

  /** The member (re-)joined its group: offsets still queued may be for partitions it no longer owns. */
  rejoined(): void {
    this.committer.drop();
  }

  /** Rewinds the partition to `offset` and holds it back for a moment, so the failed message(s) come again. */
  private redeliverFrom(topic: string, partition: number, offset: string, pause: () => () => void): void {
    this.consumer.seek({ topic, partition, offset });
    if (this.closing) return;
    const resume = pause();
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      if (!this.closing) resume();
    }, this.redeliveryDelayMs);
    this.resumeTimers.add(timer);
  }

  async eachBatch(payload: EachBatchPayload): Promise<void> {
    if (!this.closing) await this.track(this.handleBatch(payload));
  }

  private async handleBatch({
    batch,
    heartbeat,
    pause,
    resolveOffset,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const { handler, maxBatch } = this.batch!;
    for (let start = 0; start < batch.messages.length; start += maxBatch) {
      if (this.closing || !isRunning() || isStale()) return;
      const chunk = batch.messages
        .slice(start, start + maxBatch)
        .map((message) => receivedMessage(topic, partition, message));
      const first = chunk[0]!.offset;
      const last = chunk[chunk.length - 1]!.offset;
      const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), this.heartbeatIntervalMs);
      try {
        await handler(chunk);
      } catch (error) {
        this.logger.warn(
          { partition, offset: first, count: chunk.length, err: error },
          'batch handler failed; the batch will be redelivered',
        );
        this.redeliverFrom(topic, partition, first, pause);
        return;
      } finally {
        clearInterval(keepAlive);
      }
      resolveOffset(last);
      this.committer.commit(partition, (BigInt(last) + 1n).toString());
    }
  }

  async eachMessage(payload: EachMessagePayload): Promise<void> {
    // Closing: leave the message uncommitted for the partition's next owner.
    if (!this.closing) await this.track(this.handle(payload));
  }

  /** Keeps `run` in the in-flight set until it settles, so `close()` can wait for it. */
  private async track(run: Promise<void>): Promise<void> {
    this.inFlight.add(run);
    try {
      await run;
    } finally {
      this.inFlight.delete(run);
    }
  }

  /**
   * Stops taking messages (pauses the topic), waits for the handlers running now and the last commit, then leaves the
   * group. Pausing first matters: kafkajs skips commits once its runner is stopping, so draining must come before
   * `disconnect` for "commits what was acknowledged" to hold.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.resumeTimers) clearTimeout(timer);
      // Handlers waiting to retry give their message up instead of holding the shutdown for their retry budget.
      for (const abort of this.aborts) abort.abort(new Error('subscription closing'));
      try {
        this.consumer.pause([{ topic: this.topic }]);
      } catch {
        // Not running (never started or crashed): nothing can be in flight.
      }
      await Promise.all(this.inFlight);
      await this.committer.flush();
      try {
        await this.consumer.disconnect();
      } finally {
        this.onClosed();
      }
    })();
    return this.closing;
  }

  private async handle({ topic, partition, message, pause, heartbeat }: EachMessagePayload): Promise<void> {
    const abort = new AbortController();
    const received = { ...receivedMessage(topic, partition, message), signal: abort.signal };
    // kafkajs heartbeats only between messages; a handler running longer than the session timeout (slow I/O, retries
    // with backoff) would get the member evicted and its message handed to another member. Keep the session alive.
    // A heartbeat answered "rebalancing" (or "not a member any more") means the group wants this member to re-join,
    // which kafkajs can only do once the handler returns: the delivery is given up (`signal`), and a handler waiting
    // to retry returns at once; the message stays uncommitted and comes again to whoever owns the partition next.
    // Likewise when heartbeats have failed for a whole session timeout (the broker is away): the coordinator has
    // expired this member by now, and the kafkajs runner, which may be crashing, cannot stop until the handler returns.
    let lastHeartbeat = Date.now();
    const keepAlive = setInterval(
      () =>
        void heartbeat().then(
          () => {
            lastHeartbeat = Date.now();
          },
          (error: unknown) => {
            if (mustRejoin(error) || Date.now() - lastHeartbeat > this.sessionTimeoutMs) abort.abort(error);
          },
        ),
      this.heartbeatIntervalMs,
    );
    this.aborts.add(abort);
    try {
      await this.handler(received);
    } catch (error) {
      this.logger.warn(
        { partition, offset: message.offset, err: error },
        'handler failed; the message will be redelivered',
      );
      // Rewind so the next fetch starts at this message, and hold the partition back for a moment.
      this.redeliverFrom(topic, partition, message.offset, pause);
      return;
    } finally {
      clearInterval(keepAlive);
      this.aborts.delete(abort);
    }
    this.committer.commit(partition, (BigInt(message.offset) + 1n).toString());
  }
}

/**
 * Commits offsets of one topic in the background: `commit` queues and returns, so the partition's next message does
 * not wait for the broker's answer (a round trip per message otherwise). One request in flight; offsets queued
 * meanwhile go in the next one, the latest per partition (a partition's offsets only grow between re-joins).
 */
class OffsetCommitter {
  private pending = new Map<number, string>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly topic: string,
    private readonly logger: Logger,
  ) {}

  /** Queues `offset` (the next offset to read) for `partition`; the latest queued per partition wins. */
  commit(partition: number, offset: string): void {
    this.pending.set(partition, offset);
    this.running ??= this.drain();
  }

  /** Forgets the offsets not sent yet (a re-join: their partitions may have moved; the new owner redelivers). */
  drop(): void {
    this.pending.clear();
  }

  /** Resolves once every queued offset has been sent and answered (or failed). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        const batch = this.pending;
        this.pending = new Map();
        try {
          await this.consumer.commitOffsets(
            [...batch].map(([partition, offset]) => ({ topic: this.topic, partition, offset })),
          );
        } catch (error) {
          // Typically a rebalance took a partition away: its new owner sees those messages again (at-least-once).
          this.logger.warn({ offsets: Object.fromEntries(batch), err: error }, 'offset commit failed');
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}

function subscribeFailed(topic: string, group: string, cause: unknown): AppError {
  return new AppError(
    'unavailable',
    'eventbus.subscribe_failed',
    `cannot consume ${topic} as ${group}: ${String(cause)}`,
    { topic, group },
    { cause },
  );
}

/** True when `error` or anything in its cause chain is the kafkajs protocol error of `type`. */
function hasKafkaErrorType(error: unknown, type: string): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 10; depth++) {
    const fields = e as { type?: unknown; cause?: unknown; originalError?: unknown };
    if (fields.type === type) return true;
    e = fields.cause ?? fields.originalError;
  }
  return false;
}

/**
 * True when a failed heartbeat means the member must re-join its group (a rebalance started, the member was evicted, the
 * coordinator moved) — kafkajs' error types REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, NOT_COORDINATOR.
 */
function mustRejoin(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return (
    type === 'REBALANCE_IN_PROGRESS' ||
    type === 'UNKNOWN_MEMBER_ID' ||
    type === 'ILLEGAL_GENERATION' ||
    type === 'NOT_COORDINATOR'
  );
}

/** A kafkajs message as the port hands it to handlers. */
function receivedMessage(topic: string, partition: number, message: KafkaMessage): ReceivedMessage {
  return {
    topic,
    key: message.key?.toString() ?? '',
    value: message.value?.toString() ?? '',
    headers: decodeHeaders(message.headers),
    partition,
    offset: message.offset,
  };
}

function decodeHeaders(headers: IHeaders | undefined): Headers {
  const result: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = first.toString();
  }
  return result;
}

/**
 * What kafkajs reports at warn/error during normal operation, which we log at info: a member joining or leaving
 * (the heartbeat answer "rebalancing" is logged by its Connection at error level), and creating a topic that another
 * process created first.
 */
const ROUTINE = /group is rebalancing|already exists|^Response CreateTopics/i;

/** Routes kafkajs' own logging (warn and above) into our pino logger, with its namespace and fields. */
function pinoLogCreator(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ lib: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      const context = { namespace, ...fields };
      const routine = ROUTINE.test(message) || (typeof fields.error === 'string' && ROUTINE.test(fields.error));
      if (level === KafkaLogLevel.DEBUG) kafkaLogger.debug(context, message);
      else if (routine || level === KafkaLogLevel.INFO) kafkaLogger.info(context, message);
      else if (level === KafkaLogLevel.WARN) kafkaLogger.warn(context, message);
      else kafkaLogger.error(context, message);
    };
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** `Promise.withResolvers`, which Node 20 lacks. */
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

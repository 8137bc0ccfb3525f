import { randomUUID } from 'node:crypto';
import { type Kafka, logLevel as KafkaLogLevel, type Admin, type KafkaMessage } from 'kafkajs';
import { kafkaClient } from './kafka-client.ts';
import type { Logger } from '../platform/logger.ts';
import type { Headers, ReceivedMessage } from './event-bus.ts';
import type { TopicReader } from './topic-reader.ts';

export interface KafkaTopicReaderOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Longest one `readAll` may take (joining a throw-away group, fetching). Default 60 s. */
  timeoutMs?: number;
}

/**
 * `TopicReader` on Kafka. `readAll` reads the high watermark of each partition first, then consumes the topic from
 * the beginning as the only member of a throw-away consumer group (kafkajs has no group-less assignment) that never
 * commits, and stops once every partition reached its watermark. The group is left empty and the broker forgets it.
 */
export class KafkaTopicReader implements TopicReader {
  private readonly kafka: Kafka;
  private adminReady: Promise<Admin> | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly options: KafkaTopicReaderOptions) {
    this.timeoutMs = options.timeoutMs ?? 60_000;
    const log = options.logger.child({ component: 'kafka-topic-reader', lib: 'kafkajs' });
    this.kafka = kafkaClient({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: KafkaLogLevel.ERROR,
      logCreator:
        () =>
        ({ namespace, log: { message, ...fields } }) =>
          log.debug({ namespace, ...fields }, message),
    });
  }

  async listTopics(): Promise<string[]> {
    const admin = await this.admin();
    return (await admin.listTopics()).filter((topic) => !topic.startsWith('__')).sort();
  }

  async readAll(topic: string): Promise<ReceivedMessage[]> {
    const admin = await this.admin();
    if (!(await admin.listTopics()).includes(topic)) return [];
    const offsets = await admin.fetchTopicOffsets(topic);
    // Partition → first offset past the end as of now; partitions with nothing retained need no reading.
    const ends = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, p.high]));
    if (ends.size === 0) return [];
    const messages: ReceivedMessage[] = [];
    const remaining = new Set(ends.keys());
    const consumer = this.kafka.consumer({
      groupId: `${this.options.clientId}-topic-reader-${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
    });
    let done!: () => void;
    let failed!: (error: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => {
      done = resolve;
      failed = reject;
    });
    const timer = setTimeout(
      () => failed(new Error(`reading ${topic} did not finish within ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    consumer.on(consumer.events.CRASH, ({ payload }) => failed(payload.error));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = ends.get(partition);
          if (end === undefined || BigInt(message.offset) >= BigInt(end)) return;
          messages.push(received(topic, partition, message));
          if (BigInt(message.offset) + 1n >= BigInt(end)) {
            remaining.delete(partition);
            if (remaining.size === 0) done();
          }
        },
      });
      await finished;
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
    }
    return messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  }

  /** Disconnects the admin client. */
  async close(): Promise<void> {
    const admin = await this.adminReady?.catch(() => undefined);
    await admin?.disconnect();
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
}

function received(topic: string, partition: number, message: KafkaMessage): ReceivedMessage {
  const headers: Headers = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = first.toString();
  }
  return {
    topic,
    key: message.key?.toString() ?? '',
    value: message.value?.toString() ?? '',
    headers,
    partition,
    offset: message.offset,
  };
}

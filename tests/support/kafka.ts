/**
 * Kafka for integration tests: suites share the single broker `npm run infra:up` provides and isolate themselves
 * with topic names that carry a random suffix (and consumer group names built the same way).
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';

/** Used when TEST_KAFKA_BROKERS is unset. */
export const DEFAULT_TEST_KAFKA_BROKERS = '127.0.0.1:9092';

/** The bootstrap brokers for tests (env TEST_KAFKA_BROKERS, comma-separated `host:port`). */
export function testKafkaBrokers(): string[] {
  // Test-only setting: tests/support is allowed to read the environment (see CONTRIBUTING.md).
  const raw = process.env.TEST_KAFKA_BROKERS || DEFAULT_TEST_KAFKA_BROKERS;
  return raw
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

/**
 * `<name>-<random>`: a topic (or consumer group) name no other suite or earlier run uses.
 * Characters Kafka does not allow in topic names are replaced by `-`.
 */
export function uniqueTopic(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9._-]+/g, '-').slice(0, 200);
  return `${clean || 'topic'}-${randomBytes(6).toString('hex')}`;
}

/** A kafkajs client for the test brokers; by default it logs only errors. */
export function testKafka(clientId = 'deliverygo-test', level: logLevel = logLevel.ERROR): Kafka {
  return new Kafka({
    clientId,
    brokers: testKafkaBrokers(),
    connectionTimeout: 5_000,
    logLevel: level,
    retry: { retries: 5, initialRetryTime: 100 },
  });
}

/** Creates `topic` with `partitions` partitions (replication factor 1) and waits until every partition has a leader. */
export async function createTopic(topic: string, partitions = 3): Promise<void> {
  await withAdmin(async (admin) => {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    if (!created) throw new Error(`Kafka topic ${topic} already exists; use uniqueTopic() for test topics`);
  });
}

/** Deletes the given topics (missing ones are ignored), e.g. in `afterAll`. */
export async function deleteTopics(topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  await withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
  });
}

/** Lists the broker's topics (for assertions). */
export async function listTopics(): Promise<string[]> {
  return withAdmin((admin) => admin.listTopics());
}

async function withAdmin<T>(run: (admin: Admin) => Promise<T>): Promise<T> {
  // Silent: every admin error is thrown to the caller, so kafkajs' own log line would only repeat it.
  const admin = testKafka('deliverygo-test-admin', logLevel.NOTHING).admin();
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    await admin.disconnect();
  }
}

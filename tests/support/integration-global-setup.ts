/**
 * Global setup of the `integration` vitest project (see vitest.config.ts).
 *
 * Integration suites talk to real servers. When one of them is missing the run must FAIL, loudly and before any
 * suite starts, naming the server and how to start it — never skip (CONTRIBUTING.md). Each server gets a real protocol
 * round trip with a short timeout: an open port alone does not prove that PostgreSQL, Redis or Kafka is behind it.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { testKafkaBrokers } from './kafka.ts';
import { testDatabaseUrl } from './postgres.ts';
import { testRedisUrl } from './redis.ts';

export interface InfraTargets {
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string[];
  /** Per-server budget for connecting and answering. */
  timeoutMs: number;
}

/** The servers the integration tests use, from TEST_DATABASE_URL / TEST_REDIS_URL / TEST_KAFKA_BROKERS. */
export function defaultInfraTargets(): InfraTargets {
  return {
    databaseUrl: testDatabaseUrl(),
    redisUrl: testRedisUrl(),
    kafkaBrokers: testKafkaBrokers(),
    timeoutMs: 5_000,
  };
}

/**
 * Checks all three servers concurrently; throws one Error that lists every server that did not answer, with the
 * reason and the command that starts them.
 */
export async function assertInfraReachable(targets: InfraTargets): Promise<void> {
  const checks: Array<{ what: string; check: () => Promise<void> }> = [
    {
      what: `PostgreSQL at ${redact(targets.databaseUrl)} (TEST_DATABASE_URL)`,
      check: () => checkPostgres(targets.databaseUrl, targets.timeoutMs),
    },
    {
      what: `Redis at ${redact(targets.redisUrl)} (TEST_REDIS_URL)`,
      check: () => checkRedis(targets.redisUrl, targets.timeoutMs),
    },
    {
      what: `Kafka at ${targets.kafkaBrokers.join(',')} (TEST_KAFKA_BROKERS)`,
      check: () => checkKafka(targets.kafkaBrokers, targets.timeoutMs),
    },
  ];
  const results = await Promise.allSettled(
    checks.map(({ what, check }) => withTimeout(check(), targets.timeoutMs + 1_000, `${what}: no answer`)),
  );
  const failures = results.flatMap((result, index) =>
    result.status === 'rejected' ? [`  - ${checks[index]!.what}: ${describeReason(result.reason)}`] : [],
  );
  if (failures.length > 0) {
    throw new Error(
      [
        `Integration tests need PostgreSQL, Redis and Kafka, but ${failures.length === 1 ? 'this server does' : 'these servers do'} not answer:`,
        ...failures,
        'Start them with `npm run infra:up` (bash scripts/infra.sh up), or point the TEST_* variables at running servers.',
      ].join('\n'),
    );
  }
}

/** vitest globalSetup entry point. */
export default async function setup(): Promise<void> {
  const targets = defaultInfraTargets();
  await assertInfraReachable(targets);
  await warmUpKafkaGroupCoordinator(targets.kafkaBrokers);
}

/**
 * A fresh broker creates `__consumer_offsets` on the first FindCoordinator request and answers "coordinator not
 * available" until it exists. Asking once here, with retries, spares the first suites that error noise and delay.
 * The broker already answered above, so a failure here is not a missing server: the suites will retry on their own.
 */
async function warmUpKafkaGroupCoordinator(brokers: string[]): Promise<void> {
  const admin = new Kafka({
    clientId: 'deliverygo-integration-setup',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeGroups(['deliverygo-integration-warm-up']);
  } catch {
    // See above: best effort only.
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function checkPostgres(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  // A server that goes away mid-check emits 'error' on the client; the failed promise already reports it.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkRedis(url: string, timeoutMs: number): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Without a listener ioredis prints "Unhandled error event" for every failed attempt; the promise reports it.
  redis.on('error', () => {});
  try {
    await redis.connect();
    const reply = await redis.ping();
    if (reply !== 'PONG') throw new Error(`PING answered ${JSON.stringify(reply)} instead of PONG`);
  } finally {
    redis.disconnect();
  }
}

async function checkKafka(brokers: string[], timeoutMs: number): Promise<void> {
  if (brokers.length === 0) throw new Error('no brokers configured');
  const admin = new Kafka({
    clientId: 'deliverygo-integration-setup',
    brokers,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  try {
    // ApiVersions + Metadata round trips; describeCluster proves the broker knows its cluster (KRaft is up).
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('the cluster reports no brokers');
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) {
    // AggregateError (e.g. ECONNREFUSED on both ::1 and 127.0.0.1) has an empty message; show its parts.
    if (reason instanceof AggregateError && reason.errors.length > 0 && !reason.message) {
      return reason.errors.map(describeReason).join('; ');
    }
    return `${reason.name}: ${reason.message}`;
  }
  return String(reason);
}

/** Hides a password in a connection URL before it goes into an error message. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

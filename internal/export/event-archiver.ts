import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database } from '../db/schema.ts';
import type { EventBus, MessageHandler, ReceivedMessage, Subscription } from '../eventbus/event-bus.ts';
import { supportsBatch } from '../eventbus/batch-subscriber.ts';
import { eventBusMetrics } from '../eventbus/metrics.ts';
import { parseEnvelope, withDeadLetter, withRetry, type BusRetryPolicy } from '../eventbus/middleware.ts';
import { topics } from '../events/catalog.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';

/** The consumer group (one per topic) that copies domain events into `event_archive`. */
export const ARCHIVE_GROUP = 'analytics-archive';

/** Most messages in one archive INSERT (12 parameters a row; Postgres allows 65,535 per statement). */
const ARCHIVE_MAX_BATCH = 500;

/**
 * The topics archived: every domain topic but `rider.location`. GPS pings are most of the traffic (one message per
 * ping batch, every second per rider) and already land, typed, in the `rider_locations` history table; archiving
 * them again would multiply the archive's size for no question the export answers.
 */
export const ARCHIVED_TOPICS: readonly string[] = Object.values(topics)
  .map((t) => t.name)
  .filter((name) => name !== topics.riderLocation.name);

export interface EventArchiverDeps {
  db: Kysely<Database>;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  /** Retry policy of every consumer (`config.bus`): an archive insert waits out a Postgres outage like the others. */
  retry: BusRetryPolicy;
  registry?: Registry;
}

export interface EventArchiver {
  /** Stops consuming (waits for in-flight inserts). Idempotent. */
  stop(): Promise<void>;
}

/** The `event_archive` row of one consumed message: raw, plus what the envelope says when it parses. */
export function archiveRow(message: ReceivedMessage, consumedAt: Date) {
  const envelope = parseEnvelope(message);
  const occurredAt = envelope.ok ? new Date(envelope.event.occurredAt) : null;
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key,
    headers: JSON.stringify(message.headers ?? {}),
    value: message.value,
    value_sha256: createHash('sha256').update(message.value).digest('hex'),
    event_id: envelope.ok ? envelope.event.id : null,
    event_type: envelope.ok ? envelope.event.type : null,
    occurred_at: occurredAt,
    // An unreadable message has no event time: it is filed under the time it was consumed, so it is exported (and
    // quarantined) with that day rather than lost.
    event_at: occurredAt ?? consumedAt,
    consumed_at: consumedAt,
  };
}

/**
 * Appends consumed messages to `event_archive` in one INSERT; a message already there (same topic, partition, offset
 * and bytes: a redelivery) is left as it is. Resolves to the number of rows added.
 */
export async function archiveMessages(
  db: Kysely<Database>,
  messages: readonly ReceivedMessage[],
  consumedAt: Date,
): Promise<number> {
  if (messages.length === 0) return 0;
  const result = await db
    .insertInto('event_archive')
    .values(messages.map((message) => archiveRow(message, consumedAt)))
    .onConflict((oc) => oc.columns(['topic', 'partition', 'offset', 'value_sha256']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

/** `archiveMessages` for one message: whether a row was added. */
export async function archiveMessage(
  db: Kysely<Database>,
  message: ReceivedMessage,
  consumedAt: Date,
): Promise<boolean> {
  return (await archiveMessages(db, [message], consumedAt)) > 0;
}

/**
 * Starts the archiving consumers: one `analytics-archive` group per archived topic, each inserting every message it
 * receives — malformed ones included, that is the point of bronze — into `event_archive`. The per-message handler is
 * not behind `consume()`'s decoding (which would dead-letter a malformed message instead of archiving it), only behind
 * its retry and dead-letter steps, so an insert that keeps failing is parked in `<topic>.dlq` rather than holding the
 * partition.
 *
 * On a bus that consumes in batches (both adapters do) what a partition has fetched goes in ONE insert: one message
 * per insert was the worker's most frequent statement (two to three per order placed; issue 16). A batch whose
 * insert fails is handled again message by message through the per-message handler, so a bad message is retried and
 * dead-lettered on its own and its neighbours are archived — the same outcome as without batches.
 */
export async function startEventArchiver(deps: EventArchiverDeps): Promise<EventArchiver> {
  const log = deps.logger.child({ component: 'event-archiver' });
  const metrics = deps.registry ? eventBusMetrics(deps.registry) : undefined;
  const insert: MessageHandler = async (message) => {
    await archiveMessage(deps.db, message, new Date(deps.clock.now()));
    metrics?.handled.inc({ topic: message.topic, group: ARCHIVE_GROUP });
  };
  const oneByOne = withDeadLetter(
    deps.bus,
    { logger: log, clock: deps.clock, metrics, group: ARCHIVE_GROUP },
    withRetry({ ...deps.retry, clock: deps.clock }, insert),
  );
  const bus = deps.bus;
  const inBatches = async (messages: readonly ReceivedMessage[]): Promise<void> => {
    try {
      await archiveMessages(deps.db, messages, new Date(deps.clock.now()));
    } catch {
      for (const message of messages) await oneByOne(message);
      return;
    }
    metrics?.handled.inc({ topic: messages[0]!.topic, group: ARCHIVE_GROUP }, messages.length);
  };
  // Subscribed together, as the pipeline's consumers are: each is its own group join (seconds on Kafka).
  const joined = await Promise.allSettled(
    ARCHIVED_TOPICS.map((topic) =>
      supportsBatch(bus)
        ? bus.subscribeBatch(topic, ARCHIVE_GROUP, inBatches, { maxBatch: ARCHIVE_MAX_BATCH })
        : bus.subscribe(topic, ARCHIVE_GROUP, oneByOne),
    ),
  );
  const subscriptions: Subscription[] = joined.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = joined.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(subscriptions.map((s) => s.close()));
    throw failed.reason;
  }
  let stopping: Promise<void> | undefined;
  return {
    stop: () => (stopping ??= Promise.all(subscriptions.map((s) => s.close())).then(() => {})),
  };
}

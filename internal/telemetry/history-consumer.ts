import type { Kysely } from 'kysely';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { z } from 'zod';
import type { Database } from '../db/schema.ts';
import { supportsBatch } from '../eventbus/batch-subscriber.ts';
import { eventBusMetrics } from '../eventbus/metrics.ts';
import type { EventBus, ReceivedMessage, Subscription } from '../eventbus/event-bus.ts';
import {
  consume,
  decodeEvent,
  PoisonMessageError,
  withDeadLetter,
  type BusRetryPolicy,
} from '../eventbus/middleware.ts';
import { topics, type PayloadOf } from '../events/catalog.ts';
import type { Logger } from '../platform/logger.ts';
import { BatchingWriter, type BatchingWriterOptions } from './batching-writer.ts';
import { insertHistory, type HistoryRow } from './history-repository.ts';

/** The consumer group that writes `rider.location` into `rider_locations`. */
export const HISTORY_GROUP = 'telemetry.history';

export interface HistoryConsumerDeps {
  db: Kysely<Database>;
  bus: EventBus;
  logger: Logger;
  registry?: Registry;
  consume: BusRetryPolicy;
  batch?: BatchingWriterOptions;
  /** Consumer group; default `telemetry.history` (the benchmark compares strategies under other names). */
  group?: string;
}

export interface RunningHistoryConsumer {
  writer: BatchingWriter<HistoryRow>;
  /** Stops consuming (the message in hand finishes), then writes what waits. */
  stop(): Promise<void>;
}

/** The rows of one `rider.location` message. */
export function rowsOf(payload: PayloadOf<'riderLocation'>): HistoryRow[] {
  return payload.pings.map((p) => ({
    riderId: p.riderId,
    recordedAt: Date.parse(p.recordedAt),
    lat: p.lat,
    lon: p.lon,
    speed: p.speed ?? null,
    heading: p.heading ?? null,
    accuracy: p.accuracy ?? null,
  }));
}

/**
 * Writes GPS history: consumes `rider.location` (group `telemetry.history`) and hands the pings to a
 * `BatchingWriter`, whose `add()` resolves after the one `INSERT … unnest` that contains them — only then does the
 * handler return and the bus acknowledge (commit) the messages. At-least-once end to end; duplicates are absorbed by
 * the table's primary key.
 *
 * Why a bus-level batch subscription: with a per-message handler the bus runs one message per partition at a time,
 * and a rider's messages all share a key, hence a partition — so a write could never hold more than one message per
 * partition (3 by default), and one rider's pings would be written one INSERT at a time. `subscribeBatch`
 * (eventbus/batch-subscriber.ts; Kafka `eachBatch`) hands over everything fetched for a partition, up to `maxRows`
 * messages, and the writer merges the partitions' batches into one statement. A bus without the capability falls
 * back to per-message consumption (correct, slower). Malformed messages are counted and dead-lettered to
 * `rider.location.dlq` with their reason (`npm run dlq` lists them) — they can never be written, and a batch must not be
 * blocked by one; a failed write rejects the batch for redelivery.
 */
export async function startHistoryConsumer(deps: HistoryConsumerDeps): Promise<RunningHistoryConsumer> {
  const log = deps.logger.child({ component: 'telemetry-history' });
  const metrics = deps.registry ? historyMetrics(deps.registry) : undefined;
  const schema = topics.riderLocation.schema as unknown as z.ZodType<PayloadOf<'riderLocation'>>;
  const writer = new BatchingWriter<HistoryRow>(async (rows) => {
    const end = metrics?.flushSeconds.startTimer();
    const inserted = await insertHistory(deps.db, rows);
    end?.();
    metrics?.rows.inc(inserted);
    metrics?.duplicates.inc(rows.length - inserted);
  }, deps.batch);
  let subscription: Subscription | undefined;
  const bus = deps.bus;
  try {
    if (supportsBatch(bus)) {
      const decode = async (message: ReceivedMessage, into: HistoryRow[]): Promise<void> => {
        try {
          await decodeEvent(schema, async (event) => {
            for (const row of rowsOf(event.payload)) into.push(row);
          })(message);
        } catch (error) {
          if (error instanceof PoisonMessageError) metrics?.poison.inc();
          throw error;
        }
      };
      // A malformed message can never be written: parked in `rider.location.dlq` with its reason, as `consume` parks
      // one, so it neither blocks its batch nor disappears. If that publish fails, the batch is redelivered.
      const parking = {
        logger: log,
        group: deps.group ?? HISTORY_GROUP,
        metrics: deps.registry ? eventBusMetrics(deps.registry) : undefined,
      };
      subscription = await bus.subscribeBatch(
        topics.riderLocation.name,
        deps.group ?? HISTORY_GROUP,
        async (messages) => {
          const rows: HistoryRow[] = [];
          const decodeOrPark = withDeadLetter(bus, parking, (message) => decode(message, rows));
          for (const message of messages) await decodeOrPark(message);
          await writer.add(rows);
        },
        // Messages per call; most carry one ping, a bulk post's can carry many, so stay well below maxRows × pings.
        { maxBatch: Math.min(deps.batch?.maxRows ?? 5_000, 2_000) },
      );
    } else
      subscription = await consume(bus, {
        topic: topics.riderLocation.name,
        group: deps.group ?? HISTORY_GROUP,
        schema,
        handler: (event) => writer.add(rowsOf(event.payload)),
        ...deps.consume,
        logger: log,
        registry: deps.registry,
      });
  } catch (error) {
    await writer.close();
    throw error;
  }
  return {
    writer,
    stop: async () => {
      await subscription?.close();
      await writer.close();
    },
  };
}

const byRegistry = new WeakMap<Registry, ReturnType<typeof createMetrics>>();
function historyMetrics(registry: Registry) {
  let m = byRegistry.get(registry);
  if (!m) {
    m = createMetrics(registry);
    byRegistry.set(registry, m);
  }
  return m;
}
function createMetrics(registry: Registry) {
  return {
    rows: new Counter({
      name: 'telemetry_history_rows_total',
      help: 'GPS pings written to rider_locations.',
      registers: [registry],
    }),
    poison: new Counter({
      name: 'telemetry_history_malformed_total',
      help: 'rider.location messages that could not be decoded (dead-lettered).',
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'telemetry_history_duplicates_total',
      help: 'Pings already in rider_locations (redeliveries).',
      registers: [registry],
    }),
    flushSeconds: new Histogram({
      name: 'telemetry_history_flush_seconds',
      help: 'Duration of one batched INSERT into rider_locations.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}

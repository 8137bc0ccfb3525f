import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/schema.ts';
import type { EventBus } from '../eventbus/event-bus.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import { startHistoryConsumer, type RunningHistoryConsumer } from './history-consumer.ts';
import { startPartitionMaintenance } from './partition-maintenance.ts';

export interface TelemetryWorker {
  history: RunningHistoryConsumer;
  /** Stops the history consumer (writing what it holds) and the partition loop. */
  stop(): Promise<void>;
}

/**
 * The worker side of telemetry: the daily-partition maintenance of `rider_locations` (run once before consuming, so
 * today's partition exists) and the batched history writer consuming `rider.location`.
 */
export async function startTelemetryWorker(deps: {
  config: Config;
  db: Kysely<Database>;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  registry: Registry;
}): Promise<TelemetryWorker> {
  const partitions = startPartitionMaintenance(deps.db, deps.clock, deps.logger);
  await partitions.ready;
  try {
    const history = await startHistoryConsumer({
      db: deps.db,
      bus: deps.bus,
      logger: deps.logger,
      registry: deps.registry,
      consume: deps.config.bus,
      batch: { maxRows: deps.config.telemetry.historyBatchRows, lingerMs: deps.config.telemetry.historyLingerMs },
    });
    return {
      history,
      stop: async () => {
        await history.stop();
        await partitions.stop();
      },
    };
  } catch (error) {
    await partitions.stop();
    throw error;
  }
}

import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import { ensureHistoryPartitions } from './history-repository.ts';

export interface PartitionMaintenanceOptions {
  /** How often to check. Hourly by default: idempotent and cheap, and a missed run (restart at midnight) is caught soon. */
  intervalMs?: number;
  /** Days of partitions kept ready ahead of today. Default 7. */
  daysAhead?: number;
}

/**
 * Keeps `rider_locations` partitioned ahead: runs `ensure_rider_location_partitions` now and then every `intervalMs`.
 * Safe with several workers (the SQL function is idempotent and locks per day). A failure is logged and retried next time;
 * with 7 days of headroom an outage of the loop has a week before pings fall into the default partition.
 */
export function startPartitionMaintenance(
  db: Kysely<Database>,
  clock: Clock,
  logger: Logger,
  options: PartitionMaintenanceOptions = {},
): { ready: Promise<void>; stop(): Promise<void> } {
  const log = logger.child({ component: 'telemetry-partitions' });
  let current: Promise<void> = Promise.resolve();
  const run = (): Promise<void> =>
    (current = ensureHistoryPartitions(db, new Date(clock.now()), options.daysAhead ?? 7).then(
      (created) => void (created > 0 && log.info({ created }, 'created rider_locations partitions')),
      (error: unknown) =>
        log.warn({ err: error }, 'rider_locations partition maintenance failed; retrying next period'),
    ));
  const ready = run();
  const timer = setInterval(() => void run(), options.intervalMs ?? 3_600_000);
  timer.unref();
  return {
    ready,
    stop: async () => {
      clearInterval(timer);
      await current;
    },
  };
}

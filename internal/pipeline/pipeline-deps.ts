import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database } from '../db/schema.ts';
import type { DispatchParams } from '../dispatch/params.ts';
import type { EventBus, KeyPartitioner } from '../eventbus/event-bus.ts';
import type { BusRetryPolicy } from '../eventbus/middleware.ts';
import type { GeoStore } from '../geostore/geo-store.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { Router } from '../routing/router.ts';
import type { OrderTraces } from './order-traces.ts';

/** Everything the worker-side dispatch chain needs; the worker's composition root builds it from config. */
export interface PipelineDeps {
  db: Kysely<Database>;
  bus: EventBus & KeyPartitioner;
  geoStore: GeoStore;
  router: Router;
  clock: Clock;
  logger: Logger;
  /** Where `dispatch_batch_regret` and the consumer counters are registered. */
  registry: Registry;
  params: DispatchParams;
  /** Retry policy of every consumer (config.bus). Consumers are idempotent by state (a round reads what is pending). */
  consume: BusRetryPolicy;
  /** Period of each scope's dispatch round when no event pokes it (riders freed, deadlines reached). Default 1 000 ms. */
  sweepIntervalMs?: number;
  /** Each order's trace, remembered by the `order.placed` consumer for the rounds (set by `startPipeline`). */
  orderTraces?: OrderTraces;
}

/**
 * Serialises everything that changes one store's batches (dispatch rounds, path requests) across transactions and
 * processes, until the transaction ends. Kafka keys by store id already; the lock also covers redelivery after a
 * rebalance, the recovery round and several workers.
 */
export async function lockStore(trx: Transaction<Database>, storeId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${storeId}))`.execute(trx);
}

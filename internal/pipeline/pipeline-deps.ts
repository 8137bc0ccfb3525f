import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database } from '../db/schema.ts';
import type { DispatchParams } from '../dispatch/params.ts';
import type { DedupStore } from '../eventbus/dedup-store.ts';
import type { EventBus } from '../eventbus/event-bus.ts';
import type { GeoStore } from '../geostore/geo-store.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { Router } from '../routing/router.ts';

/** Everything the worker-side dispatch chain needs; the worker's composition root builds it from config. */
export interface PipelineDeps {
  db: Kysely<Database>;
  bus: EventBus;
  geoStore: GeoStore;
  router: Router;
  clock: Clock;
  logger: Logger;
  /** Where `dispatch_batch_regret` and the consumer counters are registered. */
  registry: Registry;
  params: DispatchParams;
  /** Retry policy of every consumer (config.bus) and an optional id-dedup store. */
  consume: { maxAttempts: number; backoffMs: number; dedup?: DedupStore };
  /** Rider search radii around the store, widened step by step until someone is found. Default 1, 2, 4, 8 km. */
  searchRadiiM?: readonly number[];
  /** Sealer period. Default 500 ms. */
  sealIntervalMs?: number;
  /** Period of the sweep over sealed batches still without a rider. Default 1 000 ms. */
  sweepIntervalMs?: number;
}

export const DEFAULT_SEARCH_RADII_M: readonly number[] = [1_000, 2_000, 4_000, 8_000];

/**
 * Serialises everything that changes one store's batches (batching, re-matching, sealing) across transactions and
 * processes, until the transaction ends. Kafka keys by store id already; the lock also covers redelivery after a
 * rebalance, the sealer loop and several workers.
 */
export async function lockStore(trx: Transaction<Database>, storeId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${storeId}))`.execute(trx);
}

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Event, OutgoingRecord } from '../eventbus/event-bus.ts';

/**
 * Every topic deliverygo publishes, its key and its payload schema — the one place producers and consumers agree on.
 * DeliveryGO's names are kept (`path.provision`, `batches.assigned`, `routes.refined`; stop ordering happens in the dispatch round).
 *
 * Keys keep related events in order: everything about one store's orders and batching is keyed by store id (so one
 * consumer batches a store's orders one at a time), route and assignment events by batch id, state-change events for
 * the live map by the entity's id.
 */
const latLon = z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) });
const instant = z.iso.datetime({ offset: true });

export const topics = {
  /** An order was accepted (key: store id). */
  orderPlaced: {
    name: 'order.placed',
    schema: z.object({
      orderId: z.string(),
      storeId: z.string(),
      cell: z.string(),
      drop: latLon,
      placedAt: instant,
      readyAt: instant,
      promisedAt: instant,
    }),
  },
  /** The store marked an order ready (key: store id). The matching SLA runs from `readyMarkedAt`. */
  orderReady: {
    name: 'order.ready',
    schema: z.object({ orderId: z.string(), storeId: z.string(), readyMarkedAt: instant }),
  },
  /** A hot path from `storeId` toward `cell` is needed (key: store id). */
  pathProvision: {
    name: 'path.provision',
    schema: z.object({ storeId: z.string(), cell: z.string(), orderId: z.string().optional() }),
  },
  /** A hot path now exists and is indexed (key: store id). */
  pathProvisioned: {
    name: 'path.provisioned',
    schema: z.object({ pathId: z.string(), storeId: z.string(), cell: z.string() }),
  },
  /** A batch was sealed with its orders (key: store id). */
  batchesAssigned: {
    name: 'batches.assigned',
    schema: z.object({
      batchId: z.string(),
      storeId: z.string(),
      pathId: z.string(),
      orderIds: z.array(z.string()).min(1),
      sealedAt: instant,
      reason: z.string(),
      estimatedCostS: z.number(),
    }),
  },
  /** A sealed batch's stop order and ETAs, decided in the dispatch round that sealed it (key: batch id). */
  routesRefined: {
    name: 'routes.refined',
    schema: z.object({
      batchId: z.string(),
      storeId: z.string(),
      sequence: z.array(z.string()),
      estimatedCostS: z.number(),
      refinedCostS: z.number(),
      etas: z.record(z.string(), instant),
      readyAt: instant,
    }),
  },
  /** Live-map state changes (key: the entity id). */
  orderUpdated: {
    name: 'order.updated',
    schema: z
      .object({
        orderId: z.string(),
        storeId: z.string(),
        status: z.string(),
        batchId: z.string().nullable().optional(),
        riderId: z.string().nullable().optional(),
        eta: instant.nullable().optional(),
      })
      .loose(),
  },
  batchUpdated: {
    name: 'batch.updated',
    schema: z
      .object({
        batchId: z.string(),
        storeId: z.string(),
        status: z.string(),
        riderId: z.string().nullable().optional(),
        orderIds: z.array(z.string()).optional(),
      })
      .loose(),
  },
  riderUpdated: {
    name: 'rider.updated',
    schema: z.object({ riderId: z.string(), status: z.string(), batchId: z.string().nullable().optional() }).loose(),
  },
  /**
   * GPS pings for the history table, keyed by RIDER SHARD (`historyShardKey(riderId)`): every ping of a rider carries
   * the same key, so it lands in the same partition, in order — what a rider key gives — while one message carries
   * all the pings of one shard from one publish (a bulk post, or the single pings coalesced while the previous publish
   * was in flight) instead of one message per rider: the producer's per-message cost dominated ingest. Published by the
   * API after the geo store took the pings; consumed in batches by the worker's history writer. Duplicates are
   * harmless (primary key rider + instant).
   */
  riderLocation: {
    name: 'rider.location',
    schema: z.object({
      receivedAt: instant,
      pings: z
        .array(
          z.object({
            riderId: z.string(),
            lat: z.number().min(-90).max(90),
            lon: z.number().min(-180).max(180),
            recordedAt: instant,
            speed: z.number().nullable().optional(),
            heading: z.number().nullable().optional(),
            accuracy: z.number().nullable().optional(),
          }),
        )
        .min(1),
    }),
  },
} as const;

export type TopicName = keyof typeof topics;

/** Shards of the `rider.location` key space: enough to spread over any partition count we run, few enough to pack. */
export const HISTORY_SHARDS = 16;

/** The `rider.location` message key of a rider: `shard-{0..63}`, a stable FNV-1a hash of the id. */
export function historyShardKey(riderId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < riderId.length; i++) hash = Math.imul(hash ^ riderId.charCodeAt(i), 0x01000193);
  return `shard-${(hash >>> 0) % HISTORY_SHARDS}`;
}
export type PayloadOf<T extends TopicName> = z.output<(typeof topics)[T]['schema']>;

/**
 * Builds an outgoing record for `topic` under `key`, validating the payload so a producer bug fails where it happens
 * rather than in a consumer's dead-letter queue.
 */
export function record<T extends TopicName>(
  topic: T,
  key: string,
  payload: PayloadOf<T>,
  occurredAt: Date = new Date(),
): OutgoingRecord {
  const spec = topics[topic];
  const event: Event = {
    id: randomUUID(),
    type: spec.name,
    occurredAt: occurredAt.toISOString(),
    payload: spec.schema.parse(payload),
  };
  return { topic: spec.name, key, event };
}

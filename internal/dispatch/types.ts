import type { LatLng } from '../geo/haversine.ts';

/**
 * Dispatch domain types. Absolute times are epoch milliseconds (what the Clock port returns); durations are seconds
 * (what the TravelTime port returns). Distances are metres. Nothing here knows about Kafka, Postgres or MDRPLIB.
 */

/** A point on Earth (WGS84 degrees): the same `{lat, lon}` the router, geo store and database use. */
export type GeoPoint = Readonly<LatLng>;

/** A pickup point (restaurant, dark store). Batches never mix stores. */
export interface Store {
  readonly id: string;
  readonly location: GeoPoint;
}

/** A customer order as the dispatcher sees it once it has been placed. */
export interface Order {
  readonly id: string;
  readonly storeId: string;
  readonly drop: GeoPoint;
  /** When the customer placed it (ms). */
  readonly placedAt: number;
  /** When the kitchen says it will be ready (ms); known at placement. */
  readonly readyAt: number;
  /** The delivery time promised to the customer (ms). */
  readonly promisedAt: number;
}

/**
 * A courier as seen by one dispatch round. `availableAt` may lie in the future: a rider finishing a route (or starting a
 * shift) soon is still a candidate, it just cannot be committed before then.
 */
export interface Rider {
  readonly id: string;
  /** Where the rider is, or will be when it becomes available. */
  readonly location: GeoPoint;
  /** When the rider is free at `location` (ms). */
  readonly availableAt: number;
  /** No pickup may happen after this (ms). Drops after it are allowed. */
  readonly shiftEndsAt: number;
}

export type BatchStatus = 'open' | 'sealed';
export type SealReason = 'full' | 'window' | 'deadline';

/** A group of orders of one store travelling along one hot path, waiting for a rider. */
export interface Batch {
  readonly id: string;
  readonly storeId: string;
  readonly pathId: string;
  /** Orders in the drop sequence the batching step estimated (cheapest insertion). */
  orders: Order[];
  readonly openedAt: number;
  status: BatchStatus;
  sealedAt?: number;
  sealReason?: SealReason;
  /** Sum of the insertion detours, seconds: the cost the batching step believed in. */
  estimatedCostSeconds: number;
  /** Latest store departure (ms) that keeps every order on time, assuming the estimated sequence. */
  latestDepartureAt: number;
  /** Latest ready time of the orders (ms): the earliest possible pickup. */
  readyAt: number;
}

/** One drop-off of a timed plan. */
export interface DropStop {
  readonly orderId: string;
  readonly location: GeoPoint;
  readonly arriveAt: number;
  /** Hand-over time (ms): the order's delivery time. */
  readonly dropAt: number;
  readonly leaveAt: number;
}

/** The optimizer's stop order for a sealed batch, timed as if a rider were at the store at its ready time. */
export interface StopPlan {
  readonly batchId: string;
  readonly storeId: string;
  /** Drop sequence (order ids) after the store pickup. */
  readonly sequence: readonly string[];
  /** Seconds from leaving the store to leaving the last drop (driving + drop service). */
  readonly refinedCostSeconds: number;
  readonly estimatedCostSeconds: number;
  /** (refined − estimated) / estimated. */
  readonly regret: number;
  /** Per-order ETA (ms) when picked up at the batch's ready time. */
  readonly etas: Readonly<Record<string, number>>;
}

/** A rider's complete, timed route for one batch: what the rider is told to do. */
export interface Plan {
  readonly batchId: string;
  readonly riderId: string;
  readonly storeId: string;
  /** Decision time (ms). */
  readonly assignedAt: number;
  /** When the rider starts moving to the store (ms). */
  readonly departAt: number;
  readonly arriveStoreAt: number;
  readonly pickupAt: number;
  readonly leaveStoreAt: number;
  readonly drops: readonly DropStop[];
  /** Where and when the rider is free again. */
  readonly freeAt: number;
  readonly freeLocation: GeoPoint;
  readonly score: number;
  readonly regret: number;
}

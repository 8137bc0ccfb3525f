/**
 * The live feed port: how real-time updates reach every API process's WebSocket hub. A message published on a
 * channel by any process reaches every listener of that channel in every process that shares the backing store.
 *
 * Adapters: `RedisLiveFeed` (Redis pub/sub, one subscriber connection per process) and `MemoryLiveFeed` (one process,
 * the embedded mode). Both pass the one suite in live-feed.contract.ts. The contract:
 *
 * - `subscribe(channel, listener)` resolves once messages published *afterwards* (by any instance) reach `listener`.
 *   It answers an `unsubscribe` function; after it resolves the listener gets nothing more.
 * - Every listener of a channel gets every message of that channel, in publish order per publisher, exactly as
 *   published (`message` parsed, `text` the JSON the publisher produced — the WebSocket frame, sent as is).
 *   Listeners of other channels get nothing (no prefix or pattern leakage: `rider:1` does not see `rider:10`).
 * - Delivery is best effort and at-most-once: a message published while nobody listens is gone. Live views
 *   converge from the next update; the history and the truth live elsewhere (Postgres, the geo store).
 * - `publish` resolves once the message was handed to the backing store; it never waits for listeners.
 * - A listener that throws does not stop delivery to the others.
 * - `close()` drops every subscription and releases connections it owns; later calls reject. Idempotent.
 */

/** One live update. Its JSON is exactly the WebSocket frame clients receive. */
export interface LiveMessage<D = unknown> {
  /** `order:{id}`, `rider:{id}`, `batch:{id}`, `map`, `map:{h3 res-5 cell}`. */
  channel: string;
  /** The event type: `rider.location`, `order.updated`, `batch.updated`, `rider.updated`. */
  type: string;
  data: D;
  /** ISO-8601 instant the update happened (or was received, for pings). */
  at: string;
}

/** `message` parsed; `text` its JSON as published (forward it without re-serialising). */
export type LiveListener = (message: LiveMessage, text: string) => void;

export type Unsubscribe = () => Promise<void>;

export interface LiveFeed {
  /** Which adapter this is, for logs and `/health`. */
  readonly adapter: 'redis' | 'memory';
  /** Publishes one message on `message.channel`. */
  publish(message: LiveMessage): Promise<void>;
  /** Publishes several messages in one round trip, in array order. */
  publishMany(messages: readonly LiveMessage[]): Promise<void>;
  /** Listens to one channel; resolves when subscribed. */
  subscribe(channel: string, listener: LiveListener): Promise<Unsubscribe>;
  /** Drops every subscription and releases owned connections. Idempotent. */
  close(): Promise<void>;
}

/** The channel grammar shared by the publishers, the hub and the docs. */
export const channels = {
  order: (orderId: string) => `order:${orderId}`,
  rider: (riderId: string) => `rider:${riderId}`,
  batch: (batchId: string) => `batch:${batchId}`,
  map: 'map',
  mapCell: (cell: string) => `map:${cell}`,
} as const;

/** H3 resolution of the `map:{cell}` area channels (~250 km² hexagons: a city is a handful of cells). */
export const MAP_CELL_RESOLUTION = 5;

/** Thrown by a closed feed. */
export class LiveFeedClosedError extends Error {
  override name = 'LiveFeedClosedError';
  constructor() {
    super('the live feed is closed');
  }
}

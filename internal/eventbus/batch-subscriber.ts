import type { EventBus, ReceivedMessage, SubscribeOptions, Subscription } from './event-bus.ts';

/** Handles consecutive messages of ONE partition at once; resolving acknowledges them all. */
export type BatchHandler = (messages: readonly ReceivedMessage[]) => Promise<void>;

export interface BatchSubscribeOptions extends SubscribeOptions {
  /** Most messages handed to one call. Default 1 000. */
  maxBatch?: number;
}

/**
 * An optional capability of an event bus: consuming in batches, for consumers whose work is cheaper in bulk (the GPS
 * history writer: one INSERT for thousands of pings). Same guarantees as `EventBus.subscribe` (see event-bus.ts),
 * with the batch as the unit:
 *
 * - A call gets 1…`maxBatch` consecutive messages of one partition, in offset order, and they are acknowledged
 *   together only after the handler resolves. A handler that throws gets the same messages again (from the first
 *   one of its batch), before any later message of the partition; the next batch may be cut differently.
 * - Batches of different partitions may be handled concurrently; one partition has one batch in flight.
 * - Batches hold what has arrived; nothing waits to fill a batch (under load, batches grow by themselves).
 *
 * Retry, dead-lettering and de-duplication stay the caller's business (a batch has no single poison message).
 * Both adapters implement it, and `PrefixedEventBus` passes it through; batch-subscriber.contract.ts checks it.
 */
export interface BatchSubscriber {
  subscribeBatch(
    topic: string,
    group: string,
    handler: BatchHandler,
    options?: BatchSubscribeOptions,
  ): Promise<Subscription>;
}

/** True when `bus` can consume in batches. */
export function supportsBatch(bus: EventBus): bus is EventBus & BatchSubscriber {
  return typeof (bus as Partial<BatchSubscriber>).subscribeBatch === 'function';
}

export const DEFAULT_MAX_BATCH = 1_000;

/** Checks `maxBatch`; a configuration error (RangeError) when it is not a positive integer. */
export function maxBatchOf(options: BatchSubscribeOptions | undefined): number {
  const max = options?.maxBatch ?? DEFAULT_MAX_BATCH;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxBatch must be an integer ≥ 1, got ${max}`);
  return max;
}

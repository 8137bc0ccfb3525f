import { createRequire } from 'node:module';
import { Kafka, type KafkaConfig } from 'kafkajs';

/** The parts of kafkajs' (internal, untyped) per-connection request queue the fix touches. */
interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' own delay before it re-checks requests held back by a broker's throttle (requestQueue/index.js). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;
let fixed = false;

/**
 * Stops kafkajs 2.2.4 (its last release) spinning a 1 ms timer on every broker connection forever. After each check of
 * its pending requests the queue re-arms a timer at `throttledUntil - now`, which is negative when nothing is
 * throttled (tulios/kafkajs#1556, #1704; the fix of #1667 was never merged): an idle API held several connections
 * each firing ~1,000 callbacks a second, ~1.3 MB/s of garbage in its allocation profile (bench/results/dispatch.md).
 * The replacement schedules a check only when there is something to check: pending requests (after the throttle,
 * or after kafkajs' 10 ms), or a throttle to wait out. Nothing else changes: a completed or timed-out request and a
 * new one that cannot go out at once still check the queue, as in kafkajs. Idempotent.
 */
export function fixKafkajsIdleLoop(): void {
  if (fixed) return;
  fixed = true;
  const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueueInternals;
  };
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(
    this: RequestQueueInternals,
  ) {
    if (this.throttleCheckTimeoutId) return;
    let delayMs = this.throttledUntil - Date.now();
    if (this.pending.length > 0) delayMs = delayMs > 0 ? delayMs : CHECK_PENDING_REQUESTS_INTERVAL_MS;
    else if (delayMs <= 0) return; // nothing pending, nothing throttled: nothing to check
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delayMs);
  };
}

/** A kafkajs client, with `fixKafkajsIdleLoop` installed: every Kafka client of the product is made here. */
export function kafkaClient(config: KafkaConfig): Kafka {
  fixKafkajsIdleLoop();
  return new Kafka(config);
}

import { Coalescer } from '../../internal/platform/coalescer.ts';
import type { ApiClient } from './api-client.ts';
import type { Point } from './geo-math.ts';

/**
 * Collects the riders' GPS fixes and posts them together through `POST /riders/locations` (at most `maxBatch` per
 * request), so 500 simulated riders cost a couple of requests per ping interval instead of 500. `add` resolves when
 * the request carrying the fix was answered, and rejects when it failed.
 */
export interface PingBatcher {
  add(riderId: string, at: Point, recordedAtMs: number): Promise<void>;
  /** Posts what is pending now and stops batching; later `add`s post at once. */
  close(): Promise<void>;
}

/** The API's limit per request (riders-locations route). */
export const MAX_PINGS_PER_REQUEST = 1_000;

export function createPingBatcher(
  api: Pick<ApiClient, 'postLocations'>,
  options: { flushMs: number; maxBatch?: number },
): PingBatcher {
  const maxBatch = Math.min(options.maxBatch ?? MAX_PINGS_PER_REQUEST, MAX_PINGS_PER_REQUEST);
  type Ping = { riderId: string; at: Point; recordedAtMs: number };
  // The platform coalescer: a fix waits up to flushMs for company (a full request leaves at once); requests overlap.
  const queue = new Coalescer<Ping, void>(
    async (pings) => {
      await api.postLocations(pings);
      return pings.map(() => undefined);
    },
    { maxInFlight: Number.POSITIVE_INFINITY, maxBatch, lingerMs: options.flushMs },
  );
  let closed = false;

  return {
    add(riderId, at, recordedAtMs) {
      const ping = { riderId, at, recordedAtMs };
      if (closed) return api.postLocations([ping]).then(() => undefined);
      return queue.call(ping);
    },
    async close() {
      closed = true;
      await queue.close();
    },
  };
}

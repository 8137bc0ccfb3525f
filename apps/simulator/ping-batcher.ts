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

export function createPingBatcher(api: Pick<ApiClient, 'postLocations'>, options: { flushMs: number; maxBatch?: number }): PingBatcher {
  const maxBatch = Math.min(options.maxBatch ?? MAX_PINGS_PER_REQUEST, MAX_PINGS_PER_REQUEST);
  type Pending = { riderId: string; at: Point; recordedAtMs: number; resolve: () => void; reject: (e: unknown) => void };
  const pending: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const inFlight = new Set<Promise<void>>();

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    while (pending.length > 0) {
      const batch = pending.splice(0, maxBatch);
      const p = api.postLocations(batch).then(
        () => {
        for (const b of batch) b.resolve();
      },
        (error) => {
        for (const b of batch) b.reject(error);
      },
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  }

  return {
    add(riderId, at, recordedAtMs) {
      return new Promise((resolve, reject) => {
        pending.push({ riderId, at, recordedAtMs, resolve, reject });
        if (closed || pending.length >= maxBatch) flush();
        else timer ??= setTimeout(flush, options.flushMs);
      });
    },
    async close() {
      closed = true;
      flush();
      await Promise.allSettled([...inFlight]);
    },
  };
}

/**
 * The rate-limiter port: how many requests a caller (an API key, a client IP, a rider) may make, shared by every API
 * instance that uses the same backing store.
 *
 * The algorithm is GCRA (the generic cell rate algorithm), i.e. a token bucket kept as ONE number per key — the
 * "theoretical arrival time" (TAT) of the next request: a bucket of `burst` tokens refilled at `perSecond`. A fresh or
 * long-idle key may make `burst` requests at once, then one every `1000 / perSecond` ms; a refused request costs
 * nothing. Adapters: `RedisRateLimiter` (one Lua script, one round trip, atomic across instances; keys under the
 * configured prefix) and `MemoryRateLimiter` (the embedded `npm start` mode, one process). Both pass the one suite in
 * rate-limiter.contract.ts.
 *
 * **Time.** Every adapter takes a `Clock`, and every decision uses its `now()` (the Redis adapter passes it to the
 * script rather than asking Redis for TIME), so the contract suite drives refills with a `ManualClock` and never
 * sleeps. Instances sharing a Redis should run on synchronised wall clocks (NTP); a skew of a few ms only shifts a
 * refill by that much.
 */
import type { Clock } from '../platform/clock.ts';

/** One limit: a bucket of `burst` requests, refilled at `perSecond`. `name` keeps different limits' keys apart. */
export interface RatePolicy {
  /** Short, stable id of the limit (`key`, `ip`, `operator`); part of the storage key. */
  readonly name: string;
  /** Sustained rate, requests per second (> 0; fractions allowed: 0.5 = one every 2 s). */
  readonly perSecond: number;
  /** Bucket size: requests a fresh or idle caller may make at once (integer ≥ 1). */
  readonly burst: number;
}

/** The answer for one request. All durations are whole milliseconds, rounded up. */
export interface RateDecision {
  /** True when the request may proceed (it has then been counted). */
  allowed: boolean;
  /** The bucket size (`burst`): what `RateLimit-Limit` reports. */
  limit: number;
  /** Requests that would still be allowed right now, after this one. */
  remaining: number;
  /** Until the bucket is full again (every used token refilled). */
  resetMs: number;
  /** 0 when allowed; otherwise until the next request would be allowed. */
  retryAfterMs: number;
}

export interface RateLimiter {
  /** Which adapter this is, for logs. */
  readonly adapter: 'redis' | 'memory';
  /** Counts one request of `key` under `policy` when the bucket has a token; answers the decision either way. */
  consume(policy: RatePolicy, key: string): Promise<RateDecision>;
  /** Releases what it owns; afterwards `consume` rejects. Idempotent. */
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  /** Source of "now" for every decision. Default the system clock. */
  clock?: Clock;
}

/** The limiter was used after `close()`. */
export class RateLimiterClosedError extends Error {
  override readonly name = 'RateLimiterClosedError';
  constructor() {
    super('the rate limiter is closed');
  }
}

/** Longest key accepted (a SHA-256 hex digest is 64, an IPv6 address at most 45). */
export const MAX_RATE_KEY_LENGTH = 256;

/** Throws RangeError for a policy or key the algorithm cannot serve (a programming error, not a client's). */
export function assertRateInput(policy: RatePolicy, key: string): void {
  if (!/^[a-z0-9_.-]{1,32}$/.test(policy.name)) throw new RangeError(`policy.name: invalid ${policy.name}`);
  if (!(Number.isFinite(policy.perSecond) && policy.perSecond > 0)) {
    throw new RangeError(`policy.perSecond: must be a positive number, got ${policy.perSecond}`);
  }
  if (!(Number.isInteger(policy.burst) && policy.burst >= 1)) {
    throw new RangeError(`policy.burst: must be an integer ≥ 1, got ${policy.burst}`);
  }
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_RATE_KEY_LENGTH) {
    throw new RangeError(`key: must be 1–${MAX_RATE_KEY_LENGTH} characters`);
  }
}

/** Milliseconds between two tokens of `policy`. */
export const emissionIntervalMs = (policy: Pick<RatePolicy, 'perSecond'>): number => 1_000 / policy.perSecond;

/**
 * One GCRA step, the reference the Redis script (redis-rate-limiter.ts) mirrors operation for operation.
 * @param storedTat the key's TAT, or undefined when it has none (fresh, or expired).
 * @returns the decision and the TAT to store (unchanged when refused).
 */
export function gcraStep(
  storedTat: number | undefined,
  now: number,
  policy: Pick<RatePolicy, 'perSecond' | 'burst'>,
): { decision: RateDecision; tat: number } {
  const interval = emissionIntervalMs(policy);
  const tat = storedTat === undefined || storedTat < now ? now : storedTat;
  const next = tat + interval;
  const allowAt = next - policy.burst * interval;
  if (now < allowAt) {
    return {
      decision: {
        allowed: false,
        limit: policy.burst,
        remaining: 0,
        resetMs: Math.ceil(tat - now),
        retryAfterMs: Math.ceil(allowAt - now),
      },
      tat,
    };
  }
  return {
    decision: {
      allowed: true,
      limit: policy.burst,
      remaining: Math.floor((now - allowAt) / interval + 1e-9),
      resetMs: Math.ceil(next - now),
      retryAfterMs: 0,
    },
    tat: next,
  };
}

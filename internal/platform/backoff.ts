/**
 * The one backoff of the code base: cockatiel's capped exponential backoff. Everything that waits after a failure
 * (OSRM retries, the event bus's handler retries, the outbox relay, the live-feed forwarder's start) takes its delays
 * from here instead of carrying its own copy of the formula; `retryUntil` and the OSRM retry policy hand the same
 * factory to cockatiel's `retry`.
 */
import {
  ExponentialBackoff,
  halfJitterGenerator,
  type IBackoff,
  type IBackoffFactory,
  noJitterGenerator,
} from 'cockatiel';

export interface BackoffOptions {
  /** First delay, ms. */
  initialMs: number;
  /** Longest delay, ms. */
  maxMs: number;
  /**
   * `equal` (default): half of each delay fixed, half random, so that callers failing together do not retry in
   * lock-step, yet a delay never collapses to zero. `none`: exactly `initialMs · 2^n`, capped.
   */
  jitter?: 'equal' | 'none';
}

/** A cockatiel backoff factory (for `retry(…, { backoff })`): `initialMs`, doubling per attempt, capped at `maxMs`. */
export function exponentialBackoff(options: BackoffOptions): IBackoffFactory<unknown> {
  if (!(options.initialMs >= 0) || !(options.maxMs >= options.initialMs)) {
    throw new RangeError(`backoff needs 0 ≤ initialMs ≤ maxMs, got ${options.initialMs} and ${options.maxMs}`);
  }
  return new ExponentialBackoff({
    initialDelay: options.initialMs,
    maxDelay: options.maxMs,
    generator: options.jitter === 'none' ? noJitterGenerator : halfJitterGenerator,
  });
}

/**
 * Successive delays for a loop that waits after each consecutive failure and goes on after a success (a relay, a
 * consumer): `next()` after a failure, `reset()` after a success.
 */
export class BackoffDelays {
  private readonly factory: IBackoffFactory<unknown>;
  private current: IBackoff<unknown> | undefined;

  constructor(options: BackoffOptions) {
    this.factory = exponentialBackoff(options);
  }

  /** The delay to wait after one more consecutive failure. */
  next(): number {
    this.current = this.current ? this.current.next(undefined) : this.factory.next(undefined);
    return this.current.duration;
  }

  /** Starts again from `initialMs` (call it after a success). */
  reset(): void {
    this.current = undefined;
  }
}

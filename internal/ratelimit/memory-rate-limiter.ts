/**
 * The in-process rate limiter for the embedded `npm start` mode (no REDIS_URL) and unit tests: the GCRA reference step
 * (rate-limiter.ts) over a Map. Each `consume` runs to completion without awaiting, so it is atomic. Limits are per
 * process: with several API processes and no Redis, each keeps its own buckets.
 *
 * Keys whose bucket has refilled are swept at most once a minute (on the limiter's clock), so memory follows the
 * number of recently active callers, not every caller ever seen.
 */
import { systemClock, type Clock } from '../platform/clock.ts';
import {
  assertRateInput,
  gcraStep,
  RateLimiterClosedError,
  type RateDecision,
  type RateLimiter,
  type RateLimiterOptions,
  type RatePolicy,
} from './rate-limiter.ts';

const SWEEP_EVERY_MS = 60_000;

export class MemoryRateLimiter implements RateLimiter {
  readonly adapter = 'memory' as const;
  private readonly clock: Clock;
  private readonly tats = new Map<string, number>();
  private lastSweep: number;
  private closed = false;

  constructor(options: RateLimiterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.lastSweep = this.clock.now();
  }

  async consume(policy: RatePolicy, key: string): Promise<RateDecision> {
    if (this.closed) throw new RateLimiterClosedError();
    assertRateInput(policy, key);
    const now = this.clock.now();
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(now);
    const id = `${policy.name}:${key}`;
    const { decision, tat } = gcraStep(this.tats.get(id), now, policy);
    if (decision.allowed) this.tats.set(id, tat);
    return decision;
  }

  /** Keys currently held (for tests of the sweep). */
  get size(): number {
    return this.tats.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.tats.clear();
  }

  /** A TAT at or before now is a full bucket: the same as no entry. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [id, tat] of this.tats) if (tat <= now) this.tats.delete(id);
  }
}

/**
 * The rate limiter on Redis, shared by every API instance on the same server and prefix. One key per caller and
 * limit, `{prefix}rl:{policy}:{key}`, a string holding the GCRA TAT (ms since the epoch, on the instances' clock) with
 * a PEXPIRE of the time until the bucket is full again — an idle caller costs no memory. Each decision is ONE EVALSHA
 * of GCRA_LUA (read, decide, write atomically on the server), so two instances can never both spend the last token.
 */
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../platform/clock.ts';
import {
  assertRateInput,
  emissionIntervalMs,
  RateLimiterClosedError,
  type RateDecision,
  type RateLimiter,
  type RateLimiterOptions,
  type RatePolicy,
} from './rate-limiter.ts';

/**
 * GCRA, the same steps as `gcraStep` (rate-limiter.ts). The TAT is stored with 17 significant digits, so it round-trips
 * exactly and both adapters decide identically.
 * KEYS: the bucket. ARGV: now (ms), emission interval (ms), burst.
 * Returns {allowed 1|0, remaining, resetMs, retryAfterMs} (durations rounded up to whole ms).
 */
export const GCRA_LUA = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '')
if tat == nil or tat < now then tat = now end
local nextTat = tat + interval
local allowAt = nextTat - burst * interval
if now < allowAt then
  return {0, 0, math.ceil(tat - now), math.ceil(allowAt - now)}
end
local ttl = math.ceil(nextTat - now)
if ttl < 1 then ttl = 1 end
redis.call('SET', KEYS[1], string.format('%.17g', nextTat), 'PX', ttl)
return {1, math.floor((now - allowAt) / interval + 1e-9), math.ceil(nextTat - now), 0}
`;

export interface RedisRateLimiterOptions extends RateLimiterOptions {
  /** Prepended to every key (the deployment's REDIS_KEY_PREFIX). Default `dg:`. */
  prefix?: string;
}

interface GcraCommand {
  ratelimitGcra(key: string, now: string, interval: string, burst: number): Promise<[number, number, number, number]>;
}

export class RedisRateLimiter implements RateLimiter {
  readonly adapter = 'redis' as const;
  private readonly prefix: string;
  private readonly clock: Clock;
  private closed = false;

  /** Uses `redis` without owning it (the geo store's connection, typically): `close()` leaves it open. */
  constructor(
    private readonly redis: Redis,
    options: RedisRateLimiterOptions = {},
  ) {
    if (redis.options.keyPrefix) {
      throw new RangeError('RedisRateLimiter needs a client without keyPrefix; pass the prefix as options.prefix');
    }
    this.prefix = options.prefix ?? 'dg:';
    this.clock = options.clock ?? systemClock;
    if (!('ratelimitGcra' in redis)) redis.defineCommand('ratelimitGcra', { lua: GCRA_LUA, numberOfKeys: 1 });
  }

  async consume(policy: RatePolicy, key: string): Promise<RateDecision> {
    if (this.closed) throw new RateLimiterClosedError();
    assertRateInput(policy, key);
    const [allowed, remaining, resetMs, retryAfterMs] = await (this.redis as unknown as GcraCommand).ratelimitGcra(
      this.keyOf(policy, key),
      String(this.clock.now()),
      String(emissionIntervalMs(policy)),
      policy.burst,
    );
    return { allowed: allowed === 1, limit: policy.burst, remaining, resetMs, retryAfterMs };
  }

  /** The Redis key of a caller's bucket. */
  keyOf(policy: RatePolicy, key: string): string {
    return `${this.prefix}rl:${policy.name}:${key}`;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

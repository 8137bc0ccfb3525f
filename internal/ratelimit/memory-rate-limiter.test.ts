import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.ts';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';
import { rateLimiterContract } from './rate-limiter.contract.ts';

rateLimiterContract('memory', async (clock) => ({ limiter: new MemoryRateLimiter({ clock }) }));

describe('MemoryRateLimiter', () => {
  it('forgets callers whose bucket has refilled, at most once a minute', async () => {
    const clock = new ManualClock(1_000_000);
    const limiter = new MemoryRateLimiter({ clock });
    const policy = { name: 'p', perSecond: 1, burst: 5 };
    for (let i = 0; i < 100; i++) await limiter.consume(policy, `caller-${i}`);
    expect(limiter.size).toBe(100);
    clock.advance(59_999);
    await limiter.consume(policy, 'late');
    expect(limiter.size).toBe(101);
    clock.advance(1);
    await limiter.consume(policy, 'late');
    expect(limiter.size).toBe(1); // only 'late', whose bucket is still refilling
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from '../platform/clock.ts';
import { RateLimiterClosedError, type RateLimiter, type RatePolicy } from './rate-limiter.ts';

export interface RateLimiterFixture {
  limiter: RateLimiter;
  /** A second limiter on the same backing store (another API instance), when the adapter has one. */
  peer?: RateLimiter;
  /** Releases what the factory created (connections, keys). */
  dispose?: () => Promise<void>;
}

/** Virtual "now" at the start of every test. */
const T0 = 1_750_000_000_000;

/** 10 requests at once, then one every 100 ms. */
const TEN: RatePolicy = { name: 'ten', perSecond: 10, burst: 10 };

/**
 * THE RateLimiter contract (see rate-limiter.ts), run against every adapter. Refills are driven by a `ManualClock`
 * the suite passes to the factory, so nothing sleeps.
 *
 * @param makeLimiter builds a limiter isolated from other suites and tests (own key prefix), on the given clock.
 */
export function rateLimiterContract(name: string, makeLimiter: (clock: Clock) => Promise<RateLimiterFixture>): void {
  describe(`RateLimiter contract: ${name}`, () => {
    const disposers: Array<() => Promise<void>> = [];
    afterEach(async () => {
      await Promise.all(disposers.splice(0).map((dispose) => dispose()));
    });
    const setup = async () => {
      const clock = new ManualClock(T0);
      const made = await makeLimiter(clock);
      if (made.dispose) disposers.push(made.dispose);
      return { ...made, clock };
    };

    it('allows a burst at once, counting down, then refuses with the wait for the next token', async () => {
      const { limiter } = await setup();
      for (let i = 0; i < 10; i++) {
        expect(await limiter.consume(TEN, 'k')).toEqual({
          allowed: true,
          limit: 10,
          remaining: 9 - i,
          resetMs: (i + 1) * 100,
          retryAfterMs: 0,
        });
      }
      expect(await limiter.consume(TEN, 'k')).toEqual({
        allowed: false,
        limit: 10,
        remaining: 0,
        resetMs: 1_000,
        retryAfterMs: 100,
      });
    });

    it('refills at the sustained rate and never above the burst', async () => {
      const { limiter, clock } = await setup();
      for (let i = 0; i < 10; i++) await limiter.consume(TEN, 'k');
      clock.advance(99);
      expect(await limiter.consume(TEN, 'k')).toMatchObject({ allowed: false, retryAfterMs: 1 });
      clock.advance(1);
      expect(await limiter.consume(TEN, 'k')).toMatchObject({ allowed: true, remaining: 0 });
      expect(await limiter.consume(TEN, 'k')).toMatchObject({ allowed: false, retryAfterMs: 100 });
      clock.advance(350); // three and a half tokens back
      expect(await limiter.consume(TEN, 'k')).toMatchObject({ allowed: true, remaining: 2, resetMs: 750 });
      clock.advance(3_600_000); // idle for an hour: a full bucket, not 36 000 tokens
      expect(await limiter.consume(TEN, 'k')).toMatchObject({ allowed: true, remaining: 9, resetMs: 100 });
    });

    it('does not charge refused requests', async () => {
      const { limiter, clock } = await setup();
      for (let i = 0; i < 10; i++) await limiter.consume(TEN, 'k');
      for (let i = 0; i < 50; i++) expect((await limiter.consume(TEN, 'k')).allowed).toBe(false);
      clock.advance(100);
      expect(await limiter.consume(TEN, 'k')).toMatchObject({ allowed: true });
    });

    it('keeps keys and policies apart', async () => {
      const { limiter } = await setup();
      for (let i = 0; i < 10; i++) await limiter.consume(TEN, 'a');
      expect((await limiter.consume(TEN, 'a')).allowed).toBe(false);
      expect(await limiter.consume(TEN, 'b')).toMatchObject({ allowed: true, remaining: 9 });
      expect(await limiter.consume({ ...TEN, name: 'other' }, 'a')).toMatchObject({ allowed: true, remaining: 9 });
    });

    it('serves fractional rates and a burst of one', async () => {
      const { limiter, clock } = await setup();
      const slow: RatePolicy = { name: 'slow', perSecond: 0.5, burst: 1 };
      expect(await limiter.consume(slow, 'k')).toEqual({
        allowed: true,
        limit: 1,
        remaining: 0,
        resetMs: 2_000,
        retryAfterMs: 0,
      });
      expect(await limiter.consume(slow, 'k')).toMatchObject({ allowed: false, retryAfterMs: 2_000 });
      clock.advance(1_999);
      expect(await limiter.consume(slow, 'k')).toMatchObject({ allowed: false, retryAfterMs: 1 });
      clock.advance(1);
      expect((await limiter.consume(slow, 'k')).allowed).toBe(true);
      // A rate whose interval is not a whole number of ms (333.3… ms) still refills exactly: 3 per second.
      const third: RatePolicy = { name: 'third', perSecond: 3, burst: 1 };
      let allowed = 0;
      for (let ms = 0; ms < 3_000; ms += 10) {
        if ((await limiter.consume(third, 'k')).allowed) allowed++;
        clock.advance(10);
        if (allowed > 20) break;
      }
      expect(allowed).toBe(9);
    });

    it('lets exactly the burst through when many requests race at one instant', async () => {
      const { limiter, peer } = await setup();
      const racers = peer ? [limiter, peer] : [limiter];
      const decisions = await Promise.all(
        Array.from({ length: 40 }, (_, i) => racers[i % racers.length]!.consume(TEN, 'race')),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
      expect(
        decisions
          .filter((d) => d.allowed)
          .map((d) => d.remaining)
          .sort((a, b) => a - b),
      ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('shares one bucket between instances on the same store', async () => {
      const { limiter, peer } = await setup();
      if (!peer) return; // a per-process adapter has no second instance to share with
      for (let i = 0; i < 5; i++) await limiter.consume(TEN, 'shared');
      for (let i = 0; i < 5; i++) expect((await peer.consume(TEN, 'shared')).remaining).toBe(4 - i);
      expect((await limiter.consume(TEN, 'shared')).allowed).toBe(false);
    });

    it('refuses bad policies and keys, and every call after close()', async () => {
      const { limiter } = await setup();
      await expect(limiter.consume({ ...TEN, perSecond: 0 }, 'k')).rejects.toThrow(RangeError);
      await expect(limiter.consume({ ...TEN, burst: 1.5 }, 'k')).rejects.toThrow(RangeError);
      await expect(limiter.consume({ ...TEN, name: 'No Spaces' }, 'k')).rejects.toThrow(RangeError);
      await expect(limiter.consume(TEN, '')).rejects.toThrow(RangeError);
      await limiter.close();
      await limiter.close();
      await expect(limiter.consume(TEN, 'k')).rejects.toThrow(RateLimiterClosedError);
    });
  });
}

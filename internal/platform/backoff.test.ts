import { handleAll, retry } from 'cockatiel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackoffDelays, exponentialBackoff } from './backoff.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

const delays = (d: BackoffDelays, n: number) => Array.from({ length: n }, () => d.next());

describe('BackoffDelays', () => {
  it('doubles per failure, caps, and keeps half of the delay fixed (equal jitter)', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(delays(new BackoffDelays({ initialMs: 100, maxMs: 10_000 }), 4)).toEqual([50, 100, 200, 400]);
    expect(delays(new BackoffDelays({ initialMs: 100, maxMs: 1_000 }), 20).at(-1)).toBe(500);
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    expect(delays(new BackoffDelays({ initialMs: 100, maxMs: 10_000 }), 4)).toEqual([99, 199, 399, 799]);
    expect(delays(new BackoffDelays({ initialMs: 100, maxMs: 1_000 }), 20).at(-1)).toBe(999);
  });

  it('without jitter: exactly initialMs · 2^n, capped; reset() starts again', () => {
    const d = new BackoffDelays({ initialMs: 100, maxMs: 500, jitter: 'none' });
    expect(delays(d, 5)).toEqual([100, 200, 400, 500, 500]);
    d.reset();
    expect(d.next()).toBe(100);
  });

  it('refuses a negative first delay or a cap below it', () => {
    expect(() => new BackoffDelays({ initialMs: -1, maxMs: 10 })).toThrow(RangeError);
    expect(() => new BackoffDelays({ initialMs: 100, maxMs: 10 })).toThrow(RangeError);
  });
});

describe('exponentialBackoff', () => {
  it('drives a cockatiel retry policy with the same delays', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const policy = retry(handleAll, { maxAttempts: 3, backoff: exponentialBackoff({ initialMs: 2, maxMs: 100 }) });
    const seen: number[] = [];
    policy.onRetry((event) => seen.push(event.delay));
    let calls = 0;
    await expect(
      policy.execute(async () => {
        calls++;
        throw new Error('down');
      }),
    ).rejects.toThrow('down');
    expect(calls).toBe(4);
    expect(seen).toEqual([1, 2, 4]);
  });
});

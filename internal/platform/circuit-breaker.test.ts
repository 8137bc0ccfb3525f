import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CircuitOpenError, type CircuitState } from './circuit-breaker.ts';

const ok = () => Promise.resolve('ok');
const boom = () => Promise.reject(new Error('boom'));

// cockatiel reads the wall clock (Date.now) for the reset timeout: only Date is faked, timers and promises run as usual.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(failureThreshold = 3, resetTimeoutMs = 1000) {
  const breaker = new CircuitBreaker({ failureThreshold, resetTimeoutMs });
  const changes: string[] = [];
  breaker.onStateChange(({ from, to }) => changes.push(`${from}->${to}`));
  return {
    breaker,
    changes,
    advance: (ms: number) => {
      vi.setSystemTime(Date.now() + ms);
    },
  };
}

async function fail(breaker: CircuitBreaker, times: number) {
  for (let i = 0; i < times; i++) await expect(breaker.run(boom)).rejects.toThrow('boom');
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and then rejects without calling', async () => {
    const { breaker, changes } = setup(3);
    await fail(breaker, 2);
    expect(breaker.state).toBe<CircuitState>('closed');
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
    let called = false;
    await expect(
      breaker.run(async () => {
        called = true;
      }),
    ).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);
    expect(changes).toEqual(['closed->open']);
  });

  it('resets the failure count on success', async () => {
    const { breaker } = setup(3);
    await fail(breaker, 2);
    await breaker.run(ok);
    await fail(breaker, 2);
    expect(breaker.state).toBe('closed');
  });

  it('lets one probe through after the reset timeout and closes on its success', async () => {
    const { breaker, changes, advance } = setup(1, 1000);
    await fail(breaker, 1);
    advance(999);
    await expect(breaker.run(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    advance(1);
    let release!: () => void;
    const probe = breaker.run(() => new Promise<string>((r) => (release = () => r('probed'))));
    expect(breaker.state).toBe('half_open');
    // A second caller during the probe is rejected rather than piling onto a dependency that may still be down.
    await expect(breaker.run(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    await expect(probe).resolves.toBe('probed');
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('reopens for another reset timeout when the probe fails', async () => {
    const { breaker, changes, advance } = setup(1, 1000);
    await fail(breaker, 1);
    advance(1000);
    await fail(breaker, 1);
    expect(breaker.state).toBe('open');
    advance(999);
    await expect(breaker.run(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    advance(1);
    await expect(breaker.run(ok)).resolves.toBe('ok');
    expect(changes).toEqual([
      'closed->open',
      'open->half_open',
      'half_open->open',
      'open->half_open',
      'half_open->closed',
    ]);
  });

  it('does not count errors that isFailure rejects (valid answers prove the dependency healthy)', async () => {
    const { breaker } = setup(1);
    const answer = () => Promise.reject(new RangeError('no route'));
    await expect(breaker.run(answer, (e) => !(e instanceof RangeError))).rejects.toThrow('no route');
    expect(breaker.state).toBe('closed');
  });

  it('counts an answer (an error isFailure rejects) as a success: it resets the run of failures', async () => {
    const { breaker } = setup(2);
    await fail(breaker, 1);
    const answer = () => Promise.reject(new RangeError('no route'));
    await expect(breaker.run(answer, (e) => !(e instanceof RangeError))).rejects.toThrow('no route');
    await fail(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('refuses a threshold below 1', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { paceAt, SimClock } from './sim-clock.ts';

function manual(speed = 10, maxStepMs = 100) {
  let wall = 0;
  const clock = new SimClock({ startMs: 1_000_000, speed, maxStepMs, wallNow: () => wall, autoTick: false });
  return {
    clock,
    advance: (ms: number) => {
      wall += ms;
    },
  };
}

describe('simulated clock', () => {
  it('runs `speed` times faster than the wall clock while ticks come on time', () => {
    const { clock, advance } = manual(10);
    for (let i = 0; i < 50; i++) {
      advance(20);
      clock.tick();
    }
    expect(clock.now()).toBe(1_000_000 + 1_000 * 10);
    expect(clock.lostWallMs).toBe(0);
  });

  it('drops what a late tick missed beyond the cap, so a stalled process does not fall behind simulated time', () => {
    const { clock, advance } = manual(10, 100);
    advance(2_000); // a 2 s stall
    expect(clock.now()).toBe(1_000_000 + 100 * 10); // now() never runs ahead of what the next tick commits
    clock.tick();
    expect(clock.now()).toBe(1_000_000 + 100 * 10);
    expect(clock.lostWallMs).toBe(1_900);
  });

  it('with no step cap and minPace 1 follows the wall clock through stalls and saturation (npm start -- --speed 1)', () => {
    let wall = 0;
    const clock = new SimClock({
      startMs: 1_000_000,
      speed: 1,
      maxStepMs: Number.POSITIVE_INFINITY,
      minPace: 1,
      wallNow: () => wall,
      utilisation: () => 1, // a saturated event loop
      paceWindowMs: 1,
      autoTick: false,
    });
    for (const step of [20, 2_000, 20, 5_000]) {
      wall += step;
      clock.tick();
    }
    expect(clock.pace).toBe(1);
    expect(clock.now()).toBe(1_000_000 + 7_040);
    expect(clock.lostWallMs).toBe(0);
  });

  it('never goes backwards between ticks', () => {
    const { clock, advance } = manual(10, 100);
    let last = clock.now();
    for (const step of [5, 30, 80, 300, 10, 0, 150]) {
      advance(step);
      const a = clock.now();
      clock.tick();
      const b = clock.now();
      expect(a).toBeGreaterThanOrEqual(last);
      expect(b).toBeGreaterThanOrEqual(a);
      last = b;
    }
  });

  it('wakes sleepers when their simulated time has passed, or at once on abort', async () => {
    const { clock, advance } = manual(10);
    const woke: string[] = [];
    void clock.sleep(500).then(() => woke.push('500'));
    void clock.sleep(2_000).then(() => woke.push('2000'));
    const controller = new AbortController();
    void clock.sleep(10_000, controller.signal).then(() => woke.push('aborted'));
    advance(60);
    clock.tick(); // +600 simulated ms
    await Promise.resolve();
    expect(woke).toEqual(['500']);
    controller.abort();
    await Promise.resolve();
    expect(woke).toEqual(['500', 'aborted']);
    advance(100);
    clock.tick(); // +1 000 → 1 600
    advance(50);
    clock.tick(); // 2 100
    await Promise.resolve();
    expect(woke).toEqual(['500', 'aborted', '2000']);
    clock.close();
  });

  it('rejects a speed that is not positive', () => {
    expect(() => new SimClock({ startMs: 0, speed: 0, autoTick: false })).toThrow(RangeError);
  });
});

describe('simulated clock pacing', () => {
  it('counts all wall time while the event loop has headroom, less as it saturates', () => {
    expect(paceAt(0.2)).toBe(1);
    expect(paceAt(0.7)).toBe(1);
    expect(paceAt(0.835)).toBeCloseTo(0.55, 6);
    expect(paceAt(0.97)).toBeCloseTo(0.1, 6);
    expect(paceAt(1)).toBe(0.1);
  });

  it('slows simulated time while the process is saturated and recovers after', () => {
    let wall = 0;
    let utilisation = 1;
    const clock = new SimClock({
      startMs: 0,
      speed: 10,
      wallNow: () => wall,
      autoTick: false,
      utilisation: () => utilisation,
      paceWindowMs: 100,
    });
    const run = (ms: number) => {
      for (let i = 0; i < ms / 20; i++) {
        wall += 20;
        clock.tick();
      }
    };
    run(1_000); // smoothed: ten windows of saturation
    expect(clock.pace).toBeCloseTo(0.1, 1);
    const before = clock.now();
    run(1_000);
    expect(clock.now() - before).toBeLessThan(1_000 * 10 * 0.15);
    utilisation = 0.3;
    run(500);
    expect(clock.pace).toBe(1);
    const after = clock.now();
    run(1_000);
    expect(clock.now() - after).toBeCloseTo(10_000, 0);
  });
});

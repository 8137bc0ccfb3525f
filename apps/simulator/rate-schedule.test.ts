import { describe, expect, it } from 'vitest';
import { defaultVirtualStart, inRush, nextArrivalGapMs, ordersPerMinute, VirtualClock } from './rate-schedule.ts';

const at = (hhmm: string) => Date.parse(`2026-11-22T${hhmm}:00.000Z`);

describe('order rate schedule', () => {
  it('runs virtual time `speed` times faster than the wall clock', () => {
    const clock = new VirtualClock(1_000, at('17:45'), 10);
    expect(clock.virtualAt(1_000)).toBe(at('17:45'));
    expect(clock.virtualAt(1_000 + 90_000)).toBe(at('18:00')); // 90 s × 10 = 15 virtual minutes
    expect(clock.realDurationOf(10 * 60_000)).toBe(60_000);
    expect(() => new VirtualClock(0, 0, 0)).toThrow(RangeError);
  });

  it('triples the rate from 18:00 to 20:00 in delivery_rush only', () => {
    expect(inRush(at('17:59'))).toBe(false);
    expect(inRush(at('18:00'))).toBe(true);
    expect(inRush(at('19:59'))).toBe(true);
    expect(inRush(at('20:00'))).toBe(false);
    expect(ordersPerMinute('delivery_rush', 4, at('17:00'))).toBe(4);
    expect(ordersPerMinute('delivery_rush', 4, at('18:30'))).toBe(12);
    expect(ordersPerMinute('steady', 4, at('18:30'))).toBe(4);
  });

  it('draws exponential gaps whose mean is one over the real rate', () => {
    const clock = new VirtualClock(0, at('12:00'), 6);
    // 5 orders per virtual minute × 6 = 30 per real minute → mean gap 2 s.
    const n = 2_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += nextArrivalGapMs('steady', 5, clock, 0, (i + 0.5) / n);
    expect(sum / n).toBeCloseTo(2_000, -2);
    // The median of an exponential is ln 2 × mean.
    expect(nextArrivalGapMs('steady', 5, clock, 0, 0.5)).toBeCloseTo(Math.LN2 * 2_000, 6);
    // In the rush the same draw waits a third as long.
    const rush = new VirtualClock(0, at('18:10'), 6);
    expect(nextArrivalGapMs('delivery_rush', 5, rush, 0, 0.5)).toBeCloseTo((Math.LN2 * 2_000) / 3, 6);
    expect(nextArrivalGapMs('steady', 0, clock, 0, 0.5)).toBe(Number.POSITIVE_INFINITY);
  });

  it('starts a rush run at 17:45 virtual, a steady one now', () => {
    const now = Date.parse('2026-11-22T09:13:00.000Z');
    expect(defaultVirtualStart('steady', now)).toBe(now);
    expect(defaultVirtualStart('delivery_rush', now)).toBe(at('17:45'));
  });
});

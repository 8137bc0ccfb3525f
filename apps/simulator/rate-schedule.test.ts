import { describe, expect, it } from 'vitest';
import { defaultVirtualStart, inRush, nextArrivalGapMs, ordersPerMinute } from './rate-schedule.ts';

const at = (hhmm: string) => Date.parse(`2026-11-22T${hhmm}:00.000Z`);

describe('order rate schedule', () => {
  it('triples the rate from 18:00 to 20:00 in delivery_rush only', () => {
    expect(inRush(at('17:59'))).toBe(false);
    expect(inRush(at('18:00'))).toBe(true);
    expect(inRush(at('19:59'))).toBe(true);
    expect(inRush(at('20:00'))).toBe(false);
    expect(ordersPerMinute('delivery_rush', 4, at('17:00'))).toBe(4);
    expect(ordersPerMinute('delivery_rush', 4, at('18:30'))).toBe(12);
    expect(ordersPerMinute('steady', 4, at('18:30'))).toBe(4);
  });

  it('draws exponential gaps (simulated ms) whose mean is one over the rate', () => {
    // 5 orders per virtual minute → mean gap 12 virtual s.
    const n = 2_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += nextArrivalGapMs('steady', 5, at('12:00'), (i + 0.5) / n);
    expect(sum / n).toBeCloseTo(12_000, -2);
    // The median of an exponential is ln 2 × mean.
    expect(nextArrivalGapMs('steady', 5, at('12:00'), 0.5)).toBeCloseTo(Math.LN2 * 12_000, 6);
    // In the rush the same draw waits a third as long.
    expect(nextArrivalGapMs('delivery_rush', 5, at('18:10'), 0.5)).toBeCloseTo((Math.LN2 * 12_000) / 3, 6);
    expect(nextArrivalGapMs('steady', 0, at('12:00'), 0.5)).toBe(Number.POSITIVE_INFINITY);
  });

  it('starts a rush run at 17:45 virtual, a steady one now', () => {
    const now = Date.parse('2026-11-22T09:13:00.000Z');
    expect(defaultVirtualStart('steady', now)).toBe(now);
    expect(defaultVirtualStart('delivery_rush', now)).toBe(at('17:45'));
  });
});

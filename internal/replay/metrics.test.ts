import { describe, expect, it } from 'vitest';
import { tinyInstance, tinySolution } from './fixtures.test-helpers.ts';
import { computeMetrics, meanMetrics, percentile } from './metrics.ts';

describe('percentile', () => {
  it('interpolates linearly between ranks', () => {
    expect(percentile([19, 25], 0.9)).toBeCloseTo(24.4);
    expect(percentile([3, 1, 2], 0.5)).toBe(2);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('computeMetrics on the hand-computed solution', () => {
  const m = computeMetrics(tinyInstance(), tinySolution());

  it('counts undelivered orders', () => {
    expect(m.delivered).toBe(2);
    expect(m.undeliveredPct).toBeCloseTo(100 / 3);
  });
  it('click-to-door = drop-off − placement (19 and 25)', () => {
    expect(m.clickToDoorMean).toBe(22);
    expect(m.clickToDoorP90).toBeCloseTo(24.4);
  });
  it('overage = mean of max(0, click-to-door − target 20)', () => {
    expect(m.overageMean).toBe(2.5);
  });
  it('ready-to-pickup = pickup − ready (2 and 0)', () => {
    expect(m.readyToPickupMean).toBe(1);
    expect(m.readyToPickupP90).toBeCloseTo(1.8);
  });
  it('utilisation = (driving 12 + 4 per pickup + 4 per drop) ÷ shift; idle courier counts as 0', () => {
    expect(m.utilisationMean).toBeCloseTo((24 / 60 + 0) / 2);
    expect(m.utilisationP10).toBeCloseTo(0.04);
  });
  it('cost per order = Σ max($10 × orders, $15 × shift hours) ÷ delivered', () => {
    expect(m.costPerOrder).toBeCloseTo((20 + 7.5) / 2);
  });
  it('orders per bundle = delivered ÷ assignments', () => {
    expect(m.ordersPerBundle).toBe(2);
  });
  it('means over instances weigh each instance equally', () => {
    const mean = meanMetrics([m, { ...m, clickToDoorMean: 30 }]);
    expect(mean.clickToDoorMean).toBe(26);
    expect(mean.orders).toBe(6);
  });
});

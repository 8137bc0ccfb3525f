import { describe, expect, it } from 'vitest';
import { ApiCallError } from './api-client.ts';
import { emptyTally, formatDuration, meanClickToDoorS, progressLine, recordDelivery, recordError, summaryText } from './summary.ts';

describe('simulation tally', () => {
  it('measures click-to-door in virtual time over the timed deliveries only', () => {
    const t = emptyTally();
    expect(meanClickToDoorS(t)).toBeNull();
    recordDelivery(t, 1_000, 61_000, 10); // 60 s wall clock × 10 = 600 virtual s
    recordDelivery(t, 0, 120_000, 10); // 1 200 virtual s
    t.delivered += 1; // an order another client placed: counted, not timed
    expect(t.delivered).toBe(3);
    expect(meanClickToDoorS(t)).toBe(900);
    recordDelivery(t, 5_000, 4_000, 10); // clock skew never makes a negative time
    expect(meanClickToDoorS(t)).toBe(600);
  });

  it('counts failures by what failed and how, and lists them in the summary', () => {
    const t = emptyTally();
    recordError(t, 'location', new ApiCallError('POST', '/riders/x/location', 400, 'invalid_input', null));
    recordError(t, 'location', new ApiCallError('POST', '/riders/x/location', 400, 'invalid_input', null));
    recordError(t, 'order', new TypeError('fetch failed'));
    expect(t.httpErrors).toBe(3);
    expect(t.errorKinds).toEqual({ 'location 400 invalid_input': 2, 'order TypeError': 1 });
    expect(summaryText(t, 1_000, 1)).toContain('2 × location 400 invalid_input');
  });

  it('formats durations', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(3_720)).toBe('1h02m');
  });

  it('keeps the progress on one line and names every figure in the summary', () => {
    const t = emptyTally();
    t.ordersPlaced = 12;
    t.tooFar409 = 2;
    recordDelivery(t, 0, 30_000, 20);
    const line = progressLine(t, Date.parse('2026-11-22T18:05:00Z'), 6);
    expect(line).not.toContain('\n');
    expect(line).toContain('[sim 18:05]');
    expect(line).toContain('orders 12');
    expect(line).toContain('delivered 1');
    expect(line).toContain('c2d 10m00s');
    expect(line).toContain('409s 2');
    const summary = summaryText(t, 120_000, 20);
    expect(summary).toContain('orders placed     12');
    expect(summary).toContain('40m00s virtual');
    expect(summary).toContain('mean click-to-door 10m00s');
    expect(summary).toContain('409 too far       2');
  });
});

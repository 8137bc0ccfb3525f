import { describe, expect, it } from 'vitest';
import { ApiCallError, type LiveStatsDto } from './api-client.ts';
import { emptyTally, formatDuration, progressLine, recordError, summaryText, timeUnit } from './summary.ts';

const stats = (over: Partial<LiveStatsDto> = {}): LiveStatsDto => ({
  at: '2026-11-22T18:05:00.000Z',
  timeScale: 30,
  orders: { placed: 120, delivered: 100, cancelled: 0, active: 20, unassigned: 9, waitingForRider: 2 },
  riders: { idle: 4, busy: 16, offline: 0 },
  batches: { active: 12, meanSize: 1.4 },
  meanClickToDoorS: 1_500,
  ...over,
});

describe('simulation tally', () => {
  it('counts failures by what failed and how, and lists them in the summary', () => {
    const t = emptyTally();
    recordError(t, 'location', new ApiCallError('POST', '/riders/x/location', 400, 'invalid_input', null));
    recordError(t, 'location', new ApiCallError('POST', '/riders/x/location', 400, 'invalid_input', null));
    recordError(t, 'order', new TypeError('fetch failed'));
    expect(t.httpErrors).toBe(3);
    expect(t.errorKinds).toEqual({ 'location 400 invalid_input': 2, 'order TypeError': 1 });
    expect(summaryText(t, 1_000, 1_000, 1, null)).toContain('2 × location 400 invalid_input');
  });

  it('formats durations', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(3_720)).toBe('1h02m');
  });

  it('labels the API clock: simulated when sped up, wall otherwise', () => {
    expect(timeUnit({ timeScale: 30 })).toBe('sim');
    expect(timeUnit({ timeScale: 1 })).toBe('wall');
  });

  it('prints the API’s figures (the map’s) on one line, in labelled units', () => {
    const t = emptyTally();
    t.tooFar409 = 2;
    const line = progressLine(t, stats(), 2.345);
    expect(line).not.toContain('\n');
    expect(line).toContain('[sim 18:05]');
    expect(line).toContain('rate 2.3/min');
    expect(line).toContain('orders 120');
    expect(line).toContain('delivered 100');
    expect(line).toContain('unassigned 9 (2 ready)');
    expect(line).toContain('riders idle 4 busy 16');
    expect(line).toContain('c2d 25m00s sim');
    expect(line).toContain('409s 2');
    expect(progressLine(t, stats({ timeScale: 1 }), 2)).toContain('c2d 25m00s wall');
    expect(progressLine(t, null, 2)).toContain('409s 2'); // before the API's first answer
    expect(progressLine(t, stats(), 2, 0.4)).toContain('[sim 18:05 slowed to 40 %]'); // the machine could not keep up
  });

  it('names every figure in the summary', () => {
    const t = emptyTally();
    t.ordersPlaced = 12;
    t.tooFar409 = 2;
    const summary = summaryText(t, 120_000, 2_400_000, 20, stats());
    expect(summary).toContain('orders placed     12');
    expect(summary).toContain('40m00s simulated');
    expect(summary).toContain('mean click-to-door 25m00s (simulated');
    expect(summary).toContain('409 too far       2');
  });
});

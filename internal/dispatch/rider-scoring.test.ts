import { describe, expect, it } from 'vitest';
import { BASELINE_SCORING, resolveDispatchParams } from './params.ts';
import { batchShape, fitRider, rankRiders, scoreRider } from './rider-scoring.ts';
import { at, gridTravel, MIN, order } from './test-fixtures.ts';

describe('scoreRider (seed design doc baseline)', () => {
  it('rewards positive slack at 10/min, capped at 50', () => {
    expect(scoreRider({ slackMinutes: 2, distanceKm: 0, totalEtaMinutes: 0 }, BASELINE_SCORING)).toBe(120);
    expect(scoreRider({ slackMinutes: 9, distanceKm: 0, totalEtaMinutes: 0 }, BASELINE_SCORING)).toBe(150);
  });
  it('penalises negative slack at 20/min, distance at 5/km and total ETA at 2/min', () => {
    expect(scoreRider({ slackMinutes: -1, distanceKm: 2, totalEtaMinutes: 10 }, BASELINE_SCORING)).toBe(
      100 - 20 - 10 - 20,
    );
  });
  it('a negative slack reward prefers the rider that is just in time (the default when riders are plentiful)', () => {
    const w = resolveDispatchParams().scoring;
    expect(w.slackRewardPerMinute).toBeLessThan(0);
    expect(w.distancePenaltyPerKm).toBe(1);
    const justInTime = scoreRider({ slackMinutes: 1, distanceKm: 6, totalEtaMinutes: 20 }, w);
    const early = scoreRider({ slackMinutes: 10, distanceKm: 1, totalEtaMinutes: 20 }, w);
    expect(justInTime).toBeGreaterThan(early);
    expect(scoreRider({ slackMinutes: -1, distanceKm: 0, totalEtaMinutes: 20 }, w)).toBeLessThan(justInTime);
  });
  it('resolves the scarce-round score over its own defaults, independently of the plentiful one', () => {
    const p = resolveDispatchParams({
      scoring: { etaPenaltyPerMinute: 3 },
      scarceScoring: { distancePenaltyPerKm: 15 },
    });
    expect(p.scoring).toMatchObject({ etaPenaltyPerMinute: 3, slackRewardPerMinute: -1, distancePenaltyPerKm: 1 });
    expect(p.scarceScoring).toMatchObject({
      etaPenaltyPerMinute: 5,
      slackRewardPerMinute: 10,
      distancePenaltyPerKm: 15,
    });
  });
  it('clamps at the floor; floor null leaves bad options distinguishable', () => {
    expect(scoreRider({ slackMinutes: -10, distanceKm: 0, totalEtaMinutes: 0 }, BASELINE_SCORING)).toBe(0);
    expect(
      scoreRider({ slackMinutes: -10, distanceKm: 0, totalEtaMinutes: 0 }, { ...BASELINE_SCORING, floor: null }),
    ).toBe(-100);
  });
});

describe('fitRider / rankRiders', () => {
  const params = resolveDispatchParams({ scoring: BASELINE_SCORING });
  const store = { id: 's1', location: at(0, 0) };
  const o = order('o1', at(1500, 0), { readyAt: 10 * MIN });
  const shape = batchShape(store, o.readyAt, [o], gridTravel, params);

  it('computes slack from the ETA to the store plus parking', () => {
    // 1500 m at 5 m/s = 300 s; slack = 600 s until ready − (300 + 120) = 180 s.
    const fit = fitRider(
      { id: 'r', location: at(0, 1500), availableAt: 0, shiftEndsAt: 60 * MIN },
      shape,
      0,
      gridTravel,
      params,
    );
    expect(fit.etaToStoreSeconds).toBe(300);
    expect(fit.slackSeconds).toBe(180);
    expect(fit.pickupAt).toBe(10 * MIN);
    // total ETA: pickup at 600 s + 120 s leave + 300 s drive + 120 s park = 1140 s.
    expect(fit.totalEtaSeconds).toBe(1140);
    expect(fit.score).toBeCloseTo(100 + 30 - 7.5 - 38);
  });

  it('counts a busy rider from when it becomes free, and drops riders whose shift ends before the pickup', () => {
    const riders = [
      { id: 'near-busy', location: at(0, 100), availableAt: 20 * MIN, shiftEndsAt: 90 * MIN },
      { id: 'far-free', location: at(0, 3000), availableAt: 0, shiftEndsAt: 90 * MIN },
      { id: 'leaving', location: at(0, 10), availableAt: 0, shiftEndsAt: 5 * MIN },
    ];
    const ranked = rankRiders(riders, shape, 0, gridTravel, params);
    expect(ranked.map((f) => f.rider.id)).toEqual(['far-free', 'near-busy']);
    expect(ranked[1]!.departAt).toBe(20 * MIN);
  });

  it('with scoreSunkWait off, the minutes food has already waited do not count against the rider', () => {
    const r = { id: 'r', location: at(0, 1500), availableAt: 0, shiftEndsAt: 90 * MIN };
    const now = 20 * MIN; // food ready at 10 min has waited 10 min
    const noFloor = { ...BASELINE_SCORING, floor: null };
    const sunk = fitRider(r, shape, now, gridTravel, resolveDispatchParams({ scoring: noFloor, scoreSunkWait: true }));
    const fresh = fitRider(
      r,
      shape,
      now,
      gridTravel,
      resolveDispatchParams({ scoring: noFloor, scoreSunkWait: false }),
    );
    expect(sunk.slackSeconds).toBe(fresh.slackSeconds); // the commit rule sees the same slack
    // sunk: slack −(600 + 300 + 120) s = −17 min → −340; fresh: only the rider's own −7 min → −140, ETA 10 min shorter.
    expect(fresh.score - sunk.score).toBeCloseTo(20 * 10 + 2 * 10);
  });
});

import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.ts';
import { DEFAULT_FIX_MAX_AGE_MS, DELIVERY_CLAIM_TOLERANCE_M, type FixJudgement, judgeFix } from './drop-evidence.ts';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const AT = { lat: 43.7402, lon: 7.4291 };
/** `metres` due north of AT (haversine on the mean Earth radius). */
const north = (metres: number) => ({ lat: AT.lat + (metres / 6_371_008.8) * (180 / Math.PI), lon: AT.lon });

const judgement = (over: Partial<FixJudgement>): FixJudgement => ({
  riderId: 'r1',
  orderId: 'o1',
  fix: { ...AT, lastSeenAt: NOW - 1_000 },
  nowMs: NOW,
  maxAgeMs: DEFAULT_FIX_MAX_AGE_MS,
  claimed: null,
  claimToleranceM: DELIVERY_CLAIM_TOLERANCE_M,
  ...over,
});

function refusal(j: FixJudgement): AppError {
  try {
    judgeFix(j);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('judgeFix accepted');
}

describe('judgeFix', () => {
  it('answers the fix, not the claim, when both agree', () => {
    expect(judgeFix(judgement({ claimed: north(10) }))).toEqual(AT);
    expect(judgeFix(judgement({}))).toEqual(AT);
  });

  it('refuses a missing fix with delivery.no_fix', () => {
    expect(refusal(judgement({ fix: null }))).toMatchObject({
      kind: 'conflict',
      slug: 'delivery.no_fix',
      details: { max_fix_age_s: 60 },
    });
  });

  it('accepts a fix exactly max age old and refuses one a millisecond older with delivery.stale_fix', () => {
    expect(judgeFix(judgement({ fix: { ...AT, lastSeenAt: NOW - 30_000 }, maxAgeMs: 30_000 }))).toEqual(AT);
    const stale = refusal(judgement({ fix: { ...AT, lastSeenAt: NOW - 45_000 }, maxAgeMs: 30_000 }));
    expect(stale).toMatchObject({ slug: 'delivery.stale_fix', details: { fix_age_s: 45, max_fix_age_s: 30 } });
    expect(refusal(judgement({ fix: { ...AT, lastSeenAt: NOW - 30_001 }, maxAgeMs: 30_000 })).slug).toBe(
      'delivery.stale_fix',
    );
  });

  it('refuses a claim more than the tolerance from the fix with delivery.claim_disagrees (inclusive at 30.0 m)', () => {
    expect(judgeFix(judgement({ claimed: north(30) }))).toEqual(AT);
    const far = refusal(judgement({ claimed: north(2_000) }));
    expect(far).toMatchObject({
      slug: 'delivery.claim_disagrees',
      details: { claim_to_fix_m: 2_000, max_claim_to_fix_m: 30 },
    });
    expect(refusal(judgement({ claimed: north(30.1) })).slug).toBe('delivery.claim_disagrees');
  });
});

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { regretHistogram, regretOf } from './regret-recorder.ts';

describe('regret', () => {
  it('is (refined − estimated) / estimated, 0 without an estimate', () => {
    expect(regretOf(1000, 1100)).toBeCloseTo(0.1, 12);
    expect(regretOf(1000, 900)).toBeCloseTo(-0.1, 12);
    expect(regretOf(0, 900)).toBe(0);
  });

  it('is exported as the dispatch_batch_regret histogram, registered once per registry', async () => {
    const registry = new Registry();
    expect(regretHistogram(registry)).toBe(regretHistogram(registry));
    regretHistogram(registry).observe(0.2);
    const text = await registry.metrics();
    expect(text).toContain('dispatch_batch_regret_count 1');
    expect(text).toContain('dispatch_batch_regret_bucket{le="0.25"} 1');
  });
});

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { estimateErrorOf, regretHistogram } from './regret-recorder.ts';

describe('regret recorder', () => {
  it('keeps the estimate error as (refined − estimated) / estimated, 0 without an estimate', () => {
    expect(estimateErrorOf(1000, 1100)).toBeCloseTo(0.1, 12);
    expect(estimateErrorOf(1000, 900)).toBeCloseTo(-0.1, 12);
    expect(estimateErrorOf(0, 900)).toBe(0);
  });

  it('exports regret in seconds as the dispatch_batch_regret histogram, registered once per registry', async () => {
    const registry = new Registry();
    expect(regretHistogram(registry)).toBe(regretHistogram(registry));
    regretHistogram(registry).observe(0);
    regretHistogram(registry).observe(224);
    const text = await registry.metrics();
    expect(text).toContain('dispatch_batch_regret_count 2');
    expect(text).toContain('dispatch_batch_regret_bucket{le="0"} 1');
    expect(text).toContain('dispatch_batch_regret_bucket{le="300"} 2');
    expect(text).toContain('dispatch_batch_regret_sum 224');
  });
});

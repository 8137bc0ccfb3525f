import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { readyWaitSeconds, recordRound } from './dispatch-metrics.ts';

describe('dispatch metrics', () => {
  it('measures ready → assigned on the clock, never negative, 0 when assigned before ready', () => {
    const ready = new Date('2026-01-01T12:00:00Z');
    expect(readyWaitSeconds(ready, ready.getTime() + 12_500)).toBe(12.5);
    expect(readyWaitSeconds(ready, ready.getTime() - 4_000)).toBe(0);
    expect(readyWaitSeconds(null, ready.getTime())).toBe(0);
  });

  it('records sealed sizes, one trip per assignment and one SLA wait per order', async () => {
    const registry = new Registry();
    recordRound(registry, { sealedSizes: [3, 1], assignments: [{ readyWaitsS: [4, 40] }] });
    const text = await registry.metrics();
    expect(text).toContain('dispatch_batch_size_orders_count 2');
    expect(text).toContain('dispatch_batch_size_orders_sum 4');
    expect(text).toContain('dispatch_rider_trip_orders_sum 2');
    expect(text).toContain('dispatch_ready_to_assigned_seconds_bucket{le="30"} 1');
    expect(text).toContain('dispatch_ready_to_assigned_seconds_count 2');
  });
});

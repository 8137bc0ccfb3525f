import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../platform/logger.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { makeEvent } from './event-bus.contract.ts';
import { HANDLER_DURATION_METRIC } from './handler-timing.ts';
import { MemoryEventBus } from './memory-event-bus.ts';
import { consume } from './middleware.ts';

async function countOf(registry: Registry, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(HANDLER_DURATION_METRIC);
  if (!metric) return 0;
  const values = (await metric.get()).values;
  const match = values.find(
    (v) =>
      (v as { metricName?: string }).metricName === `${HANDLER_DURATION_METRIC}_count` &&
      Object.entries(labels).every(([k, value]) => v.labels[k] === value),
  );
  return match?.value ?? 0;
}

describe('eventbus_handler_duration_seconds', () => {
  it('observes each delivery of a consumed topic once, by topic, group and outcome', async () => {
    const bus = new MemoryEventBus({ redeliveryDelayMs: 5 });
    const registry = new Registry();
    let calls = 0;
    await consume(bus, {
      topic: 'timed.topic',
      group: 'timed-group',
      handler: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 20));
      },
      maxAttempts: 1,
      backoffMs: 1,
      logger: silentLogger,
      registry,
    });
    for (let i = 0; i < 3; i++) await bus.publish('timed.topic', `k${i}`, makeEvent('timed', { i }));
    await waitFor(async () => (await countOf(registry, { topic: 'timed.topic', outcome: 'ok' })) === 3, {
      timeoutMs: 5_000,
      what: 'three timed deliveries',
    });
    expect(calls).toBe(3);
    expect(await countOf(registry, { group: 'timed-group', outcome: 'error' })).toBe(0);
    const text = await registry.metrics();
    expect(text).toContain(`# TYPE ${HANDLER_DURATION_METRIC} histogram`);
    // Each delivery took ≥ 20 ms: nothing fell into the 10 ms bucket.
    expect(text).toMatch(
      /eventbus_handler_duration_seconds_bucket\{le="0.01",topic="timed.topic",group="timed-group",outcome="ok"\} 0/,
    );
    await bus.close();
  });
});

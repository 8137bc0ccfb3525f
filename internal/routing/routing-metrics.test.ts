import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CachedRouter } from './cached-router.ts';
import { MeteredRouter, routingMetrics } from './routing-metrics.ts';
import { RoutingUnavailableError, type Router } from './router.ts';
import { StraightLineRouter } from './straight-line-router.ts';

const a = { lat: 43.73, lon: 7.42 };
const b = { lat: 43.74, lon: 7.43 };

describe('routing metrics', () => {
  it('counts OSRM calls by outcome and cache lookups, and derives the hit ratio', async () => {
    const registry = new Registry();
    const lookups = routingMetrics(registry).cacheLookups;
    const metered = new MeteredRouter(new StraightLineRouter(), registry);
    const cached = new CachedRouter(metered, { onLookup: (hit) => lookups.inc({ result: hit ? 'hit' : 'miss' }) });
    await cached.route(a, b);
    await cached.route(a, b);
    await cached.route(a, b);
    await cached.route(b, a);
    const text = await registry.metrics();
    expect(text).toContain('routing_osrm_requests_total{operation="route",outcome="ok"} 2');
    expect(text).toContain('routing_cache_lookups_total{result="hit"} 2');
    expect(text).toContain('routing_cache_lookups_total{result="miss"} 2');
    expect(text).toContain('routing_cache_hit_ratio 0.5');
    expect(text).toContain('routing_fallback_active 0');
  });

  it('labels an unavailable OSRM apart from other errors', async () => {
    const registry = new Registry();
    const down: Router = Object.assign(new StraightLineRouter(), {
      route: async () => {
        throw new RoutingUnavailableError('down');
      },
    });
    await expect(new MeteredRouter(down, registry).route(a, b)).rejects.toThrow('down');
    expect(await registry.metrics()).toContain(
      'routing_osrm_requests_total{operation="route",outcome="unavailable"} 1',
    );
  });
});

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRouter } from './create-router.ts';
import { FallbackRouter, type RoutingLogger } from './fallback-router.ts';
import { startOsrmReplayServer } from './osrm-replay-server.ts';
import { routerContract } from './router.contract.ts';
import { StraightLineRouter } from './straight-line-router.ts';

const quiet: RoutingLogger = { info: () => {}, warn: () => {} };

// The composition apps use: cache under the fallback, OSRM as primary; it must keep the port's contract too.
routerContract('createRouter (OSRM replay behind cache and fallback)', async () => {
  const server = await startOsrmReplayServer();
  const router = createRouter({ osrmUrl: server.url }, { registry: new Registry(), logger: quiet });
  return {
    router,
    requestCount: () => server.requests.length,
    close: async () => {
      await router.close();
      await server.close();
      expect(server.misses).toEqual([]);
    },
  };
});

describe('createRouter', () => {
  it('embeds the straight-line router when OSRM_URL is unset, and says so', async () => {
    const lines: string[] = [];
    const logger: RoutingLogger = { info: (_, msg) => lines.push(msg), warn: (_, msg) => lines.push(msg) };
    const router = createRouter({ osrmUrl: undefined, straightLine: { speedMps: 5 } }, { registry: new Registry(), logger });
    expect(router).toBeInstanceOf(StraightLineRouter);
    expect((router as StraightLineRouter).speedMps).toBe(5);
    expect(lines).toEqual(['routing: OSRM_URL unset, using the straight-line router']);
  });

  it('falls back to the straight line when OSRM is unreachable and caches only OSRM answers', async () => {
    const server = await startOsrmReplayServer();
    const registry = new Registry();
    const router = createRouter(
      { osrmUrl: server.url, osrm: { retries: 0, breaker: { failureThreshold: 100 } } },
      { registry, logger: quiet },
    );
    try {
      expect(router).toBeInstanceOf(FallbackRouter);
      const a = { lat: 43.7394, lon: 7.4276 };
      const b = { lat: 43.7282, lon: 7.4154 };
      server.setFault({ kind: 'status', status: 503 });
      const guessed = await router.route(a, b);
      expect(guessed.geometry.coordinates).toHaveLength(2); // straight line
      server.setFault(null);
      // The guess was not cached: the next call reaches OSRM and gets the road route.
      expect((await router.route(a, b)).distanceM).toBe(2432.2);
      const sent = server.requests.length;
      await router.route(a, b);
      expect(server.requests.length).toBe(sent); // …which is cached
    } finally {
      await router.close();
      await server.close();
    }
  });
});

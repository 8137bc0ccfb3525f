import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRouter, selectRouter } from './create-router.ts';
import { RoadRouter } from './road-router.ts';
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
    const router = createRouter(
      { osrmUrl: undefined, straightLine: { speedMps: 5 } },
      { registry: new Registry(), logger },
    );
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

describe('selectRouter: ROUTER and the demo city', () => {
  const MONACO = { lat: 43.7384, lon: 7.4246 };
  const PARIS = { lat: 48.8566, lon: 2.3522 };
  const deps = () => ({ registry: new Registry(), logger: quiet });

  it('routes a city on the road graph (auto, no OSRM) when the graph covers it, and on the straight line otherwise', async () => {
    const monaco = selectRouter({ roadsAt: MONACO }, deps());
    expect(monaco.kind).toBe('road');
    expect(monaco.router).toBeInstanceOf(RoadRouter);
    expect(selectRouter({ roadsAt: PARIS }, deps()).kind).toBe('straight-line');
    // The API or the worker alone name no city: straight line, as before.
    expect(selectRouter({}, deps()).kind).toBe('straight-line');
    // A missing graph in auto mode is not an error: straight line.
    expect(selectRouter({ roadsAt: MONACO, roadsDir: '/nonexistent' }, deps()).kind).toBe('straight-line');
    // OSRM wins in auto mode.
    const osrm = selectRouter({ osrmUrl: 'http://127.0.0.1:9', roadsAt: MONACO }, deps());
    expect(osrm.kind).toBe('osrm');
    await osrm.router.close();
  });

  it('obeys ROUTER=road and ROUTER=straight-line', () => {
    expect(selectRouter({ mode: 'road' }, deps()).kind).toBe('road');
    expect(selectRouter({ mode: 'road', roadsAt: PARIS, osrmUrl: 'http://127.0.0.1:9' }, deps()).kind).toBe('road');
    expect(selectRouter({ mode: 'straight-line', roadsAt: MONACO, osrmUrl: 'http://127.0.0.1:9' }, deps()).kind).toBe(
      'straight-line',
    );
    expect(() => selectRouter({ mode: 'road', roadsDir: '/nonexistent' }, deps())).toThrow(/nonexistent/);
  });
});

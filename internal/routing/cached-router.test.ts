import { describe, expect, it } from 'vitest';
import { CachedRouter } from './cached-router.ts';
import { InvalidInputError, RoutingUnavailableError, type LatLng, type Router } from './router.ts';
import { StraightLineRouter } from './straight-line-router.ts';

const A: LatLng = { lat: 43.7394, lon: 7.4276 };
const B: LatLng = { lat: 43.7282, lon: 7.4154 };
const C: LatLng = { lat: 43.7467, lon: 7.4353 };

/** The straight-line router, counting the calls that reach it and optionally failing the next ones. */
function counting() {
  const real = new StraightLineRouter();
  const calls = { route: 0, table: 0, nearest: 0 };
  let failNext = 0;
  const gate = () => {
    if (failNext > 0) {
      failNext -= 1;
      throw new RoutingUnavailableError('down');
    }
  };
  const inner: Router = {
    route: async (from, to) => {
      calls.route++;
      gate();
      return real.route(from, to);
    },
    table: async (s, d) => {
      calls.table++;
      gate();
      return real.table(s, d);
    },
    nearest: async (p) => {
      calls.nearest++;
      return real.nearest(p);
    },
    reachability: (from, to) => real.reachability(from, to),
    close: () => real.close(),
  };
  return { inner, calls, failNextCalls: (n: number) => (failNext = n) };
}

describe('CachedRouter', () => {
  it('answers a repeated route and table from the cache', async () => {
    const { inner, calls } = counting();
    const cached = new CachedRouter(inner);
    const first = await cached.route(A, B);
    expect(await cached.route({ ...A }, { ...B })).toBe(first);
    await cached.table([A, B], [C]);
    await cached.table([A, B], [C]);
    expect(calls).toMatchObject({ route: 1, table: 1 });
    // Direction matters: B→A is a different question.
    await cached.route(B, A);
    expect(calls.route).toBe(2);
    expect(cached.size).toBe(3);
  });

  it('keys on 6 decimals, the precision OSRM routes with', async () => {
    const { inner, calls } = counting();
    const cached = new CachedRouter(inner);
    await cached.route(A, B);
    await cached.route({ lat: A.lat + 4e-8, lon: A.lon - 4e-8 }, B);
    expect(calls.route).toBe(1);
    await cached.route({ lat: A.lat + 1e-5, lon: A.lon }, B);
    expect(calls.route).toBe(2);
  });

  it('does not cache nearest', async () => {
    const { inner, calls } = counting();
    const cached = new CachedRouter(inner);
    await cached.nearest(A);
    await cached.nearest(A);
    expect(calls.nearest).toBe(2);
  });

  it('shares one inner call between concurrent identical requests', async () => {
    const { inner, calls } = counting();
    const cached = new CachedRouter(inner);
    const results = await Promise.all(Array.from({ length: 10 }, () => cached.table([A, B, C], [A, B, C])));
    expect(calls.table).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it('does not cache failures', async () => {
    const { inner, calls, failNextCalls } = counting();
    const cached = new CachedRouter(inner);
    failNextCalls(1);
    await expect(cached.route(A, B)).rejects.toBeInstanceOf(RoutingUnavailableError);
    expect((await cached.route(A, B)).distanceM).toBeGreaterThan(0);
    expect(calls.route).toBe(2);
  });

  it('stays within its bound, evicting the least recently used', async () => {
    const { inner, calls } = counting();
    // A straight-line route weighs 2 positions + 2 = 4 cells: 3 fit in 12.
    const cached = new CachedRouter(inner, { maxCells: 12 });
    const points = Array.from({ length: 5 }, (_, i) => ({ lat: 43.73 + i / 1000, lon: 7.42 }));
    for (const p of points) await cached.route(A, p);
    expect(cached.size).toBe(3);
    await cached.route(A, points[4]!); // most recent: still cached
    expect(calls.route).toBe(5);
    await cached.route(A, points[0]!); // evicted: asked again
    expect(calls.route).toBe(6);
  });

  it('validates before looking anything up', async () => {
    const { inner, calls } = counting();
    const cached = new CachedRouter(inner);
    await expect(cached.route(A, { lat: 91, lon: 0 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(cached.table([], [A])).rejects.toMatchObject({ field: 'sources' });
    expect(calls.route + calls.table).toBe(0);
  });
});

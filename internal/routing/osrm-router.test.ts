import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { Registry } from 'prom-client';
import { FallbackRouter } from './fallback-router.ts';
import {
  assertSnapped,
  cleanOsrmFigure,
  interpretOsrmResponse,
  OsrmRouter,
  osrmSchemas,
  type OsrmRouterOptions,
} from './osrm-router.ts';
import { StraightLineRouter } from './straight-line-router.ts';
import {
  canonicalOsrmPath,
  loadRecordings,
  startOsrmReplayServer,
  type Recording,
  type ReplayServer,
} from './osrm-replay-server.ts';
import {
  InvalidInputError,
  isPermanentRoutingError,
  NoSegmentError,
  RoutingUnavailableError,
  type LatLng,
  type TableResult,
} from './router.ts';
import { routerContract } from './router.contract.ts';

const CASINO: LatLng = { lat: 43.7394, lon: 7.4276 };
const FONTVIEILLE: LatLng = { lat: 43.7282, lon: 7.4154 };
const SEA: LatLng = { lat: 43.736, lon: 7.433 };

let recordings: Map<string, Recording>;
const recording = (name: string): Recording => {
  const r = recordings.get(name);
  if (!r) throw new Error(`recording ${name} missing from ../shared/osrm/responses`);
  return r;
};
/** The points of a recorded request, in request order (`lon,lat;lon,lat…` → LatLng[]). */
const pointsOf = (r: Recording): LatLng[] =>
  r.request.path
    .split('/')[4]!
    .split('?')[0]!
    .split(';')
    .map((pair) => {
      const [lon, lat] = pair.split(',').map(Number);
      return { lat: lat!, lon: lon! };
    });
const bodyOf = <T>(r: Recording) => r.response.body as T;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

beforeAll(async () => {
  recordings = new Map((await loadRecordings()).map((r) => [r.name, r]));
});

routerContract('OSRM, replaying recorded osrm-routed responses', async () => {
  const server = await startOsrmReplayServer();
  const router = new OsrmRouter({ baseUrl: server.url });
  return {
    router,
    requestCount: () => server.requests.length,
    close: async () => {
      await router.close();
      await server.close();
      // Every request the contract made must have had a recorded answer.
      expect(server.misses).toEqual([]);
    },
  };
});

describe('OsrmRouter against the recorded responses', () => {
  let server: ReplayServer;
  const routers: OsrmRouter[] = [];
  const make = (options: Partial<OsrmRouterOptions> = {}) => {
    const router = new OsrmRouter({ baseUrl: server.url, retryBaseDelayMs: 1, ...options });
    routers.push(router);
    return router;
  };
  beforeAll(async () => {
    server = await startOsrmReplayServer();
  });
  afterEach(async () => {
    server.setFault(null);
    await Promise.all(routers.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends OSRM HTTP API requests: route with full GeoJSON overview, table with both annotations, nearest', async () => {
    const router = make();
    const five = pointsOf(recording('table-5x5'));
    const sd = recording('table-sources-destinations');
    const sdPoints = pointsOf(sd);
    const from = server.requests.length;
    await router.route(CASINO, FONTVIEILLE);
    await router.table(five, five);
    await router.table(sdPoints.slice(0, 2), sdPoints.slice(2));
    await router.nearest(CASINO);
    expect(server.requests.slice(from)).toEqual([
      '/route/v1/driving/7.4276,43.7394;7.4154,43.7282?overview=full&geometries=geojson',
      recording('table-5x5').request.path,
      sd.request.path,
      recording('nearest-casino').request.path,
    ]);
    expect(server.misses).toEqual([]);
  });

  it('keeps a base path prefix and returns the recorded route unchanged', async () => {
    const prefixed = await startOsrmReplayServer();
    const router = new OsrmRouter({ baseUrl: `${prefixed.url}/` });
    try {
      const body = bodyOf<{ routes: Array<{ distance: number; duration: number; geometry: unknown }> }>(
        recording('route-casino-fontvieille'),
      );
      const r = await router.route(CASINO, FONTVIEILLE);
      expect(r).toEqual({
        distanceM: body.routes[0]!.distance,
        durationS: body.routes[0]!.duration,
        geometry: body.routes[0]!.geometry,
      });
    } finally {
      await router.close();
      await prefixed.close();
    }
  });

  it('returns recorded table matrices cell for cell', async () => {
    const rec = recording('table-25x25');
    const points = pointsOf(rec);
    const t = await make().table(points, points);
    const body = bodyOf<{ durations: number[][]; distances: number[][] }>(rec);
    expect(t.durationsS).toEqual(body.durations);
    expect(t.distancesM).toEqual(body.distances);
  });

  it('returns the recorded snapped point and distance for nearest', async () => {
    const w = bodyOf<{ waypoints: Array<{ location: [number, number]; distance: number }> }>(recording('nearest-sea'))
      .waypoints[0]!;
    expect(await make().nearest(SEA)).toEqual({
      point: { lon: w.location[0], lat: w.location[1] },
      distanceM: w.distance,
    });
  });

  it('treats a snap farther than maxSnapDistanceM as NoSegment, naming the input', async () => {
    // Recorded snaps: casino 14.8 m, Fontvieille 28.7 m, the harbour point 118.6 m.
    const strict = make({ maxSnapDistanceM: 20 });
    const err = await rejection(strict.route(CASINO, FONTVIEILLE));
    expect(err).toBeInstanceOf(NoSegmentError);
    expect((err as NoSegmentError).field).toBe('to');
    expect((err as NoSegmentError).slug).toBe('routing.no_segment');
    const sea = await rejection(make({ maxSnapDistanceM: 100 }).nearest(SEA));
    expect((sea as NoSegmentError).field).toBe('point');
    const five = pointsOf(recording('table-5x5'));
    // The fourth point (7.4353,43.7467) snaps 98.8 m away.
    expect(((await rejection(make({ maxSnapDistanceM: 90 }).table(five, five))) as NoSegmentError).field).toBe(
      'sources[3]',
    );
  });

  it('reports the Paris point the server "snapped" 686 km away as NoSegment', () => {
    const body = bodyOf<{ code: string; waypoints: Array<{ distance: number }> }>(recording('route-far-point-snapped'));
    expect(body.code).toBe('Ok');
    const fieldOf = (i: number) => ['from', 'to'][i]!;
    expect(() => assertSnapped(body.waypoints, 1000, fieldOf)).toThrow(NoSegmentError);
    expect(() => assertSnapped(body.waypoints, 1000, fieldOf)).toThrow(/^from: nearest road is 685975 m away/);
    expect(() => assertSnapped(body.waypoints, 1_000_000, fieldOf)).not.toThrow();
  });

  it("maps OSRM's recorded error answers to typed errors", () => {
    const interpret = (name: string) => {
      const r = recording(name);
      try {
        interpretOsrmResponse(r.response.status, JSON.stringify(r.response.body), osrmSchemas.route, (i) =>
          i === 0 ? 'from' : 'to',
        );
      } catch (err) {
        return err;
      }
      throw new Error(`${name} did not throw`);
    };
    expect(interpret('error-invalid-lat')).toMatchObject({ slug: 'routing.invalid_input', field: 'coordinates' });
    expect(interpret('error-bad-syntax')).toMatchObject({ slug: 'routing.invalid_input', field: 'coordinates' });
    expect(interpret('error-table-too-big')).toMatchObject({ slug: 'routing.invalid_input', field: 'table' });
    expect(interpret('error-nosegment-radius')).toMatchObject({ slug: 'routing.no_segment', field: 'from' });
    expect(interpret('error-unknown-service')).toBeInstanceOf(RoutingUnavailableError);
    expect(String(interpret('error-unknown-service'))).toContain('InvalidService');
    // OSRM's NoRoute has the same {code, message} shape; the recorded set has none, so this body is written here.
    const noRoute = (() => {
      try {
        interpretOsrmResponse(400, '{"code":"NoRoute","message":"Impossible route"}', osrmSchemas.route, String);
      } catch (err) {
        return err;
      }
    })();
    expect(noRoute).toMatchObject({ slug: 'routing.no_route' });
  });

  it('treats a body that is not JSON, or an Ok body of the wrong shape, as unavailable', () => {
    expect(() => interpretOsrmResponse(502, '<html>Bad gateway</html>', osrmSchemas.route, String)).toThrow(
      RoutingUnavailableError,
    );
    const table = JSON.stringify(recording('table-5x5').response.body);
    expect(() => interpretOsrmResponse(200, table, osrmSchemas.route, String)).toThrow(/unexpected body/);
  });

  describe('answers found against a real osrm-routed (v26.4.1, Monaco)', () => {
    it('accepts the -0.1 m OSRM answers for a rider 0.1 m from the store: 0, not a malformed table', async () => {
      const rec = recording('table-near-coincident');
      const body = bodyOf<{ distances: number[][]; durations: number[][] }>(rec);
      expect(body.distances[1]![0]).toBe(-0.1); // what the server really said
      const points = pointsOf(rec);
      const router = make({ breaker: { failureThreshold: 1 } });
      const t = await router.table(points, points);
      expect(t.distancesM).toEqual([
        [0, 0.1, 1336.2],
        [0, 0, 1336.2],
        [635.1, 635.2, 0],
      ]);
      expect(t.durationsS).toEqual(body.durations);
      expect(router.circuitState).toBe('closed');
    });

    it('keeps dispatch on OSRM for that table: the fallback is not used and nothing counts towards the circuit', async () => {
      const rec = recording('table-near-coincident');
      const points = pointsOf(rec);
      const osrm = make({ breaker: { failureThreshold: 1 } });
      const registry = new Registry();
      const warnings: string[] = [];
      const logger = { info: () => {}, warn: (_: object, msg: string) => void warnings.push(msg) };
      const router = new FallbackRouter({ primary: osrm, fallback: new StraightLineRouter(), registry, logger });
      for (let i = 0; i < 3; i++) expect((await router.table(points, points)).distancesM[2]).toEqual([635.1, 635.2, 0]);
      expect((await registry.getSingleMetric('routing_fallback_total')!.get()).values).toEqual([]);
      expect(warnings).toEqual([]);
      expect(osrm.circuitState).toBe('closed');
    });

    it('treats larger negatives per cell: within 1 m is 0, beyond is unknown (a known OSRM defect), never the whole table', () => {
      expect(cleanOsrmFigure(-0.1)).toBe(0);
      expect(cleanOsrmFigure(-1)).toBe(0);
      expect(cleanOsrmFigure(-86.8)).toBeNull();
      expect(cleanOsrmFigure(null)).toBeNull();
      expect(cleanOsrmFigure(12.5)).toBe(12.5);
      const route = JSON.parse(JSON.stringify(recording('route-overview-false').response.body)) as {
        routes: Array<{ distance: number }>;
      };
      route.routes[0]!.distance = -0.1;
      expect(
        interpretOsrmResponse(200, JSON.stringify(route), osrmSchemas.routeSummary, String).routes[0]!.distance,
      ).toBe(0);
    });

    it('refuses a table with a drop in the sea 1,104 m from any road as a permanent NoSegment naming that point', async () => {
      const rec = recording('table-drop-far-from-roads');
      const [store, drop] = pointsOf(rec);
      const router = make({ breaker: { failureThreshold: 1 } });
      const err = await rejection(router.table([store!, drop!], [store!, drop!]));
      expect(err).toBeInstanceOf(NoSegmentError);
      expect(isPermanentRoutingError(err)).toBe(true);
      expect(err).toMatchObject({ field: 'sources[1]', point: drop, maxSnapDistanceM: 1000 });
      expect((err as NoSegmentError).snapDistanceM).toBeCloseTo(1104.076, 3);
      expect((err as NoSegmentError).details).toMatchObject({ snap_distance_m: 1104.1, max_snap_distance_m: 1000 });
      expect(router.circuitState).toBe('closed'); // an answer, not an outage
      expect(server.misses).toEqual([]);
    });

    it('answers reachability from the route waypoints: the sea drop is unreachable with its snap distance', async () => {
      const router = make({ breaker: { failureThreshold: 1 } });
      const [store, drop] = pointsOf(recording('route-drop-far-from-roads'));
      const before = server.requests.length;
      const far = await router.reachability(store!, drop!);
      expect(server.requests.slice(before).map(canonicalOsrmPath)).toEqual([
        canonicalOsrmPath(recording('route-drop-far-from-roads').request.path),
      ]);
      expect(far).toMatchObject({ reachable: false, end: 'to', maxSnapDistanceM: 1000 });
      expect(far.reachable === false && far.snapDistanceM).toBeCloseTo(1104.076, 3);
      expect(far.reachable === false && far.reason).toBe('nearest road is 1104 m away (more than 1000 m)');
      // The same drop with a looser limit is a (long) walk from the road, but reachable.
      expect(await make({ maxSnapDistanceM: 1200 }).reachability(store!, drop!)).toEqual({ reachable: true });
      expect(await router.reachability(FONTVIEILLE, CASINO)).toEqual({ reachable: true });
      // A Paris point on the Monaco extract, "snapped" 686 km away: the worse end is named.
      const [paris, casino] = pointsOf(recording('route-far-point-snapped'));
      expect(await router.reachability(paris!, casino!)).toMatchObject({ reachable: false, end: 'from' });
      expect(router.circuitState).toBe('closed');
      expect(server.misses).toEqual([]);
    });

    it('lets an unreachable answer pass the fallback: only "could not answer" becomes "reachable" by straight line', async () => {
      const registry = new Registry();
      const logger = { info: () => {}, warn: () => {} };
      const [store, drop] = pointsOf(recording('route-drop-far-from-roads'));
      const router = new FallbackRouter({
        primary: make({ retries: 0 }),
        fallback: new StraightLineRouter(),
        registry,
        logger,
      });
      expect(await router.reachability(store!, drop!)).toMatchObject({ reachable: false, end: 'to' });
      server.setFault({ kind: 'status', status: 503 });
      expect(await router.reachability(store!, drop!)).toEqual({ reachable: true });
    });
  });

  describe('network failures', () => {
    it('retries a 5xx and then answers', async () => {
      const router = make();
      const before = server.requests.length;
      server.injectFaults({ kind: 'status', status: 503 }, { kind: 'status', status: 500 });
      expect((await router.route(CASINO, FONTVIEILLE)).distanceM).toBe(2432.2);
      expect(server.requests.length - before).toBe(3);
    });

    it('retries when the server resets the connection', async () => {
      const router = make();
      await router.nearest(CASINO); // a kept-alive connection exists
      server.injectFaults({ kind: 'reset' });
      const before = server.requests.length;
      expect((await router.nearest(CASINO)).distanceM).toBeCloseTo(14.788, 3);
      expect(server.requests.length - before).toBe(2);
    });

    it('gives up after the configured retries with RoutingUnavailableError', async () => {
      const router = make({ retries: 3 });
      server.setFault({ kind: 'status', status: 500 });
      const before = server.requests.length;
      const err = await rejection(router.route(CASINO, FONTVIEILLE));
      expect(err).toBeInstanceOf(RoutingUnavailableError);
      expect(String(err)).toMatch(/route failed after 4 attempts: HTTP 500/);
      expect(server.requests.length - before).toBe(4);
    });

    it('times out each attempt and retries', async () => {
      const router = make({ timeoutMs: 150, retries: 1 });
      server.injectFaults({ kind: 'delay', ms: Number.POSITIVE_INFINITY });
      const started = performance.now();
      expect((await router.route(CASINO, FONTVIEILLE)).durationS).toBe(213.7);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('fails within attempts × timeout when the server never answers', async () => {
      const router = make({ timeoutMs: 100, retries: 2 });
      server.setFault({ kind: 'delay', ms: Number.POSITIVE_INFINITY });
      const started = performance.now();
      const err = await rejection(router.table([CASINO], [FONTVIEILLE]));
      const elapsed = performance.now() - started;
      expect(err).toBeInstanceOf(RoutingUnavailableError);
      expect(String(err)).toMatch(/table failed after 3 attempts/);
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(2000);
    });

    it('reports a refused connection as unavailable', async () => {
      const gone = await startOsrmReplayServer();
      await gone.close();
      const router = new OsrmRouter({ baseUrl: gone.url, retries: 1, retryBaseDelayMs: 1 });
      routers.push(router);
      expect(await rejection(router.nearest(CASINO))).toBeInstanceOf(RoutingUnavailableError);
    });

    it('is unavailable (without retrying) once closed', async () => {
      const router = new OsrmRouter({ baseUrl: server.url });
      await router.close();
      const before = server.requests.length;
      expect(String(await rejection(router.nearest(CASINO)))).toMatch(/closed/);
      expect(server.requests.length).toBe(before);
    });
  });

  describe('circuit breaker', () => {
    it('opens after consecutive failures, fails fast while open, probes after the reset timeout, closes on success', async () => {
      // The breaker (cockatiel) reads Date.now for its reset timeout: fake only Date, so sockets and timers run as usual.
      vi.useFakeTimers({ toFake: ['Date'] });
      onTestFinished(() => void vi.useRealTimers());
      vi.setSystemTime(0);
      const router = make({ retries: 0, breaker: { failureThreshold: 2, resetTimeoutMs: 1000 } });
      server.setFault({ kind: 'status', status: 503 });
      for (let i = 0; i < 2; i++) {
        expect(await rejection(router.nearest(CASINO))).toMatchObject({ circuitOpen: false });
      }
      expect(router.circuitState).toBe('open');
      const before = server.requests.length;
      const fast = await rejection(router.route(CASINO, FONTVIEILLE));
      expect(fast).toBeInstanceOf(RoutingUnavailableError);
      expect(fast).toMatchObject({ circuitOpen: true });
      expect(server.requests.length).toBe(before); // not sent at all

      vi.setSystemTime(1000);
      server.setFault(null);
      expect((await router.route(CASINO, FONTVIEILLE)).distanceM).toBe(2432.2);
      expect(router.circuitState).toBe('closed');
      expect(server.requests.length).toBe(before + 1);
    });

    it('counts only outages: an unusable answer (a 404 page, not JSON) falls back but leaves the circuit closed', async () => {
      const router = make({ retries: 0, breaker: { failureThreshold: 1 } });
      server.injectFaults({ kind: 'status', status: 404 });
      const err = await rejection(router.nearest(CASINO));
      expect(err).toBeInstanceOf(RoutingUnavailableError);
      expect(err).toMatchObject({ outage: false, permanent: false });
      expect(router.circuitState).toBe('closed');
      server.injectFaults({ kind: 'status', status: 503 });
      expect(await rejection(router.nearest(CASINO))).toMatchObject({ outage: true });
      expect(router.circuitState).toBe('open');
    });

    it('counts a request as one failure however many attempts it took', async () => {
      const router = make({ retries: 2, breaker: { failureThreshold: 2 } });
      server.setFault({ kind: 'status', status: 502 });
      await rejection(router.nearest(CASINO));
      expect(router.circuitState).toBe('closed');
      await rejection(router.nearest(CASINO));
      expect(router.circuitState).toBe('open');
    });
  });

  describe('keep-alive', () => {
    it('reuses kept-alive connections for sequential requests', async () => {
      const own = await startOsrmReplayServer();
      const router = new OsrmRouter({ baseUrl: own.url });
      try {
        for (let i = 0; i < 50; i++) await router.nearest(CASINO);
        // The pool may open a second connection while the first is finishing its response; never one per request.
        expect(own.connections).toBeLessThanOrEqual(2);
      } finally {
        await router.close();
        await own.close();
      }
    });

    it('retires a connection after maxRequestsPerConnection, before the server (512) does', async () => {
      const own = await startOsrmReplayServer();
      const router = new OsrmRouter({ baseUrl: own.url, connections: 1, maxRequestsPerConnection: 3 });
      try {
        // undici sends `Connection: close` on the request after the limit: 4 requests per connection here.
        for (let i = 0; i < 9; i++) await router.nearest(CASINO);
        expect(own.connections).toBe(3);
      } finally {
        await router.close();
        await own.close();
      }
    });

    it('keeps answering across the server closing connections after 512 requests', async () => {
      const own = await startOsrmReplayServer();
      // Let the server be the one that closes: our own limit is set above its 512.
      const router = new OsrmRouter({ baseUrl: own.url, connections: 1, maxRequestsPerConnection: 10_000, retries: 0 });
      try {
        for (let i = 0; i < 600; i++) await router.nearest(CASINO);
        expect(own.requests).toHaveLength(600);
        expect(own.connections).toBe(2);
      } finally {
        await router.close();
        await own.close();
      }
    });
  });
});

/**
 * Splitting large tables. The recordings hold one 25×25 table, not its blocks, so this server answers a table request
 * for any subset of those 25 points by slicing the recorded matrices (OSRM's table cells are per pair, so a block's
 * cells are the recorded cells), and enforces osrm-routed's TooBig rule (sources × destinations > limit²).
 * It is a derived test double for the split-and-stitch logic, not a recording.
 */
describe('OsrmRouter table splitting (server derived from the recorded 25×25 table)', () => {
  const LIMIT = 10;
  let url: string;
  let close: () => Promise<void>;
  const seen: Array<{ sources: number; destinations: number }> = [];
  let points: LatLng[];
  let full: { durations: number[][]; distances: number[][]; sources: unknown[] };

  beforeAll(async () => {
    const rec = recording('table-25x25');
    points = pointsOf(rec);
    full = bodyOf(rec);
    const indexOf = new Map(
      rec.request.path
        .split('/')[4]!
        .split('?')[0]!
        .split(';')
        .map((c, i) => [c, i]),
    );
    const server = createServer((req, res) => {
      const [, coords = '', query = ''] = /^\/table\/v1\/driving\/([^?]+)\?(.*)$/.exec(req.url ?? '') ?? [];
      const ids = coords.split(';').map((c) => indexOf.get(c));
      const params = new URLSearchParams(query.replaceAll(';', '%3B'));
      const pick = (name: string) => params.get(name)?.split(';').map(Number) ?? ids.map((_, i) => i);
      const [src, dst] = [pick('sources'), pick('destinations')];
      res.setHeader('content-type', 'application/json');
      if (ids.includes(undefined)) {
        res.statusCode = 404;
        return res.end('{"code":"ReplayMiss","message":"point outside the recorded 25"}');
      }
      if (src.length * dst.length > LIMIT * LIMIT) {
        res.statusCode = 400;
        return res.end('{"code":"TooBig","message":"Too many table coordinates"}');
      }
      seen.push({ sources: src.length, destinations: dst.length });
      const cells = (m: number[][]) => src.map((s) => dst.map((d) => m[ids[s]!]![ids[d]!]!));
      res.end(
        JSON.stringify({
          code: 'Ok',
          durations: cells(full.durations),
          distances: cells(full.distances),
          sources: src.map((s) => full.sources[ids[s]!]),
          destinations: dst.map((d) => full.sources[ids[d]!]),
        }),
      );
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((ok) => server.close(() => ok()));
  });
  afterAll(() => close());

  const slice = (t: { durations: number[][]; distances: number[][] }, rows: number[], cols: number[]): TableResult => ({
    durationsS: rows.map((i) => cols.map((j) => t.durations[i]![j]!)),
    distancesM: rows.map((i) => cols.map((j) => t.distances[i]![j]!)),
  });
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('splits a 25×25 table into blocks within the server limit and stitches the recorded matrix back', async () => {
    const router = new OsrmRouter({ baseUrl: url, tableMaxSize: LIMIT });
    try {
      seen.length = 0;
      const t = await router.table(points, points);
      expect(t).toEqual(slice(full, upTo(25), upTo(25)));
      expect(seen).toHaveLength(9); // blocks of 10, 10 and 5 on each side
      for (const block of seen) expect(block.sources * block.destinations).toBeLessThanOrEqual(LIMIT * LIMIT);
    } finally {
      await router.close();
    }
  });

  it('splits a non-square table (7 sources × 25 destinations, limit 4)', async () => {
    const router = new OsrmRouter({ baseUrl: url, tableMaxSize: 4, tableConcurrency: 2 });
    try {
      seen.length = 0;
      const rows = [3, 1, 4, 15, 9, 2, 6];
      const t = await router.table(
        rows.map((i) => points[i]!),
        points,
      );
      expect(t).toEqual(slice(full, rows, upTo(25)));
      expect(seen).toHaveLength(2 * 7);
    } finally {
      await router.close();
    }
  });

  it('surfaces TooBig (router configured above the server limit) as InvalidInputError without opening the circuit', async () => {
    const router = new OsrmRouter({ baseUrl: url, tableMaxSize: 2 * LIMIT, breaker: { failureThreshold: 1 } });
    try {
      const err = await rejection(router.table(points, points));
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err).toMatchObject({ field: 'table' });
      expect(String(err)).toContain('TooBig');
      expect(router.circuitState).toBe('closed');
    } finally {
      await router.close();
    }
  });

  it('names a point snapped too far by its position in the whole table, not in its block', async () => {
    const router = new OsrmRouter({ baseUrl: url, tableMaxSize: LIMIT, maxSnapDistanceM: 200 });
    try {
      // Recorded snaps above 200 m: point 8 (356.7 m) and point 23 (234.3 m). Without the first ten points, only
      // point 23 remains: index 13 of the caller's array, which lies in the second block on each side.
      const rest = points.slice(10);
      const err = await rejection(router.table(rest, rest));
      expect(err).toBeInstanceOf(NoSegmentError);
      expect((err as NoSegmentError).field).toMatch(/^(sources|destinations)\[13\]$/);
    } finally {
      await router.close();
    }
  });
});

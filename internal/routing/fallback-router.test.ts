import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { FallbackRouter, type RoutingLogger } from './fallback-router.ts';
import { OsrmRouter } from './osrm-router.ts';
import { startOsrmReplayServer, type ReplayServer } from './osrm-replay-server.ts';
import { InvalidInputError, NoSegmentError, type LatLng } from './router.ts';
import { StraightLineRouter } from './straight-line-router.ts';

const CASINO: LatLng = { lat: 43.7394, lon: 7.4276 };
const FONTVIEILLE: LatLng = { lat: 43.7282, lon: 7.4154 };
const OSRM_DISTANCE = 2432.2; // recorded route-casino-fontvieille

function recordingLogger() {
  const lines: Array<{ level: 'info' | 'warn'; obj: Record<string, unknown>; msg: string }> = [];
  const logger: RoutingLogger = {
    info: (obj, msg) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
  };
  return { logger, lines };
}

async function fallbackCount(registry: Registry): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'routing_fallback_total');
  return Object.fromEntries(
    (metric?.values ?? []).map((v) => [`${v.labels.operation}/${v.labels.reason}`, v.value as number]),
  );
}

describe('FallbackRouter (OSRM replay primary, straight-line fallback)', () => {
  let server: ReplayServer;
  const straightLine = new StraightLineRouter();
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    server = await startOsrmReplayServer();
  });
  afterEach(async () => {
    server.setFault(null);
    await Promise.all(closers.splice(0).map((c) => c()));
  });
  afterAll(() => server.close());

  function setup(breaker: { failureThreshold?: number; resetTimeoutMs?: number } = {}) {
    const registry = new Registry();
    const { logger, lines } = recordingLogger();
    const osrm = new OsrmRouter({ baseUrl: server.url, retries: 0, breaker });
    const router = new FallbackRouter({ primary: osrm, fallback: straightLine, registry, logger });
    closers.push(() => osrm.close());
    return { router, registry, lines, osrm };
  }

  it('answers from OSRM while it is healthy, without counting or logging', async () => {
    const { router, registry, lines } = setup();
    expect((await router.route(CASINO, FONTVIEILLE)).distanceM).toBe(OSRM_DISTANCE);
    expect(await fallbackCount(registry)).toEqual({});
    expect(lines).toEqual([]);
  });

  it('falls back when OSRM fails, counts every decision, logs once per state change', async () => {
    // The breaker (cockatiel) reads Date.now for its reset timeout: fake only Date, so sockets and timers run as usual.
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => void vi.useRealTimers());
    vi.setSystemTime(0);
    const { router, registry, lines, osrm } = setup({ failureThreshold: 2, resetTimeoutMs: 5000 });
    const straight = (await straightLine.route(CASINO, FONTVIEILLE)).distanceM;
    server.setFault({ kind: 'status', status: 503 });

    // Two failed attempts: answered by the straight line, reason "unavailable"; the second opens the circuit.
    for (let i = 0; i < 2; i++) expect((await router.route(CASINO, FONTVIEILLE)).distanceM).toBe(straight);
    expect(osrm.circuitState).toBe('open');
    // While open: no request reaches OSRM; answers still come, reason "circuit_open".
    const sent = server.requests.length;
    await router.route(CASINO, FONTVIEILLE);
    await router.table([CASINO], [FONTVIEILLE]);
    await router.nearest(CASINO);
    expect(server.requests.length).toBe(sent);
    expect(await fallbackCount(registry)).toEqual({
      'route/unavailable': 2,
      'route/circuit_open': 1,
      'table/circuit_open': 1,
      'nearest/circuit_open': 1,
    });

    // OSRM recovers; after the reset timeout the probe succeeds and OSRM answers again.
    server.setFault(null);
    vi.setSystemTime(5000);
    expect((await router.route(CASINO, FONTVIEILLE)).distanceM).toBe(OSRM_DISTANCE);
    expect((await router.nearest(CASINO)).distanceM).toBeGreaterThan(0);

    expect(lines.map((l) => [l.level, l.obj.to])).toEqual([
      ['warn', 'unavailable'],
      ['warn', 'circuit_open'],
      ['info', 'primary'],
    ]);
    expect(lines[0]!.obj.err).toMatch(/HTTP 503/);
    expect(await fallbackCount(registry)).toMatchObject({ 'route/unavailable': 2, 'route/circuit_open': 1 });
  });

  it('does not log a return to "unavailable" for calls that were in flight when the circuit opened', async () => {
    const { logger, lines } = recordingLogger();
    const osrm = new OsrmRouter({ baseUrl: server.url, retries: 0, timeoutMs: 200, breaker: { failureThreshold: 1 } });
    closers.push(() => osrm.close());
    const router = new FallbackRouter({ primary: osrm, fallback: straightLine, registry: new Registry(), logger });
    server.injectFaults({ kind: 'delay', ms: Number.POSITIVE_INFINITY }, { kind: 'status', status: 503 });
    const sent = server.requests.length;
    const slow = router.route(CASINO, FONTVIEILLE); // times out later, after the circuit has opened
    while (server.requests.length === sent) await new Promise((r) => setTimeout(r, 1));
    await router.nearest(CASINO); // 503: opens the circuit
    await router.nearest(CASINO); // rejected by the open circuit
    await slow;
    expect(lines.map((l) => l.obj.to)).toEqual(['unavailable', 'circuit_open']);
  });

  it('passes real answers through instead of falling back', async () => {
    const registry = new Registry();
    const { logger, lines } = recordingLogger();
    const osrm = new OsrmRouter({ baseUrl: server.url, maxSnapDistanceM: 20 });
    closers.push(() => osrm.close());
    const router = new FallbackRouter({ primary: osrm, fallback: straightLine, registry, logger });
    await expect(router.route(CASINO, FONTVIEILLE)).rejects.toBeInstanceOf(NoSegmentError);
    await expect(router.route(CASINO, { lat: 100, lon: 0 })).rejects.toBeInstanceOf(InvalidInputError);
    expect(await fallbackCount(registry)).toEqual({});
    expect(lines).toEqual([]);
  });

  it('shares the metric between routers registered in one registry', async () => {
    const registry = new Registry();
    const { logger } = recordingLogger();
    const dead = new OsrmRouter({ baseUrl: 'http://127.0.0.1:9', retries: 0, timeoutMs: 500 });
    closers.push(() => dead.close());
    const one = new FallbackRouter({ primary: dead, fallback: straightLine, registry, logger });
    const two = new FallbackRouter({ primary: dead, fallback: straightLine, registry, logger });
    await one.nearest(CASINO);
    await two.nearest(CASINO);
    expect(await fallbackCount(registry)).toEqual({ 'nearest/unavailable': 2 });
  });

  it('accepts a pino logger', async () => {
    const out: string[] = [];
    const logger = pino(
      new Writable({
        write: (chunk, _enc, done) => {
          out.push(String(chunk));
          done();
        },
      }),
    );
    const dead = new OsrmRouter({ baseUrl: 'http://127.0.0.1:9', retries: 0, timeoutMs: 500 });
    closers.push(() => dead.close());
    const router = new FallbackRouter({ primary: dead, fallback: straightLine, registry: new Registry(), logger });
    await router.route(CASINO, FONTVIEILLE);
    expect(out.map((l) => JSON.parse(l) as { level: number; msg: string; to: string })).toEqual([
      expect.objectContaining({ level: 40, to: 'unavailable', msg: expect.stringContaining('straight-line fallback') }),
    ]);
  });
});

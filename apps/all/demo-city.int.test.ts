/**
 * Issue 12 item 5: the default demo city holds a steady state. The `npm start` city (composeDemoCity with its default
 * flags: 20 riders, 4 stores, demand sized to the fleet) runs at high speed on its embedded adapters for two simulated
 * hours; every simulated minute the test reads `GET /stats/live` (the figures the console and the map show). It then
 * requires that
 *  - the unassigned backlog stays bounded (Little's law: orders arrive at the base rate and stay unassigned for their
 *    prep time plus the wait for a rider, so the bound allows every order the longest prep plus 20 minutes);
 *  - it does not grow over the last half hour (least-squares slope over those 31 samples);
 *  - the riders' busy share after the warm-up is in the sizing's band (70–85 %, asserted with a few points of slack);
 *  - idle riders appear (the fleet is not saturated) and the riders deliver.
 *
 * Time: everything waits on the city's simulated clock, which slows itself down when the machine cannot keep up
 * (sim-clock.ts), so a busy CI machine makes the run longer, not different. The only wall-clock figure is the budget,
 * an upper bound scaled by TEST_TIME_SCALE (tests/support/time-scale.ts). The samples go to
 * test-artifacts/demo-city-steady-state.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../internal/config/config.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import type { LiveStatsDto } from '../simulator/api-client.ts';
import { composeDemoCity, type DemoCity } from './demo-city.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';

/** Simulated ms per wall ms: 2 simulated hours in ~2 wall minutes on an idle machine. */
const SPEED = 60;
const SIMULATED_MS = 2 * 3_600_000;
const SAMPLE_EVERY_MS = 60_000;
/** The order generator's longest prep time, simulated minutes (order-generator.ts). */
const MAX_PREP_MIN = 14;
/** Wall budget: 5× the unthrottled run time plus start-up, times the machine factor. */
const BUDGET_MS = scaledMs((SIMULATED_MS / SPEED) * 5 + 60_000);

interface Sample {
  minute: number;
  unassigned: number;
  waitingForRider: number;
  idle: number;
  busy: number;
  delivered: number;
  pace: number;
}

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<{ x: number; y: number }>): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

let city: DemoCity | undefined;

afterAll(async () => {
  await city?.cleanup();
});

describe('the default demo city', () => {
  it('holds a steady state over two simulated hours: bounded backlog, not growing at the end, idle riders', {
    timeout: BUDGET_MS + 60_000,
  }, async () => {
    // No service URL: every part embedded, exactly as plain `npm start`. PORT 0: a free port.
    const config = loadConfig({ PORT: '0', LOG_LEVEL: 'error' });
    city = await composeDemoCity(config, ['--seed', '7', '--speed', String(SPEED), '--progress', '3600'], {
      logger: silentLogger,
      progress: () => {},
    });
    const { base } = await city.start();
    // Monaco's committed road graph: the city routes on its streets (riders follow them, ETAs are road times).
    expect(city.adapters.kinds.router).toBe('road');
    const sim = city.simulator()!;
    const rate = sim.baseRate();
    expect(sim.sizing(), 'the default demand is sized to the fleet').not.toBeNull();
    expect(rate).toBeGreaterThan(0);

    const wallStart = Date.now();
    const start = city.clock.now();
    const samples: Sample[] = [];
    for (let minute = 1; minute <= SIMULATED_MS / SAMPLE_EVERY_MS; minute++) {
      await city.clock.sleep(start + minute * SAMPLE_EVERY_MS - city.clock.now());
      expect(
        Date.now() - wallStart,
        `wall budget (TEST_TIME_SCALE scales it) exhausted at simulated minute ${minute}`,
      ).toBeLessThan(BUDGET_MS);
      const stats = (await (
        await fetch(`${base}/stats/live`, { headers: { authorization: `Bearer ${city.operatorKey}` } })
      ).json()) as LiveStatsDto;
      samples.push({
        minute,
        unassigned: stats.orders.unassigned,
        waitingForRider: stats.orders.waitingForRider,
        idle: stats.riders.idle,
        busy: stats.riders.busy,
        delivered: sim.tally.delivered,
        pace: city.clock.pace,
      });
    }

    const afterWarmUp = samples.filter((s) => s.minute > 30);
    const lastHalfHour = samples.filter((s) => s.minute >= samples.length - 30);
    const utilisation = afterWarmUp.reduce((a, s) => a + s.busy / Math.max(1, s.busy + s.idle), 0) / afterWarmUp.length;
    const bound = Math.ceil(rate * (MAX_PREP_MIN + 20));
    const growthPerHalfHour = slope(lastHalfHour.map((s) => ({ x: s.minute, y: s.unassigned }))) * 30;
    const meanLast = lastHalfHour.reduce((a, s) => a + s.unassigned, 0) / lastHalfHour.length;
    const report = {
      speed: SPEED,
      baseRatePerMin: rate,
      sizing: sim.sizing(),
      wallSeconds: Math.round((Date.now() - wallStart) / 1_000),
      clockLostWallSeconds: Math.round(city.clock.lostWallMs / 1_000),
      utilisationAfterWarmUp: Math.round(utilisation * 1_000) / 1_000,
      backlogBound: bound,
      maxUnassigned: Math.max(...samples.map((s) => s.unassigned)),
      meanUnassignedLastHalfHour: Math.round(meanLast * 10) / 10,
      growthLastHalfHour: Math.round(growthPerHalfHour * 10) / 10,
      samples,
    };
    await mkdir(join(import.meta.dirname, '..', '..', 'test-artifacts'), { recursive: true });
    await writeFile(
      join(import.meta.dirname, '..', '..', 'test-artifacts', 'demo-city-steady-state.json'),
      JSON.stringify(report, null, 2),
    );

    // Bounded: no sample above what Little's law allows with a 20-minute wait for a rider.
    expect(report.maxUnassigned, JSON.stringify({ ...report, samples: undefined })).toBeLessThanOrEqual(bound);
    // Not growing over the last half hour: the fitted trend adds at most a few orders (Poisson noise), not a queue.
    expect(growthPerHalfHour, JSON.stringify({ ...report, samples: undefined })).toBeLessThanOrEqual(
      Math.max(6, 0.25 * meanLast),
    );
    // Demand sized to the fleet: the busy share after the warm-up lands in the 70–85 % band the sizing aims at, give or
    // take the noise of one seeded city (a few points).
    expect(report.utilisationAfterWarmUp, JSON.stringify({ ...report, samples: undefined })).toBeGreaterThanOrEqual(
      0.65,
    );
    expect(report.utilisationAfterWarmUp, JSON.stringify({ ...report, samples: undefined })).toBeLessThanOrEqual(0.9);
    // Idle riders appear after the warm-up — in at least a quarter of the last hour's samples.
    const lastHour = samples.filter((s) => s.minute > samples.length - 60);
    expect(lastHour.filter((s) => s.idle > 0).length).toBeGreaterThanOrEqual(lastHour.length / 4);
    // And the fleet works: it delivered at least half of what the base rate ordered in the second hour.
    const secondHour = samples.at(-1)!.delivered - samples[59]!.delivered;
    expect(secondHour).toBeGreaterThanOrEqual(rate * 60 * 0.5);
  });
});

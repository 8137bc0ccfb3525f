import { setMaxListeners } from 'node:events';
import type { Logger } from '../../internal/platform/logger.ts';
import { createApiClient, type ApiClient, type LiveStatsDto, type StoreDto } from './api-client.ts';
import { describeSizing, measureDetour, sizeDemand, type DemandSizing } from './demand-sizing.ts';
import { pointAtBearing, type Point } from './geo-math.ts';
import type { SimulatorOptions } from './options.ts';
import { DEFAULT_DROP_RADIUS_M, runOrderGenerator } from './order-generator.ts';
import { createPingBatcher } from './ping-batcher.ts';
import { between, seededRandom, type Random } from './random.ts';
import { defaultVirtualStart, ordersPerMinute } from './rate-schedule.ts';
import { SimClock } from './sim-clock.ts';
import { runRiderAgent } from './rider-agent.ts';
import type { Router } from '../../internal/routing/router.ts';
import { emptyTally, progressLine, recordError, summaryText, type SimTally } from './summary.ts';

export interface SimulatorRuntime {
  /** Prepares the stores, registers the riders and starts ordering; resolves once everything runs. */
  start(): Promise<void>;
  /** Stops every loop, waits for in-flight calls, closes the HTTP pool; resolves with the summary. Idempotent. */
  cleanup(): Promise<string>;
  /**
   * Stops demand (no new order) while the kitchens mark the accepted orders ready and the riders deliver them: the
   * drain `npm run chaos` waits on. Idempotent.
   */
  stopOrdering(): void;
  /** Resolves when the run ended (by `--duration` or `cleanup`), with the summary. */
  readonly done: Promise<string>;
  readonly tally: SimTally;
  /** The simulated clock the run follows. */
  readonly clock: SimClock;
  /** Base orders per simulated minute in force (set by `start`: `--rate`, else sized to the fleet). */
  baseRate(): number;
  /** How the base rate was sized; null when `--rate` set it. Set by `start`. */
  sizing(): DemandSizing | null;
}

export interface SimulatorIo {
  logger: Logger;
  /** Receives the progress line every `progressS` seconds. */
  progress(line: string): void;
  /** Overrides the HTTP client (tests). */
  api?: ApiClient;
  /**
   * The simulated clock the API and the worker run on too (`npm start`): GPS fixes are then stamped on it. Absent,
   * the simulator keeps its own and assumes the API runs on the wall clock (a separately started API).
   */
  clock?: SimClock;
  /**
   * The router riders navigate with (`npm start` shares the city's own): riders then ride its route geometry, along
   * the streets when it is the road router or OSRM. Absent: straight lines.
   */
  router?: Router;
}

const STORE_NAMES = [
  'Pizzeria Monte',
  'Sushi Kai',
  'Green Bowl',
  'Taco Loco',
  'Curry House',
  'Burger Barn',
  'Pho Saigon',
  'Falafel Corner',
  'Noodle Bar',
  'Bagel Co',
];

/** Demo stores spread around `center`: evenly in angle, 0.6–2.5 km out. */
export function demoStoreSites(center: Point, count: number, random: Random): Array<{ name: string } & Point> {
  return Array.from({ length: count }, (_, i) => {
    const p = pointAtBearing(
      center,
      between(random, 600, 2_500),
      (2 * Math.PI * i) / count + between(random, -0.3, 0.3),
    );
    const base = STORE_NAMES[i % STORE_NAMES.length]!;
    return {
      name: i < STORE_NAMES.length ? base : `${base} ${Math.floor(i / STORE_NAMES.length) + 1}`,
      lat: p.lat,
      lon: p.lon,
    };
  });
}

/** A router's route geometry as the points a rider passes (`[lon, lat]` → `{lat, lon}`). */
export function streetsOf(router: Router): (from: Point, to: Point) => Promise<Point[]> {
  return async (from, to) => (await router.route(from, to)).geometry.coordinates.map(([lon, lat]) => ({ lat, lon }));
}

/** How far from a street a sampled door or store may be before it is moved onto the street (metres). */
const STREET_SNAP_M = 150;

/**
 * Customers live by streets: a sampled drop is moved onto the nearest street when one is within `STREET_SNAP_M`,
 * and resampled (a few times) when it fell in the sea or beyond the road data. Without success, the last sample.
 */
export function placeOnStreets(router: Router): (sample: () => Point) => Promise<Point> {
  return async (sample) => {
    let p = sample();
    for (let attempt = 0; attempt < 8; attempt++, p = sample()) {
      const snapped = await router.nearest(p).catch(() => undefined);
      if (snapped && snapped.distanceM <= STREET_SNAP_M) return snapped.point;
    }
    return p;
  };
}

/** A store site moved onto a street: the nearest one, or (off the road data) the first on the way to `center`. */
async function storeOnStreet(router: Router, site: Point, center: Point): Promise<Point> {
  for (let f = 0; f <= 1; f += 0.125) {
    const p = { lat: site.lat + (center.lat - site.lat) * f, lon: site.lon + (center.lon - site.lon) * f };
    const snapped = await router.nearest(p).catch(() => undefined);
    if (snapped && snapped.distanceM <= STREET_SNAP_M) return snapped.point;
  }
  return site;
}

/** A router's road metres between two points. */
const roadDistance = (router: Router) => async (a: Point, b: Point) => (await router.route(a, b)).distanceM;

/**
 * The simulator's composition root: one HTTP client, the order generator and one agent per rider, all stopped by one
 * AbortController. Everything goes through the public HTTP API.
 */
export function composeSimulator(options: SimulatorOptions, io: SimulatorIo): SimulatorRuntime {
  const { logger } = io;
  const api =
    io.api ?? createApiClient(options.api, { connections: Math.min(256, options.riders + 16), key: options.key });
  const random = seededRandom(options.seed);
  const tally = emptyTally();
  const controller = new AbortController();
  // Every rider and the order generator wait on this one signal at once.
  setMaxListeners(0, controller.signal);
  const ordering = new AbortController();
  const realStart = Date.now();
  const clock =
    io.clock ?? new SimClock({ startMs: defaultVirtualStart(options.mode, realStart), speed: options.speed });
  const simulatedStart = clock.now();
  if (clock.speed !== options.speed)
    throw new RangeError(`the shared clock runs at ${clock.speed}×, the options say ${options.speed}×`);
  const apiNow = io.clock ? () => clock.now() : () => Date.now();
  let baseRate = options.rate ?? 0;
  let sizing: DemandSizing | null = null;
  let lastStats: LiveStatsDto | null = null;
  let statsInFlight = false;
  const loops: Array<Promise<unknown>> = [];
  // A fifth of a ping interval: fixes of one interval travel together, and none waits long.
  const pings = createPingBatcher(api, { flushMs: Math.max(20, Math.min(250, options.pingIntervalMs / 5)) });
  let progressTimer: NodeJS.Timeout | undefined;
  let durationTimer: NodeJS.Timeout | undefined;
  let finish: (summary: string) => void = () => {};
  const done = new Promise<string>((resolve) => (finish = resolve));
  let cleaning: Promise<string> | undefined;

  async function ensureStores(): Promise<StoreDto[]> {
    const existing = await api.listStores();
    if (existing.length > 0) return existing;
    const created: StoreDto[] = [];
    for (const site of demoStoreSites(options.center, options.stores, random)) {
      // With a road network, a store stands on a street (not in the harbour): riders and dispatch can reach it.
      const at = io.router ? await storeOnStreet(io.router, site, options.center) : site;
      created.push(await api.createStore(site.name, { lat: at.lat, lon: at.lon }));
    }
    logger.info({ stores: created.length }, 'created demo stores');
    return created;
  }

  const cleanup = (): Promise<string> =>
    (cleaning ??= (async () => {
      controller.abort();
      clearInterval(progressTimer);
      clearTimeout(durationTimer);
      await Promise.allSettled(loops);
      await pings.close();
      lastStats = await api.liveStats().catch(() => lastStats);
      await api.close().catch(() => {});
      const summary = summaryText(
        tally,
        Date.now() - realStart,
        clock.now() - simulatedStart,
        options.speed,
        lastStats,
      );
      if (!io.clock) clock.close(); // a shared clock belongs to the caller
      finish(summary);
      return summary;
    })());

  return {
    tally,
    done,
    cleanup,
    stopOrdering: () => ordering.abort(),
    clock,
    baseRate: () => baseRate,
    sizing: () => sizing,
    async start() {
      const stores = await ensureStores();
      const storesById = new Map(stores.map((s) => [s.id, s]));
      const speedMps = (options.riderSpeedKmh / 3.6) * options.speed;
      if (options.rate === undefined) {
        // Overheads in simulated seconds: a wall-clock wait of w ms is w × speed simulated ms. A rider notices its
        // assignment half a poll after it on average, and loses half a GPS step at the end of every leg.
        const pollMs = Math.max(1_000, options.pingIntervalMs);
        sizing = sizeDemand({
          riders: options.riders,
          stores,
          dropRadiusM: DEFAULT_DROP_RADIUS_M,
          riderSpeedMps: options.riderSpeedKmh / 3.6,
          overheadPerBundleS: (pollMs / 2 / 1_000) * options.speed,
          overheadPerLegS: (options.pingIntervalMs / 2 / 1_000) * options.speed,
          bundleSize: options.bundleSize,
          targetUtilisation: options.utilisation,
          random: seededRandom(options.seed ^ 0x5eed),
          // Riders following streets ride farther than the straight line: size for the city's real legs.
          ...(io.router
            ? {
                detourFactor: await measureDetour(
                  stores,
                  DEFAULT_DROP_RADIUS_M,
                  seededRandom(options.seed ^ 0xde7),
                  roadDistance(io.router),
                  placeOnStreets(io.router),
                ),
              }
            : {}),
        });
        baseRate = Math.round(sizing.ordersPerMinute * 100) / 100;
        logger.info({ sizing }, `demand: ${describeSizing(sizing, options.riders)}`);
      }
      for (let i = 0; i < options.riders; i++) {
        // Riders start near a store, where the work is.
        const home = stores[i % stores.length]!;
        const start = pointAtBearing(home, between(random, 50, 600), between(random, 0, 2 * Math.PI));
        const agent = runRiderAgent({
          api,
          name: `sim-rider-${String(i + 1).padStart(3, '0')}`,
          start,
          stores: storesById,
          pings,
          speedMps,
          pingIntervalMs: options.pingIntervalMs,
          now: apiNow,
          clock,
          farRate: options.farRate,
          random: seededRandom(options.seed + i + 1),
          tally,
          logger,
          signal: controller.signal,
          ...(io.router ? { streets: streetsOf(io.router) } : {}),
        }).catch((error) => {
          recordError(tally, 'rider', error);
          logger.error({ err: error, rider: i + 1 }, 'rider stopped');
        });
        loops.push(agent);
      }
      loops.push(
        runOrderGenerator({
          api,
          stores,
          clock,
          mode: options.mode,
          rate: baseRate,
          random,
          tally,
          logger,
          signal: controller.signal,
          ordering: ordering.signal,
          ...(io.router ? { placeDrop: placeOnStreets(io.router) } : {}),
        }).catch((error) => logger.error({ err: error }, 'order generator stopped')),
      );
      progressTimer = setInterval(() => {
        if (statsInFlight) return; // a slow API: skip a line rather than pile up requests
        statsInFlight = true;
        void api
          .liveStats()
          .then(
            (stats) => {
              lastStats = stats;
            },
            (error: unknown) => recordError(tally, 'stats', error),
          )
          .finally(() => {
            statsInFlight = false;
            io.progress(
              progressLine(tally, lastStats, ordersPerMinute(options.mode, baseRate, clock.now()), clock.pace),
            );
          });
      }, options.progressS * 1_000);
      if (options.durationS !== undefined) durationTimer = setTimeout(() => void cleanup(), options.durationS * 1_000);
      logger.info(
        {
          riders: options.riders,
          stores: stores.length,
          mode: options.mode,
          rate: baseRate,
          speed: options.speed,
          seed: options.seed,
        },
        'simulation started',
      );
    },
  };
}

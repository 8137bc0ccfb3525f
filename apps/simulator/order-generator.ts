import type { Logger } from '../../internal/platform/logger.ts';
import { ApiCallError, type ApiClient, isRetriable, type StoreDto } from './api-client.ts';
import { pointAtBearing, type Point } from './geo-math.ts';
import { between, pick, sleep, type Random } from './random.ts';
import { nextArrivalGapMs, type SimulationMode } from './rate-schedule.ts';
import type { SimClock } from './sim-clock.ts';
import { recordError, type SimTally } from './summary.ts';
import { randomUUID } from 'node:crypto';

/**
 * The simulated customers and kitchens: places orders at the schedule's rate (Poisson arrivals), each with an
 * Idempotency-Key (a retried POST after a lost answer cannot create a second order), starts cooking at once and marks
 * the order ready when its prep time (virtual minutes) has passed.
 */

/** Drops fall this far from their store (metres), uniform in distance and bearing. */
export interface DropRadius {
  min: number;
  max: number;
}
/** Tries of `ready` through retriable failures (about a minute of backoff in all) before it counts as an error. */
const READY_ATTEMPTS = 8;

export const DEFAULT_DROP_RADIUS_M: DropRadius = { min: 400, max: 2_500 };

/** One drop point of `store`'s customers (the distribution the demand sizing averages over). */
export function sampleDrop(store: Point, radius: DropRadius, random: Random): Point {
  return pointAtBearing(store, between(random, radius.min, radius.max), between(random, 0, 2 * Math.PI));
}

const MENU = [
  'Margherita',
  'Ramen',
  'Pad thai',
  'Burger',
  'Falafel wrap',
  'Poke bowl',
  'Tacos',
  'Dal',
  'Caesar salad',
  'Pho',
];

export interface OrderGeneratorDeps {
  api: ApiClient;
  stores: readonly StoreDto[];
  /** Arrivals and prep times are simulated durations, slept on this clock. */
  clock: SimClock;
  mode: SimulationMode;
  rate: number;
  random: Random;
  tally: SimTally;
  logger: Logger;
  /** Ends the run: no new order, and kitchens stop marking orders ready. */
  signal: AbortSignal;
  /**
   * Stops demand only (a drain): no new order is placed once it aborts, but the kitchens still mark every accepted
   * order ready (until `signal` aborts). Default: never.
   */
  ordering?: AbortSignal;
  /** Drops fall this far from their store (metres); default `DEFAULT_DROP_RADIUS_M`. */
  dropRadiusM?: DropRadius;
  /** Prep time range, virtual minutes. */
  prepMinutes?: { min: number; max: number };
  /**
   * Turns the drop sampler into a customer's door: `npm start` moves it onto a nearby street (resampling one that
   * falls in the sea, see `placeOnStreets`). Default: the sample as it is.
   */
  placeDrop?: (sample: () => Point) => Promise<Point>;
}

/** Longest single wait, simulated ms: the rate may change meanwhile (rush hour), and inter-arrival times are memoryless. */
const MAX_WAIT_MS = 60_000;

/**
 * Runs until `signal` (or `ordering`) aborts; resolves once every order it placed has been answered and, unless `signal`
 * aborted, marked ready.
 */
export async function runOrderGenerator(deps: OrderGeneratorDeps): Promise<void> {
  const { api, clock, random, tally, logger, signal } = deps;
  const placing = deps.ordering ? AbortSignal.any([signal, deps.ordering]) : signal;
  const radius = deps.dropRadiusM ?? DEFAULT_DROP_RADIUS_M;
  const prep = deps.prepMinutes ?? { min: 4, max: 14 };
  const inFlight = new Set<Promise<void>>();

  async function placeOne(): Promise<void> {
    const store = pick(random, deps.stores);
    const drop = deps.placeDrop
      ? await deps.placeDrop(() => sampleDrop(store, radius, random))
      : sampleDrop(store, radius, random);
    const items = [{ name: pick(random, MENU), qty: 1 + Math.floor(random() * 3) }];
    const prepMinutes = Math.round(between(random, prep.min, prep.max) * 10) / 10;
    const key = randomUUID();
    const clickedAt = clock.now();
    const input = { storeId: store.id, drop: { lat: round6(drop.lat), lon: round6(drop.lon) }, items, prepMinutes };
    let order;
    for (let attempt = 1; ; attempt++) {
      try {
        // The same key on the retry: if the first POST did create the order, the API answers it instead of a twin.
        order = await api.placeOrder(input, key);
        break;
      } catch (error) {
        if (attempt >= 3 || error instanceof ApiCallError) {
          tally.ordersFailed += 1;
          recordError(tally, 'order', error);
          logger.warn({ err: error, store: store.id }, 'could not place an order');
          return;
        }
        await sleep(200 * attempt, signal);
      }
    }
    tally.ordersPlaced += 1;
    await api.markCooking(order.id).catch((error) => {
      // 409: the order moved on without us (cancelled, or already picked up) — not a failure. A batched order still
      // takes the kitchen's step (it keeps its status and records cooking_started_at).
      if (error instanceof ApiCallError && error.status === 409) return;
      recordError(tally, 'cooking', error);
    });
    // The kitchen: ready once the prep time has passed since the click, on the simulated clock (nothing is marked after
    // a stop). Counted from the click, not from the answers, so a slow API does not lengthen the prep.
    await clock.sleep(prepMinutes * 60_000 - (clock.now() - clickedAt), signal);
    if (signal.aborted) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await api.markReady(order.id);
        tally.ordersReady += 1;
        return;
      } catch (error) {
        // 409: the order moved on without us (a rider already picked it up, or it was cancelled) — not a failure.
        if (error instanceof ApiCallError && error.status === 409) return;
        // An order never marked ready is never dispatched: a kitchen keeps pressing the button through an outage.
        if (isRetriable(error) && attempt < READY_ATTEMPTS && !signal.aborted) {
          await sleep(Math.min(500 * 2 ** (attempt - 1), 10_000), signal);
          if (!signal.aborted) continue;
        }
        recordError(tally, 'ready', error);
        logger.warn({ err: error, order: order.id, attempts: attempt }, 'could not mark ready');
        return;
      }
    }
  }

  function track(p: Promise<void>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  while (!placing.aborted) {
    const gap = nextArrivalGapMs(deps.mode, deps.rate, clock.now(), random());
    if (gap > MAX_WAIT_MS) {
      await clock.sleep(MAX_WAIT_MS, placing);
      continue; // memoryless: drawing again after waiting is the same process
    }
    await clock.sleep(gap, placing);
    if (placing.aborted) break;
    track(placeOne());
  }
  await Promise.allSettled([...inFlight]);
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

import type { Logger } from '../../internal/platform/logger.ts';
import { ApiCallError, type ApiClient, type StoreDto } from './api-client.ts';
import { pointAtBearing } from './geo-math.ts';
import { between, pick, sleep, type Random } from './random.ts';
import { nextArrivalGapMs, type SimulationMode, type VirtualClock } from './rate-schedule.ts';
import { recordError, type SimTally } from './summary.ts';
import { randomUUID } from 'node:crypto';

/**
 * The simulated customers and kitchens: places orders at the schedule's rate (Poisson arrivals), each with an
 * Idempotency-Key (a retried POST after a lost answer cannot create a second order), starts cooking at once and marks
 * the order ready when its prep time (virtual minutes) has passed.
 */

const MENU = ['Margherita', 'Ramen', 'Pad thai', 'Burger', 'Falafel wrap', 'Poke bowl', 'Tacos', 'Dal', 'Caesar salad', 'Pho'];

export interface OrderGeneratorDeps {
  api: ApiClient;
  stores: readonly StoreDto[];
  clock: VirtualClock;
  mode: SimulationMode;
  rate: number;
  random: Random;
  tally: SimTally;
  logger: Logger;
  /** Order id → wall-clock ms it was placed, for click-to-door when a simulated rider confirms it. */
  placedAt: Map<string, number>;
  signal: AbortSignal;
  /** Drops fall this far from their store (metres). */
  dropRadiusM?: { min: number; max: number };
  /** Prep time range, virtual minutes. */
  prepMinutes?: { min: number; max: number };
}

/** Longest single wait: the rate may change meanwhile (rush hour), and inter-arrival times are memoryless. */
const MAX_WAIT_MS = 2_000;

/** Runs until `signal` aborts; resolves once every order it started placing has been answered. */
export async function runOrderGenerator(deps: OrderGeneratorDeps): Promise<void> {
  const { api, clock, random, tally, logger, signal } = deps;
  const radius = deps.dropRadiusM ?? { min: 400, max: 2_500 };
  const prep = deps.prepMinutes ?? { min: 4, max: 14 };
  const inFlight = new Set<Promise<void>>();
  const readyTimers = new Set<NodeJS.Timeout>();

  async function placeOne(): Promise<void> {
    const store = pick(random, deps.stores);
    const drop = pointAtBearing(store, between(random, radius.min, radius.max), between(random, 0, 2 * Math.PI));
    const items = [{ name: pick(random, MENU), qty: 1 + Math.floor(random() * 3) }];
    const prepMinutes = Math.round(between(random, prep.min, prep.max) * 10) / 10;
    const key = randomUUID();
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
    deps.placedAt.set(order.id, Date.now());
    await api.markCooking(order.id).catch((error) => {
      // 409: the batcher took the order already (only a placed order starts cooking) — expected, not a failure.
      if (error instanceof ApiCallError && error.status === 409) return;
      recordError(tally, 'cooking', error);
    });
    const timer = setTimeout(() => {
      readyTimers.delete(timer);
      const p = api
        .markReady(order.id)
        .then(() => void (tally.ordersReady += 1))
        .catch((error) => {
          // 409: the order moved on without us (a rider already picked it up, or it was cancelled) — not a failure.
          if (error instanceof ApiCallError && error.status === 409) return;
          recordError(tally, 'ready', error);
          logger.warn({ err: error, order: order.id }, 'could not mark ready');
        });
      track(p);
    }, clock.realDurationOf(prepMinutes * 60_000));
    readyTimers.add(timer);
  }

  function track(p: Promise<void>): void {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  while (!signal.aborted) {
    const gap = nextArrivalGapMs(deps.mode, deps.rate, clock, Date.now(), random());
    if (gap > MAX_WAIT_MS) {
      await sleep(MAX_WAIT_MS, signal);
      continue; // memoryless: drawing again after waiting is the same process
    }
    await sleep(gap, signal);
    if (signal.aborted) break;
    track(placeOne());
  }
  for (const t of readyTimers) clearTimeout(t);
  await Promise.allSettled([...inFlight]);
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

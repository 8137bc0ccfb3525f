import type { Logger } from '../../internal/platform/logger.ts';
import { ApiCallError, type ApiClient, type BatchDto, type StoreDto } from './api-client.ts';
import { fixesAlong, pointAtBearing, type Point } from './geo-math.ts';
import type { PingBatcher } from './ping-batcher.ts';
import type { SimClock } from './sim-clock.ts';
import { between, sleep, type Random } from './random.ts';
import { recordError, type SimTally } from './summary.ts';

/**
 * One simulated rider: registers, goes idle, reports GPS fixes (batched with the other riders'), learns its assignment by polling `GET /riders/{id}`
 * (which names the batch it carries), rides to the store along the streets its router gives (straight segments
 * without one), picks up, rides the drops in the
 * refined stop order (or the batch's sequence before refinement), confirms each drop at the drop point, and is idle
 * again when the API says the batch is delivered. The API judges a drop on the rider's own last GPS fix, so the rider
 * posts a fix at the door (and waits for it to be taken) before every confirmation. Some confirmations are made
 * deliberately ~150 m away first (`farRate`: a fix there, then the confirmation), to see the API refuse them with 409
 * `delivery.too_far`.
 */

export interface RiderAgentDeps {
  api: ApiClient;
  name: string;
  start: Point;
  /** Stores by id: a batch's pickup point before its stops are refined. */
  stores: ReadonlyMap<string, StoreDto>;
  /** Where the GPS fixes go (batched into `POST /riders/locations`). */
  pings: PingBatcher;
  /** Real metres per second (virtual speed × time factor). */
  speedMps: number;
  /** Wall ms between GPS fixes while waiting; riding, one fix per `pingIntervalMs × speed` simulated ms. */
  pingIntervalMs: number;
  /** The simulated clock rides are timed on. */
  clock: SimClock;
  /** The API's clock (ms): GPS fixes are stamped in the API's time, simulated under `npm start`. */
  now(): number;
  farRate: number;
  random: Random;
  tally: SimTally;
  logger: Logger;
  signal: AbortSignal;
  /**
   * The streets between two points, as the rider's navigation app would give them (`npm start` passes its Router's
   * route geometry). Absent, or when it fails (an off-road drop, no route), the rider rides the straight line.
   */
  streets?: (from: Point, to: Point) => Promise<Point[]>;
}

/** How far the deliberate wrong confirmations are made from the drop (the API accepts 30 m). */
export const FAR_CONFIRM_M = 150;

/** The points a rider rides for a batch: its pickup, then every drop with its order id, in riding order. */
export function batchItinerary(
  batch: BatchDto,
  store: Point | undefined,
): { pickup: Point | null; drops: Array<Point & { orderId: string }> } {
  if (batch.stops && batch.stops.length > 0) {
    const pickup = batch.stops.find((s) => s.kind === 'pickup') ?? null;
    const drops = batch.stops
      .filter((s) => s.kind === 'drop' && s.order_id !== null)
      .map((s) => ({ lat: s.lat, lon: s.lon, orderId: s.order_id! }));
    return { pickup: pickup ? { lat: pickup.lat, lon: pickup.lon } : (store ?? null), drops };
  }
  const drops = [...batch.orders]
    .sort((a, b) => a.sequence - b.sequence)
    .map((o) => ({ lat: o.drop.lat, lon: o.drop.lon, orderId: o.id }));
  return { pickup: store ?? null, drops };
}

/**
 * The points a rider passes from `from` to `target`: along `streets` (the router's geometry, which starts and ends where
 * the two points snap onto the road, so the ride joins it from `from` and leaves it for `target`), or straight when
 * there is no router or it cannot answer (`onError` hears why).
 */
export async function legPath(
  from: Point,
  target: Point,
  streets?: (from: Point, to: Point) => Promise<Point[]>,
  onError: (error: unknown) => void = () => {},
): Promise<Point[]> {
  if (streets) {
    try {
      return [from, ...(await streets(from, target)), target];
    } catch (error) {
      onError(error);
    }
  }
  return [from, target];
}

export async function runRiderAgent(deps: RiderAgentDeps): Promise<void> {
  const { api, tally, logger, signal, random } = deps;
  let pos: Point = deps.start;

  const rider = await api.registerRider(deps.name, pos);
  const id = rider.id;
  tally.ridersRegistered += 1;
  const log = logger.child({ rider: deps.name, riderId: id });

  let lastStamp = Number.NEGATIVE_INFINITY;
  /**
   * A fix's `recorded_at`: the API's now, but always after the previous fix's. The server keeps only a strictly newer
   * fix, and the fix at the door often follows the ride's last one within the same millisecond.
   */
  function stamp(): number {
    lastStamp = Math.max(deps.now(), lastStamp + 1);
    return lastStamp;
  }

  /**
   * Reports a GPS fix through the shared ping batcher. Not awaited by the riding loop: the fix travels with the
   * others of this interval while the rider keeps moving, so the batching delay never slows the ride down.
   */
  function report(p: Point): void {
    pos = p;
    deps.pings.add(id, p, stamp()).then(
      () => {
        tally.pings += 1;
      },
      (error: unknown) => {
        recordError(tally, 'location', error);
        log.debug({ err: error }, 'location not accepted');
      },
    );
  }

  /**
   * Posts a fix at `p` and waits until the API has taken it: a drop confirmation is judged on the fix the server
   * holds, so the one at the door must be there before the confirmation is sent.
   */
  async function fixAt(p: Point): Promise<void> {
    pos = p;
    await deps.pings.add(id, p, stamp());
    tally.pings += 1;
  }

  /**
   * Rides to `target` along the streets (`deps.streets`; straight without it), one GPS fix per ping interval, and ends
   * exactly on `target` (a drop a few metres off the road is walked to). The interval is slept on the simulated
   * clock, so a slowed clock (a busy machine) slows the ride with it.
   */
  async function ride(target: Point): Promise<void> {
    const path = await legPath(pos, target, deps.streets, (error) =>
      log.debug({ err: error }, 'no street route; riding straight'),
    );
    for (const fix of fixesAlong(path, deps.speedMps, deps.pingIntervalMs)) {
      await deps.clock.sleep(deps.pingIntervalMs * deps.clock.speed, signal);
      if (signal.aborted) return;
      report(fix);
    }
  }

  /**
   * Pings in place and polls the rider until it carries a batch; null when stopped. Paced on the simulated clock like
   * the ride, so a slowed clock also slows the polling load.
   */
  async function waitForAssignment(): Promise<string | null> {
    const { clock } = deps;
    const pollEvery = Math.max(1_000, deps.pingIntervalMs) * clock.speed;
    let lastPoll = Number.NEGATIVE_INFINITY;
    while (!signal.aborted) {
      report(pos);
      if (clock.now() - lastPoll >= pollEvery) {
        lastPoll = clock.now();
        try {
          const me = await api.getRider(id);
          if (me.batch_id) return me.batch_id;
          if (me.status === 'offline') await api.setRiderIdle(id, pos);
        } catch (error) {
          recordError(tally, 'get rider', error);
          log.debug({ err: error }, 'could not read the rider');
        }
      }
      await clock.sleep(deps.pingIntervalMs * clock.speed, signal);
    }
    return null;
  }

  async function withRetries<T>(what: string, run: () => Promise<T>, attempts = 5): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await run();
      } catch (error) {
        if (
          i >= attempts ||
          signal.aborted ||
          (error instanceof ApiCallError && error.status < 500 && error.status !== 409)
        )
          throw error;
        log.debug({ err: error, attempt: i }, `${what} failed; retrying`);
        await sleep(500 * i, signal);
      }
    }
  }

  async function deliver(batchId: string): Promise<void> {
    const batch = await api.getBatch(batchId, id);
    const { pickup, drops } = batchItinerary(batch, deps.stores.get(batch.store_id));
    if (batch.status === 'assigned') {
      if (pickup) await ride(pickup);
      if (signal.aborted) return;
      await withRetries('pickup', () => api.pickup(batchId, id));
      tally.batchesPickedUp += 1;
    }
    const current = batch.status === 'picked_up' ? await api.getBatch(batchId, id) : batch;
    const pending = new Set(current.orders.filter((o) => o.status !== 'delivered').map((o) => o.id));
    for (const drop of drops) {
      if (!pending.has(drop.orderId)) continue;
      await ride(drop);
      if (signal.aborted) return;
      if (random() < deps.farRate) {
        try {
          const far = pointAtBearing(drop, FAR_CONFIRM_M, between(random, 0, 2 * Math.PI));
          await fixAt(far);
          await api.confirmDelivery(batchId, drop.orderId, id, far);
          log.warn({ order: drop.orderId }, `a confirmation ${FAR_CONFIRM_M} m from the drop was accepted`);
        } catch (error) {
          if (error instanceof ApiCallError && error.status === 409 && error.code === 'delivery.too_far')
            tally.tooFar409 += 1;
          else throw error;
        }
      }
      // At the door: a few metres of GPS noise, well inside the 30 m the API accepts.
      const at = pointAtBearing(drop, between(random, 0, 5), between(random, 0, 2 * Math.PI));
      let result;
      try {
        // Every attempt posts its fix first: a retry after a slow answer must not be judged on an old fix.
        result = await withRetries('confirm', async () => {
          await fixAt(at);
          return api.confirmDelivery(batchId, drop.orderId, id, at);
        });
      } catch (error) {
        if (error instanceof ApiCallError && error.code === 'delivery.too_far') tally.tooFar409 += 1;
        throw error;
      }
      tally.delivered += 1;
      if (result.batch_delivered) tally.batchesDelivered += 1;
    }
  }

  try {
    await work();
  } finally {
    // Off shift at the end of the run, so the map and dispatch do not keep a rider nobody drives. A rider stopped
    // mid-batch cannot go off shift (409): it stays assigned, as a real one whose app died would.
    await api.setRiderOffline(id).catch(() => {});
  }

  async function work(): Promise<void> {
    while (!signal.aborted) {
      const batchId = await waitForAssignment();
      if (!batchId) break;
      tally.ridersBusy += 1;
      try {
        await deliver(batchId);
      } catch (error) {
        recordError(tally, 'batch', error);
        log.warn({ err: error, batchId }, 'could not finish the batch');
        await sleep(2_000, signal);
      } finally {
        tally.ridersBusy -= 1;
      }
    }
  }
}

/**
 * The worker's hindsight job: for every delivered batch whose decision window is over, gathers what is known after the
 * fact from Postgres (actual ready marks, the riders' pickups, the earlier batches of the same store, the riders who
 * were free around the decision) and the router's travel times, asks the dispatch domain for the regret
 * (internal/dispatch/hindsight-regret.ts) and records it (regret-recorder.ts).
 *
 * A batch is due once `REGRET_WINDOW_SECONDS` have passed since its decision (riders freed in that time count as free)
 * and every batch of its store decided in the window before it is over too (its facts are final). A window neighbour
 * that never finishes stops holding the batch back an hour after the decision. Batches decided more than a day ago are
 * not taken up.
 */
import { sql } from 'kysely';
import {
  batchRegret,
  type ExecutedTrip,
  type FreeRider,
  type HindsightOrder,
  REGRET_WINDOW_SECONDS,
} from '../dispatch/hindsight-regret.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { recordHindsight } from './regret-recorder.ts';
import { fetchTravelTimes } from './router-travel-time.ts';

const S = 1000;
/** Batches handled per run: each costs a few queries and one router table. */
export const HINDSIGHT_BATCHES_PER_RUN = 25;
/** An unfinished window neighbour stops holding a batch back this long after its decision. */
const NEIGHBOUR_PATIENCE_MS = 3_600_000;
/**
 * Batches decided longer ago are left alone (those delivered before migration 0013, or while no worker ran): the job
 * stays a scan of one day of delivered batches, and a backlog cannot grow without bound.
 */
export const HINDSIGHT_HORIZON_MS = 86_400_000;

interface BatchFacts {
  id: string;
  store_id: string;
  rider_id: string;
  assigned_at: Date;
  picked_up_at: Date;
  estimated_cost_s: number;
  refined_cost_s: number | null;
}

/** Computes and records the regret of the batches that are due; answers how many were recorded. */
export async function computeDueRegrets(deps: PipelineDeps, limit = HINDSIGHT_BATCHES_PER_RUN): Promise<number> {
  const { db, clock, logger } = deps;
  const now = clock.now();
  const windowMs = REGRET_WINDOW_SECONDS * S;
  const due = await db
    .selectFrom('batches as b')
    .leftJoin('batch_regret as r', 'r.batch_id', 'b.id')
    .select([
      'b.id',
      'b.store_id',
      'b.rider_id',
      'b.assigned_at',
      'b.picked_up_at',
      'b.estimated_cost_s',
      'b.refined_cost_s',
    ])
    .where('b.status', '=', 'delivered')
    .where('b.rider_id', 'is not', null)
    .where('b.picked_up_at', 'is not', null)
    .where('b.assigned_at', '<=', new Date(now - windowMs))
    .where('b.assigned_at', '>=', new Date(now - HINDSIGHT_HORIZON_MS))
    .where('r.regret_s', 'is', null)
    .where(({ exists, selectFrom, and, or, eb }) =>
      or([
        eb('b.assigned_at', '<', new Date(now - NEIGHBOUR_PATIENCE_MS)),
        eb.not(
          exists(
            selectFrom('batches as n')
              .select(sql`1`.as('one'))
              .where((w) =>
                and([
                  w('n.store_id', '=', w.ref('b.store_id')),
                  w('n.status', 'not in', ['delivered', 'cancelled']),
                  w('n.assigned_at', '<=', w.ref('b.assigned_at')),
                  w(
                    'n.assigned_at',
                    '>=',
                    sql<Date>`b.assigned_at - ${sql.lit(`${REGRET_WINDOW_SECONDS} seconds`)}::interval`,
                  ),
                ]),
              ),
          ),
        ),
      ]),
    )
    .orderBy('b.assigned_at')
    .limit(limit)
    .execute();
  let recorded = 0;
  for (const b of due) {
    try {
      await computeOne(deps, b as BatchFacts);
      recorded++;
    } catch (error) {
      // One batch the router cannot price (a drop off the road network) must not hold back the others.
      logger.warn({ batchId: b.id, err: error }, 'batch regret not computed; retried next run');
    }
  }
  return recorded;
}

async function computeOne(deps: PipelineDeps, b: BatchFacts): Promise<void> {
  const { db, params, router } = deps;
  const windowMs = REGRET_WINDOW_SECONDS * S;
  const decidedAt = b.assigned_at.getTime();
  const neighbours = (await db
    .selectFrom('batches')
    .select(['id', 'store_id', 'rider_id', 'assigned_at', 'picked_up_at', 'estimated_cost_s', 'refined_cost_s'])
    .where('store_id', '=', b.store_id)
    .where('status', '=', 'delivered')
    .where('id', '<>', b.id)
    .where('rider_id', 'is not', null)
    .where('picked_up_at', 'is not', null)
    .where('assigned_at', '>=', new Date(decidedAt - windowMs))
    .where('assigned_at', '<=', b.assigned_at)
    // A tie in decision time goes to the batch with the smaller id: each pair is charged once.
    .where((eb) => eb.or([eb('assigned_at', '<', b.assigned_at), eb('id', '<', b.id)]))
    .orderBy('assigned_at', 'desc')
    .limit(3)
    .execute()) as BatchFacts[];
  const batchIds = [b.id, ...neighbours.map((n) => n.id)];
  const orderRows = await db
    .selectFrom('batch_orders as bo')
    .innerJoin('orders as o', 'o.id', 'bo.order_id')
    .select([
      'bo.batch_id',
      'o.id',
      'o.drop_lat',
      'o.drop_lon',
      'o.ready_at',
      'o.ready_marked_at',
      'o.promised_at',
      'o.delivered_at',
    ])
    .where('bo.batch_id', 'in', batchIds)
    .where('o.status', '=', 'delivered')
    .orderBy('o.delivered_at')
    .orderBy('bo.sequence')
    .execute();
  const store = await db
    .selectFrom('stores')
    .select(['lat', 'lon'])
    .where('id', '=', b.store_id)
    .executeTakeFirstOrThrow();
  const storeAt = { lat: store.lat, lon: store.lon };
  const executed = (f: BatchFacts): ExecutedTrip => ({
    batchId: f.id,
    riderId: f.rider_id,
    decidedAt: f.assigned_at.getTime(),
    // The rider stood at the store a pickup service before the recorded pickup — counted from the decision at the
    // earliest, as for the free riders: waiting there before it was not this decision's cost.
    atStoreAt: Math.max(f.assigned_at.getTime(), f.picked_up_at.getTime() - params.service.pickupBeforeSeconds * S),
    sequence: orderRows
      .filter((o) => o.batch_id === f.id)
      .map(
        (o): HindsightOrder => ({
          id: o.id,
          drop: { lat: o.drop_lat, lon: o.drop_lon },
          readyAt: (o.ready_marked_at ?? o.ready_at).getTime(),
          promisedAt: o.promised_at.getTime(),
          deliveredAt: o.delivered_at?.getTime() ?? null,
        }),
      ),
  });
  const trip = executed(b);
  if (trip.sequence.length === 0) return; // every order was cancelled: nothing was delivered, no decision to judge
  const freeRiders = await freeRidersAround(deps, decidedAt, [b.rider_id, ...neighbours.map((n) => n.rider_id)]);
  const drops = orderRows.map((o) => ({ lat: o.drop_lat, lon: o.drop_lon }));
  const travel = await fetchTravelTimes(router, [[storeAt, ...drops]], {
    from: freeRiders.map((r) => r.location),
    to: [storeAt],
  });
  const regret = batchRegret(
    {
      store: storeAt,
      batch: trip,
      neighbours: neighbours.map(executed).filter((n) => n.sequence.length > 0),
      freeRiders,
      capacity: params.batchCapacity,
    },
    travel,
    params.service,
  );
  await recordHindsight(
    deps,
    {
      batchId: b.id,
      storeId: b.store_id,
      decidedAt: b.assigned_at,
      orderCount: trip.sequence.length,
      estimatedS: b.estimated_cost_s,
      refinedS: b.refined_cost_s ?? b.estimated_cost_s,
    },
    regret,
  );
}

/**
 * Riders free around `decidedAt`: their last batch ended (its closing drop, where they stood) within the decision
 * window either side, and they had no other batch between that drop and the decision. Riders who never carried a
 * batch have no known position in hindsight and are not seen.
 */
async function freeRidersAround(deps: PipelineDeps, decidedAt: number, exclude: string[]): Promise<FreeRider[]> {
  const windowMs = REGRET_WINDOW_SECONDS * S;
  const from = new Date(decidedAt - windowMs);
  const to = new Date(decidedAt + windowMs);
  const decided = new Date(decidedAt);
  const { rows } = await sql<{ rider_id: string; delivered_at: Date; lat: number; lon: number }>`
    select distinct on (x.rider_id) x.rider_id, x.delivered_at, o.delivered_lat as lat, o.delivered_lon as lon
    from batches x
    join batch_orders bo on bo.batch_id = x.id
    join orders o on o.id = bo.order_id and o.delivery_closed_batch and o.delivered_lat is not null
    where x.status = 'delivered' and x.delivered_at >= ${from} and x.delivered_at <= ${to}
      and x.rider_id is not null and not (x.rider_id = any(${exclude}::uuid[]))
      and not exists (
        select 1 from batches y
        where y.rider_id = x.rider_id and y.assigned_at > x.delivered_at and y.assigned_at <= greatest(${decided}::timestamptz, x.delivered_at))
    order by x.rider_id, x.delivered_at desc`.execute(deps.db);
  return rows.map((r) => ({
    riderId: r.rider_id,
    location: { lat: r.lat, lon: r.lon },
    freeAt: new Date(r.delivered_at).getTime(),
  }));
}

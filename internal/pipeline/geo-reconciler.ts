/**
 * Rebuilds the geo store from Postgres (the truth) when it lost its data — Redis restarted empty, or a fresh in-memory
 * store. Without it, idle riders stay `offline` in the geo store (their pings bring positions back, never the status)
 * and dispatch finds nobody until each rider posts its status again by hand.
 *
 * Detection is one GET: the reconciler writes an epoch marker (GeoStore `setEpoch`) after every rebuild; a store that
 * lost its data has no marker. A rebuild then restores, idempotently:
 * - every hot-path template's corridor (`indexPath` replaces, so a path re-indexed meanwhile is unharmed);
 * - riders carrying a batch (assigned / delivering in Postgres) as `busy` with that batch;
 * - idle riders as `available`, at their last known position when that fix is younger than the store's TTL (the
 *   freshest of `riders.last_*` and the GPS history), so they are dispatchable at once; older ones become
 *   dispatchable with their next ping, as always.
 * The marker is written last, so a rebuild that fails half-way is simply done again next period.
 *
 * Race, accepted: a shift change committed between our read of Postgres and our write could be overwritten by the
 * rebuild for that one rider. Dispatch still claims a rider in Postgres only while it is `idle` there (claimRiderRow),
 * so the worst outcome is a lost claim, and the next shift change or delivery re-asserts the mirror.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { GeoStore } from '../geostore/geo-store.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import { telemetryDb } from '../telemetry/history-repository.ts';

export interface ReconcilerDeps {
  db: Kysely<Database>;
  geoStore: GeoStore;
  clock: Clock;
  logger: Logger;
}

export interface ReconcileOutcome {
  /** False when the marker was there (nothing was lost; one GET was all the work). */
  rebuilt: boolean;
  paths: number;
  /** Idle riders set available. */
  available: number;
  /** Riders restored as busy with their batch. */
  busy: number;
  /** Riders whose position was seeded from a fresh fix. */
  positioned: number;
}

const PAGE = 500;

/** Checks the marker and, when it is gone, rebuilds paths and rider state from Postgres. */
export async function reconcileGeoStore(deps: ReconcilerDeps): Promise<ReconcileOutcome> {
  const outcome: ReconcileOutcome = { rebuilt: false, paths: 0, available: 0, busy: 0, positioned: 0 };
  if ((await deps.geoStore.getEpoch()) !== null) return outcome;
  const started = deps.clock.now();
  outcome.rebuilt = true;
  outcome.paths = await reindexPaths(deps);
  await restoreRiders(deps, outcome);
  await deps.geoStore.setEpoch(randomUUID());
  const restored = outcome.paths + outcome.available + outcome.busy + outcome.positioned;
  // A store with no marker and nothing in Postgres to restore is a first start, not a loss: no warning for that.
  if (restored > 0)
    deps.logger.warn(
      { ...outcome, ms: deps.clock.now() - started },
      'geo store had lost its data: rebuilt from Postgres',
    );
  else deps.logger.info({ ms: deps.clock.now() - started }, 'geo store marked (a first start: nothing to restore)');
  return outcome;
}

/** Every path template, re-indexed under its stored corridor, a page at a time (keyset on id). */
async function reindexPaths(deps: ReconcilerDeps): Promise<number> {
  let after: string | null = null;
  let count = 0;
  for (;;) {
    const page = await deps.db
      .selectFrom('path_templates')
      .select(['id', 'corridor_cells'])
      .$if(after !== null, (q) => q.where('id', '>', after!))
      .orderBy('id')
      .limit(PAGE)
      .execute();
    if (page.length === 0) return count;
    await Promise.all(page.map((p) => deps.geoStore.indexPath(p.id, p.corridor_cells)));
    count += page.length;
    after = page[page.length - 1]!.id;
  }
}

interface Fix {
  lat: number;
  lon: number;
  /** The device's time of the fix (orders pings in the geo store). */
  recordedAt: number;
  /** When the server received it. */
  receivedAt: number;
}

async function restoreRiders(deps: ReconcilerDeps, outcome: ReconcileOutcome): Promise<void> {
  const { db, geoStore } = deps;
  const cutoff = deps.clock.now() - geoStore.riderTtlMs;
  // Keyset paging; no lower bound on the first page ('' is not a uuid).
  let after: string | null = null;
  for (;;) {
    const riders = await db
      .selectFrom('riders')
      .select(['id', 'status', 'last_lat', 'last_lon', 'last_seen_at'])
      .where('status', 'in', ['idle', 'assigned', 'delivering'])
      .$if(after !== null, (q) => q.where('id', '>', after!))
      .orderBy('id')
      .limit(PAGE)
      .execute();
    if (riders.length === 0) return;
    after = riders[riders.length - 1]!.id;
    const ids = riders.map((r) => r.id);
    const batches = await db
      .selectFrom('batches')
      .select(['id', 'rider_id'])
      .where('rider_id', 'in', ids)
      .where('status', 'in', ['assigned', 'picked_up'])
      .execute();
    const batchOf = new Map(batches.map((b) => [b.rider_id!, b.id]));
    const fixes = await latestFixes(db, ids, cutoff);
    await Promise.all(
      riders.map(async (r) => {
        let fix = fixes.get(r.id);
        const seen = r.last_seen_at?.getTime();
        if (
          r.last_lat !== null &&
          r.last_lon !== null &&
          seen !== undefined &&
          seen > cutoff &&
          (!fix || seen > fix.receivedAt)
        ) {
          fix = { lat: r.last_lat, lon: r.last_lon, recordedAt: seen, receivedAt: seen };
        }
        // A ping that arrived since the restart wins: seed only where the store has no live position (as markAvailable
        // does; `recordedAt` of a seed from `riders.last_seen_at` is server time and must not shadow device pings).
        if (fix && (await geoStore.getRiderPosition(r.id)) === null) {
          await geoStore.updateRiderPosition(r.id, { lat: fix.lat, lon: fix.lon, recordedAt: fix.recordedAt });
          outcome.positioned++;
        }
        const batchId = batchOf.get(r.id);
        if (r.status === 'idle') {
          await geoStore.setRiderAvailability(r.id, 'available');
          outcome.available++;
        } else {
          // A rider assigned in Postgres whose batch row we cannot see (should not happen) stays busy without one.
          await geoStore.setRiderAvailability(r.id, 'busy', batchId);
          outcome.busy++;
        }
      }),
    );
  }
}

/**
 * The newest GPS fix the server received after `cutoffMs` for each of `riderIds`, from the history table. Filtered on
 * `received_at` (the server's clock), not on `recorded_at`: a device with a wrong clock is still heard.
 */
export async function latestFixes(
  db: Kysely<Database>,
  riderIds: readonly string[],
  cutoffMs: number,
): Promise<Map<string, Fix>> {
  const fixes = new Map<string, Fix>();
  if (riderIds.length === 0) return fixes;
  const rows = await telemetryDb(db)
    .selectFrom('rider_locations')
    .select(['rider_id', 'lat', 'lon', 'recorded_at', 'received_at'])
    .distinctOn('rider_id')
    .where('rider_id', 'in', [...riderIds])
    .where('received_at', '>', new Date(cutoffMs))
    .orderBy('rider_id')
    .orderBy('received_at', 'desc')
    .execute();
  for (const row of rows) {
    fixes.set(row.rider_id, {
      lat: row.lat,
      lon: row.lon,
      recordedAt: row.recorded_at.getTime(),
      receivedAt: row.received_at.getTime(),
    });
  }
  return fixes;
}

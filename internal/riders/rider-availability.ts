import type { GeoStore } from '../geostore/geo-store.ts';
import type { Logger } from '../platform/logger.ts';

/** The part of the geo store the API's rider and delivery services use. */
export type RiderAvailabilityPort = Pick<
  GeoStore,
  'updateRiderPosition' | 'getRiderPosition' | 'setRiderAvailability' | 'releaseRider'
>;

export interface KnownPosition {
  lat: number;
  lon: number;
}

/**
 * Makes a rider dispatchable in the geo store: available, at `position` when the store has no live position for it
 * (a device that keeps pinging is newer than anything we know, so we never overwrite its position). A seeded position
 * carries the server's time as `recordedAt` and, like any position, expires after the store's TTL unless pings follow.
 *
 * With `batchId`, a rider the dispatcher claimed for that batch is released; a rider that was never claimed in the
 * geo store (e.g. the store was rebuilt) is set available directly — Postgres, which just said "idle", is the truth.
 *
 * Runs after the Postgres transaction committed. The geo store is rebuildable hot state, so a failure is logged,
 * not thrown: the committed business change stands and the next ping or shift change repairs the mirror.
 */
export async function markAvailable(
  geo: RiderAvailabilityPort,
  logger: Logger,
  riderId: string,
  position: KnownPosition | null,
  nowMs: number,
  batchId?: string,
): Promise<void> {
  try {
    if (position && (await geo.getRiderPosition(riderId)) === null) {
      await geo.updateRiderPosition(riderId, { lat: position.lat, lon: position.lon, recordedAt: nowMs });
    }
    const released = batchId !== undefined && (await geo.releaseRider(riderId, batchId));
    if (!released) await geo.setRiderAvailability(riderId, 'available');
  } catch (error) {
    logger.warn({ err: error, riderId }, 'could not mark the rider available in the geo store');
  }
}

/** Takes a rider out of dispatch (off shift). Logged, not thrown, for the same reason as {@link markAvailable}. */
export async function markOffline(geo: RiderAvailabilityPort, logger: Logger, riderId: string): Promise<void> {
  try {
    await geo.setRiderAvailability(riderId, 'offline');
  } catch (error) {
    logger.warn({ err: error, riderId }, 'could not mark the rider offline in the geo store');
  }
}

/** Records a position the rider reported (registration) without changing its availability. */
export async function recordPosition(
  geo: RiderAvailabilityPort,
  logger: Logger,
  riderId: string,
  position: KnownPosition,
  nowMs: number,
): Promise<void> {
  try {
    await geo.updateRiderPosition(riderId, { lat: position.lat, lon: position.lon, recordedAt: nowMs });
  } catch (error) {
    logger.warn({ err: error, riderId }, 'could not record the rider position in the geo store');
  }
}

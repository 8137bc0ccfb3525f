import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, RiderStatus } from '../db/schema.ts';
import { riderUpdated } from '../orders/order-events.ts';
import { enqueue } from '../outbox/outbox.ts';
import type { Clock } from '../platform/clock.ts';
import { conflict, notFound } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import {
  markAvailable,
  markOffline,
  recordPosition,
  type KnownPosition,
  type RiderAvailabilityPort,
} from './rider-availability.ts';
import { shiftChange, type ShiftStatus } from './rider-lifecycle.ts';
import { activeBatchOfRider, findRider, type RiderRow } from './rider-repository.ts';

export interface RiderServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  geo: RiderAvailabilityPort;
  logger: Logger;
}

export interface NewRider {
  name: string;
  /** Where the rider is; needed before dispatch can find it (a ping works too). */
  position?: KnownPosition;
  /** `offline` (default) or `idle` = on shift and available at once. */
  status?: ShiftStatus;
}

export interface RiderView extends RiderRow {
  /** The batch it carries, when assigned or delivering. */
  batch_id: string | null;
}

export interface RiderService {
  register(input: NewRider): Promise<RiderView>;
  get(id: string): Promise<RiderView>;
  /** On / off shift; a repeat of the current status is a no-op answered like a change. */
  setShiftStatus(id: string, status: ShiftStatus, position?: KnownPosition): Promise<RiderView>;
}

/** Riders: registered through the API, status kept in Postgres, availability mirrored in the geo store. */
export function createRiderService(deps: RiderServiceDeps): RiderService {
  const { db, clock, geo, logger } = deps;

  const riderNotFound = (id: string) => notFound('rider.not_found', `rider ${id} does not exist`, { rider_id: id });

  const positionOf = (row: RiderRow): KnownPosition | null =>
    row.last_lat !== null && row.last_lon !== null ? { lat: row.last_lat, lon: row.last_lon } : null;

  return {
    async register(input) {
      const now = new Date(clock.now());
      const status: RiderStatus = input.status ?? 'offline';
      const row = await db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('riders')
          .values({
            id: randomUUID(),
            name: input.name,
            status,
            last_lat: input.position?.lat ?? null,
            last_lon: input.position?.lon ?? null,
            last_seen_at: input.position ? now : null,
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await enqueue(trx, [riderUpdated(inserted, now, { batchId: null, position: input.position ?? null })]);
        return inserted;
      });
      if (status === 'idle') await markAvailable(geo, logger, row.id, positionOf(row), now.getTime());
      else if (input.position) await recordPosition(geo, logger, row.id, input.position, now.getTime());
      return { ...row, batch_id: null };
    },

    async get(id) {
      const row = await findRider(db, id);
      if (!row) throw riderNotFound(id);
      return { ...row, batch_id: await activeBatchOfRider(db, id) };
    },

    async setShiftStatus(id, wanted, position) {
      const now = new Date(clock.now());
      const row = await db.transaction().execute(async (trx) => {
        const current = await findRider(trx, id, true);
        if (!current) throw riderNotFound(id);
        const outcome = shiftChange(current.status, wanted);
        if (outcome === 'illegal') {
          throw conflict(
            'rider.illegal_transition',
            `rider ${id} cannot go from ${current.status} to ${wanted} while it carries a batch`,
            {
              from: current.status,
              to: wanted,
            },
          );
        }
        if (outcome === 'same' && !position) return current;
        const updated = await trx
          .updateTable('riders')
          .set({
            status: wanted,
            updated_at: now,
            ...(position ? { last_lat: position.lat, last_lon: position.lon, last_seen_at: now } : {}),
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await enqueue(trx, [riderUpdated(updated, now, { batchId: null, position: positionOf(updated) })]);
        return updated;
      });
      // A repeat still re-asserts the mirror: that is how an operator repairs a geo store that lost its state.
      if (row.status === 'idle') await markAvailable(geo, logger, id, positionOf(row), now.getTime());
      else await markOffline(geo, logger, id);
      return { ...row, batch_id: null };
    },
  };
}

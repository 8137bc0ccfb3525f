/**
 * Test fixtures for the dispatch chain: rows as the API writes them (stores, riders, orders) and pipeline deps over
 * given adapters. Used by the pipeline's own tests, the e2e test and the benchmark; not used by production code.
 */
import { randomUUID } from 'node:crypto';
import { latLngToCell } from 'h3-js';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import type { Database } from '../db/schema.ts';
import { resolveDispatchParams, type DispatchParamsInput } from '../dispatch/params.ts';
import type { EventBus, KeyPartitioner } from '../eventbus/event-bus.ts';
import type { GeoStore } from '../geostore/geo-store.ts';
import { systemClock, type Clock } from '../platform/clock.ts';
import { silentLogger, type Logger } from '../platform/logger.ts';
import type { Router } from '../routing/router.ts';
import type { StoreRow } from './batch-rows.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

export interface FixtureDepsInput {
  db: Kysely<Database>;
  bus: EventBus & KeyPartitioner;
  geoStore: GeoStore;
  router: Router;
  clock?: Clock;
  logger?: Logger;
  dispatch?: DispatchParamsInput;
}

export function fixtureDeps(input: FixtureDepsInput): PipelineDeps {
  return {
    db: input.db,
    bus: input.bus,
    geoStore: input.geoStore,
    router: input.router,
    clock: input.clock ?? systemClock,
    logger: input.logger ?? silentLogger,
    registry: new Registry(),
    params: resolveDispatchParams(input.dispatch),
    consume: { maxAttempts: 3, backoffMs: 10 },
  };
}

export async function insertStore(
  db: Kysely<Database>,
  at: { lat: number; lon: number },
  resolution = 8,
): Promise<StoreRow> {
  const id = randomUUID();
  await db
    .insertInto('stores')
    .values({
      id,
      name: `store ${id.slice(0, 8)}`,
      lat: at.lat,
      lon: at.lon,
      h3_cell: latLngToCell(at.lat, at.lon, resolution),
    })
    .execute();
  return { id, lat: at.lat, lon: at.lon };
}

export interface FixtureOrder {
  drop: { lat: number; lon: number };
  placedAt: number;
  /** Kitchen estimate, minutes after placement. Default 15. */
  prepMinutes?: number;
  /** Promised delivery, minutes after placement. Default 45. */
  promiseMinutes?: number;
}

/** Inserts an order as POST /orders does (status placed) and answers its id and cell. */
export async function insertOrder(
  db: Kysely<Database>,
  storeId: string,
  order: FixtureOrder,
  resolution = 8,
): Promise<{ id: string; cell: string }> {
  const id = randomUUID();
  const cell = latLngToCell(order.drop.lat, order.drop.lon, resolution);
  const minute = 60_000;
  await db
    .insertInto('orders')
    .values({
      id,
      store_id: storeId,
      drop_lat: order.drop.lat,
      drop_lon: order.drop.lon,
      h3_cell: cell,
      items: JSON.stringify([{ sku: 'x', qty: 1 }]),
      placed_at: new Date(order.placedAt),
      ready_at: new Date(order.placedAt + (order.prepMinutes ?? 15) * minute),
      promised_at: new Date(order.placedAt + (order.promiseMinutes ?? 45) * minute),
    })
    .execute();
  return { id, cell };
}

/** Inserts an idle rider at `at` and makes it available in the geo store. */
export async function insertRider(
  db: Kysely<Database>,
  geoStore: GeoStore,
  at: { lat: number; lon: number },
  now: number,
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('riders')
    .values({
      id,
      name: `rider ${id.slice(0, 8)}`,
      status: 'idle',
      last_lat: at.lat,
      last_lon: at.lon,
      last_seen_at: new Date(now),
    })
    .execute();
  await geoStore.updateRiderPosition(id, { lat: at.lat, lon: at.lon, recordedAt: now });
  await geoStore.setRiderAvailability(id, 'available');
  return id;
}

/** A point `northM` metres north and `eastM` metres east of `origin` (small offsets). */
export function offset(
  origin: { lat: number; lon: number },
  northM: number,
  eastM: number,
): { lat: number; lon: number } {
  // Metres per degree on the sphere haversineM uses, so a pure north offset of d metres is d metres by haversineM.
  const metresPerDegree = (6_371_008.8 * Math.PI) / 180;
  const dLat = northM / metresPerDegree;
  const dLon = eastM / (metresPerDegree * Math.cos((origin.lat * Math.PI) / 180));
  return { lat: origin.lat + dLat, lon: origin.lon + dLon };
}

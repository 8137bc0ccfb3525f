import { z } from '@hono/zod-openapi';
import type { LiveStatsService } from '../../../internal/live-stats/live-stats-service.ts';
import { unavailable } from '../../../internal/platform/errors.ts';

/** What the live map routes need from the composition root. */
export interface MapRouteDeps {
  /** Snapshot and figures; without it `/map/state` and `/stats/live` answer 503 `api.services_missing`. */
  liveStats?: LiveStatsService | undefined;
  /** Leaflet tile URL template (config `MAP_TILE_URL`); unset draws the offline grid. */
  mapTileUrl?: string | undefined;
}

export function liveStatsOf(deps: MapRouteDeps): LiveStatsService {
  if (!deps.liveStats) throw unavailable('api.services_missing', 'this API instance was built without its live-map service');
  return deps.liveStats;
}

const RiderStatus = z.enum(['offline', 'idle', 'assigned', 'delivering']);
const OrderStatus = z.enum(['placed', 'cooking', 'ready', 'batched', 'assigned', 'picked_up', 'delivered', 'cancelled']);
const BatchStatus = z.enum(['open', 'sealed', 'assigned', 'picked_up', 'delivered', 'cancelled']);

export const LiveStatsSchema = z
  .object({
    at: z.string(),
    since: z.string().openapi({ description: 'Start of the UTC day the daily figures cover.' }),
    orders: z.object({
      placed: z.number().int().openapi({ description: 'Orders placed today.' }),
      delivered: z.number().int().openapi({ description: 'Orders delivered today.' }),
      cancelled: z.number().int(),
      active: z.number().int().openapi({ description: 'Orders neither delivered nor cancelled.' }),
    }),
    riders: z.object({
      idle: z.number().int(),
      busy: z.number().int().openapi({ description: 'Assigned or delivering.' }),
      offline: z.number().int(),
    }),
    batches: z.object({ active: z.number().int().openapi({ description: 'Open, sealed, assigned or picked up.' }) }),
    meanClickToDoorS: z.number().nullable().openapi({ description: 'Mean seconds from placement to delivery of the orders delivered today.' }),
  })
  .openapi('LiveStats');

export const MapSnapshotSchema = z
  .object({
    at: z.string(),
    stores: z.array(z.object({ id: z.string(), name: z.string(), lat: z.number(), lon: z.number() })),
    riders: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        status: RiderStatus,
        lat: z.number().nullable(),
        lon: z.number().nullable(),
        recordedAt: z.string().nullable(),
        source: z.enum(['geo', 'db']).nullable().openapi({ description: '`geo`: live position; `db`: last known (stale).' }),
        batchId: z.string().nullable(),
      }),
    ),
    orders: z.array(
      z.object({
        id: z.string(),
        storeId: z.string(),
        status: OrderStatus,
        lat: z.number().openapi({ description: 'Drop point.' }),
        lon: z.number(),
        batchId: z.string().nullable(),
        riderId: z.string().nullable(),
        placedAt: z.string(),
      }),
    ),
    batches: z.array(
      z.object({
        id: z.string(),
        storeId: z.string(),
        status: BatchStatus,
        riderId: z.string().nullable(),
        orderIds: z.array(z.string()),
        stops: z
          .array(z.object({ kind: z.enum(['pickup', 'drop']), orderId: z.string().nullable(), lat: z.number(), lon: z.number(), eta: z.string() }))
          .nullable(),
        path: z.array(z.tuple([z.number(), z.number()])).nullable().openapi({ description: 'Hot path geometry as [lat, lon] pairs.' }),
      }),
    ),
    stats: LiveStatsSchema,
  })
  .openapi('MapSnapshot');

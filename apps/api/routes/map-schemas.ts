import { z } from '@hono/zod-openapi';
import type { LiveStatsService } from '../../../internal/live-stats/live-stats-service.ts';
import { unavailable } from '../../../internal/platform/errors.ts';

/** What the live map routes need from the composition root. */
export interface MapRouteDeps {
  /** Snapshot and figures; without it `/map/state` and `/stats/live` answer 503 `api.services_missing`. */
  liveStats?: LiveStatsService | undefined;
  /** Leaflet tile URL template (config `MAP_TILE_URL`); unset draws the offline base layer. */
  mapTileUrl?: string | undefined;
  /**
   * The city's streets as GeoJSON (`npm run roads` writes data/<city>/roads.geojson), served at `/map/roads.geojson`
   * and drawn as the base layer when `mapTileUrl` is unset; absent, the offline grid alone.
   */
  roadLayerFile?: string | undefined;
}

export function liveStatsOf(deps: MapRouteDeps): LiveStatsService {
  if (!deps.liveStats)
    throw unavailable('api.services_missing', 'this API instance was built without its live-map service');
  return deps.liveStats;
}

const RiderStatus = z.enum(['offline', 'idle', 'assigned', 'delivering']);
const OrderStatus = z.enum([
  'placed',
  'cooking',
  'ready',
  'batched',
  'assigned',
  'picked_up',
  'delivered',
  'cancelled',
]);
const BatchStatus = z.enum(['open', 'sealed', 'assigned', 'picked_up', 'delivered', 'cancelled']);

export const LiveStatsSchema = z
  .object({
    at: z.string().openapi({ description: 'Clock time of the figures (simulated time when `timeScale` > 1).' }),
    since: z.string().openapi({ description: 'Start of the UTC day the daily figures cover.' }),
    timeScale: z.number().openapi({
      description:
        'Clock seconds per wall-clock second: 1 normally; the speed-up when the city runs on a simulated clock (`npm start`), in which case every time and duration here is simulated.',
    }),
    orders: z.object({
      placed: z.number().int().openapi({ description: 'Orders placed today.' }),
      delivered: z.number().int().openapi({ description: 'Orders delivered today.' }),
      cancelled: z.number().int(),
      active: z.number().int().openapi({ description: 'Orders neither delivered nor cancelled.' }),
      unassigned: z.number().int().openapi({
        description: 'Active orders no rider carries yet (placed, cooking, ready, batched): the dispatch backlog.',
      }),
      waitingForRider: z.number().int().openapi({ description: 'Unassigned orders whose ready time has passed.' }),
    }),
    riders: z.object({
      idle: z.number().int(),
      busy: z.number().int().openapi({ description: 'Assigned or delivering.' }),
      offline: z.number().int(),
    }),
    batches: z.object({
      active: z.number().int().openapi({ description: 'Open, sealed, assigned or picked up.' }),
      meanSize: z
        .number()
        .nullable()
        .openapi({ description: 'Orders per batch over the batches with an order delivered today.' }),
    }),
    meanClickToDoorS: z.number().nullable().openapi({
      description:
        'Mean clock seconds from placement to delivery of the orders delivered today (simulated when `timeScale` > 1).',
    }),
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
        source: z
          .enum(['geo', 'db'])
          .nullable()
          .openapi({ description: '`geo`: live position; `db`: last known (stale).' }),
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
          .array(
            z.object({
              kind: z.enum(['pickup', 'drop']),
              orderId: z.string().nullable(),
              lat: z.number(),
              lon: z.number(),
              eta: z.string(),
            }),
          )
          .nullable(),
        path: z
          .array(z.tuple([z.number(), z.number()]))
          .nullable()
          .openapi({
            description:
              'Hot path geometry as [lat, lon] pairs, for batches a rider is on (assigned, picked up); null otherwise.',
          }),
      }),
    ),
    stats: LiveStatsSchema,
    recentDeliveredMs: z
      .number()
      .int()
      .openapi({ description: 'How long (clock ms) a delivered order stays listed after its delivery.' }),
  })
  .openapi('MapSnapshot');

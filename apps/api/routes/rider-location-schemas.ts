import { z } from '@hono/zod-openapi';
import { InstantSchema, LonSchema, RiderLatSchema } from '../schemas/common.ts';

/** The body fields of one GPS ping (shared by the single and the bulk endpoint). */
const pingFields = {
  lat: RiderLatSchema,
  lon: LonSchema,
  recorded_at: InstantSchema.openapi({
    description:
      'When the device took the fix. Orders the pings of one rider: an older ping never replaces a newer current position.',
  }),
  speed: z.number().min(0).optional().openapi({ description: 'Metres per second.', example: 6.5 }),
  heading: z.number().min(0).max(360).optional().openapi({ description: 'Degrees clockwise from north.', example: 90 }),
  accuracy: z.number().min(0).optional().openapi({ description: 'Horizontal accuracy radius in metres.', example: 8 }),
};

export const PingSchema = z.strictObject(pingFields).openapi('RiderPing');

export const MAX_PINGS_PER_POST = 1_000;

export const PingBatchSchema = z
  .strictObject({
    pings: z
      .array(z.strictObject({ rider_id: z.uuid(), ...pingFields }).openapi('RiderPingOf'))
      .min(1)
      .max(MAX_PINGS_PER_POST)
      .openapi({ description: `1 to ${MAX_PINGS_PER_POST} pings, of any riders, applied in array order.` }),
  })
  .openapi('RiderPingBatch');

export const PingAcceptedSchema = z
  .object({
    rider_id: z.uuid(),
    status: z
      .enum(['accepted', 'ignored'])
      .openapi({ description: '`ignored`: not newer than the current position (kept in the history only).' }),
  })
  .openapi('RiderPingAccepted');

export const PingBatchAcceptedSchema = z
  .object({
    accepted: z.number().int().openapi({ description: 'Pings that became their rider’s current position.' }),
    ignored: z
      .number()
      .int()
      .openapi({ description: 'Pings older than their rider’s current position (history only).' }),
    unknown_rider: z.number().int().openapi({ description: 'Pings of rider ids that do not exist (dropped).' }),
    results: z
      .array(z.enum(['accepted', 'ignored', 'unknown_rider']))
      .openapi({ description: 'One outcome per ping, in request order.' }),
  })
  .openapi('RiderPingBatchAccepted');

export const CurrentLocationSchema = z
  .object({
    rider_id: z.uuid(),
    lat: z.number(),
    lon: z.number(),
    recorded_at: z.string(),
    received_at: z.string(),
    speed: z.number().nullable(),
    heading: z.number().nullable(),
    accuracy: z.number().nullable(),
    availability: z
      .enum(['available', 'busy', 'offline'])
      .openapi({ description: 'Dispatch availability in the geo store.' }),
    batch_id: z.string().nullable(),
  })
  .openapi('RiderLocation');

export const RoutePointSchema = z
  .object({
    lat: z.number(),
    lon: z.number(),
    recorded_at: z.string(),
    speed: z.number().nullable(),
    heading: z.number().nullable(),
    accuracy: z.number().nullable(),
  })
  .openapi('RoutePoint');

export const RiderRouteSchema = z
  .object({
    rider_id: z.uuid(),
    from: z.string(),
    to: z.string(),
    count: z.number().int(),
    truncated: z
      .boolean()
      .openapi({ description: 'True when `limit` cut the range short: ask again from the last point.' }),
    line: z
      .object({ type: z.literal('LineString'), coordinates: z.array(z.tuple([z.number(), z.number()])) })
      .nullable()
      .openapi({
        description: 'GeoJSON LineString of the points ([lon, lat] pairs); null with fewer than two points.',
      }),
    points: z.array(RoutePointSchema),
  })
  .openapi('RiderRoute');

export const NearbyRidersSchema = z
  .object({
    riders: z.array(
      z.object({
        rider_id: z.string(),
        lat: z.number(),
        lon: z.number(),
        distance_m: z.number(),
        availability: z.enum(['available', 'busy', 'offline']),
        batch_id: z.string().nullable(),
      }),
    ),
  })
  .openapi('NearbyRiders');

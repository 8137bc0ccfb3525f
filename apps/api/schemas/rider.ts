import { z } from '@hono/zod-openapi';
import type { RiderView } from '../../../internal/riders/rider-service.ts';
import { iso, LonSchema, RiderLatSchema } from './common.ts';

export const RiderStatusSchema = z.enum(['offline', 'idle', 'assigned', 'delivering']).openapi('RiderStatus');

export const NewRiderSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: 'Ada' }),
    lat: RiderLatSchema.optional(),
    lon: LonSchema.optional(),
    status: z
      .enum(['offline', 'idle'])
      .default('offline')
      .openapi({ description: '`idle` puts the rider on shift (available for dispatch) at once.' }),
  })
  .superRefine((v, ctx) => {
    if ((v.lat === undefined) !== (v.lon === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [v.lat === undefined ? 'lat' : 'lon'],
        message: 'lat and lon go together: give both or neither',
      });
    }
  })
  .openapi('NewRider');

export const ShiftStatusSchema = z
  .strictObject({
    status: z
      .enum(['idle', 'offline'])
      .openapi({ description: '`idle`: on shift and available at its last position; `offline`: off shift.' }),
    lat: RiderLatSchema.optional(),
    lon: LonSchema.optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.lat === undefined) !== (v.lon === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [v.lat === undefined ? 'lat' : 'lon'],
        message: 'lat and lon go together: give both or neither',
      });
    }
  })
  .openapi('RiderShiftChange');

export const RiderSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    status: RiderStatusSchema,
    last_position: z.object({ lat: z.number(), lon: z.number() }).nullable(),
    last_seen_at: z.string().nullable(),
    batch_id: z.string().nullable().openapi({ description: 'The batch it carries while assigned or delivering.' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Rider');

const RiderTokenField = z.string().openapi({
  description:
    "The rider's token (`dgo_rd_…`), shown once: its own GPS, status and the batches assigned to it (`Authorization: Bearer …`).",
  example: 'dgo_rd_Yc4nB8x2Qe7Lm1Vt9ZsKd3Ua6Hf0JgPwRiXoNkEbClT',
});

/** `POST /riders` 201: the rider and its token. */
export const CreatedRiderSchema = RiderSchema.extend({ token: RiderTokenField }).openapi('CreatedRider');

/** `POST /riders/{id}/token` 201. */
export const RiderTokenSchema = z.object({ token: RiderTokenField }).openapi('RiderToken');

export function riderJson(r: RiderView): z.infer<typeof RiderSchema> {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    last_position: r.last_lat !== null && r.last_lon !== null ? { lat: r.last_lat, lon: r.last_lon } : null,
    last_seen_at: iso(r.last_seen_at),
    batch_id: r.batch_id,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

import { z } from '@hono/zod-openapi';
import type { StoreRow } from '../../../internal/stores/store-repository.ts';
import { LatSchema, LonSchema } from './common.ts';

export const NewStoreSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: 'Pizzeria Monte' }),
    lat: LatSchema,
    lon: LonSchema,
  })
  .openapi('NewStore');

export const StoreSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    lat: z.number(),
    lon: z.number(),
    h3_cell: z.string().openapi({ description: 'H3 cell of the store at the configured resolution.' }),
    created_at: z.string(),
  })
  .openapi('Store');

/** `POST /stores` 201: the store and its key. */
export const CreatedStoreSchema = StoreSchema.extend({
  api_key: z.string().openapi({
    description:
      "The store's key (`dgo_st_…`), shown once: places and manages this store's orders (`Authorization: Bearer …`). More with `npm run keys -- create --store ID`.",
    example: 'dgo_st_kq0Zb2u1Wm9XyF8hT3cVnR5pLd7sJ4aGe6iOoQwEzBc',
  }),
}).openapi('CreatedStore');

export function storeJson(s: StoreRow): z.infer<typeof StoreSchema> {
  return { id: s.id, name: s.name, lat: s.lat, lon: s.lon, h3_cell: s.h3_cell, created_at: s.created_at.toISOString() };
}

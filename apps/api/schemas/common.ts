import { z } from '@hono/zod-openapi';
import { ErrorBodySchema } from '../error-handler.ts';

/** `{id}` path parameter: a UUID, so a malformed id is a 400 naming `id` rather than a database error. */
export const IdParamSchema = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' }, example: '0f8fad5b-d9cb-469f-a165-70867728950e' }),
});

export const LatSchema = z.number().min(-90).max(90).openapi({ example: 43.7384 });
export const LonSchema = z.number().min(-180).max(180).openapi({ example: 7.4246 });

/** Rider positions go into Redis GEO, which stores latitudes only within the Web-Mercator band. */
export const RiderLatSchema = z.number().min(-85.05112878).max(85.05112878).openapi({ example: 43.7384 });

/**
 * A required number in a query string: `inner` (a `z.coerce.number()` with its bounds) after an empty or blank value
 * is made missing, so `?lat=` is a 400 rather than `Number('')`, 0. The caller documents it (`type`, bounds,
 * `required: true`): the generator cannot see through the preprocessing.
 */
export const requiredQueryNumber = <T extends z.ZodType>(inner: T) =>
  z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), inner);

export const LatLonSchema = z.strictObject({ lat: LatSchema, lon: LonSchema }).openapi('LatLon');

export const InstantSchema = z.iso.datetime({ offset: true }).openapi({ example: '2026-11-22T12:30:00.000Z' });

/** ISO string of a timestamp column, null stays null. */
export const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** One error response entry of a route, in the shared shape. */
export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorBodySchema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  required: true,
  ...(description ? { description } : {}),
  content: { 'application/json': { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

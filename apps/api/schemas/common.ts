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

/** A decimal numeral, the only way a query string carries a number in this API. */
const DECIMAL = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The bounds of a query-string number (they are checked and documented alike). */
export interface QueryNumberSpec {
  integer?: boolean;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum: number;
  /** Taken when the parameter is left out; without one it is required (the caller's `param` says `required: true`). */
  default?: number;
}

/**
 * A number in a query string, read as a decimal numeral only. `z.coerce.number()` would take `?lat=` (and blanks) as
 * 0, `0x10` as 16, `0b1` as 1: here any other text, the empty value included (OpenAPI's `allowEmptyValue` is false),
 * is a 400; only a parameter left out takes the default. Documented with its type and bounds, which the generator
 * cannot see through the preprocessing.
 */
export function queryNumber(spec: QueryNumberSpec) {
  let inner = spec.integer ? z.number().int() : z.number();
  if (spec.minimum !== undefined) inner = inner.min(spec.minimum);
  if (spec.exclusiveMinimum !== undefined) inner = inner.gt(spec.exclusiveMinimum);
  inner = inner.max(spec.maximum);
  const read = (value: unknown) =>
    typeof value !== 'string' ? value : DECIMAL.test(value) ? Number(value) : Number.NaN;
  const { integer, ...bounds } = spec;
  return z
    .preprocess(read, spec.default === undefined ? inner : inner.default(spec.default))
    .openapi({ type: integer ? 'integer' : 'number', ...bounds });
}

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

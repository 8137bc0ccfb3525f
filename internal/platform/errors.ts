/**
 * Errors that cross a boundary carry a stable slug and a kind. The kind alone decides the HTTP status, in one place
 * (`apps/api/error-handler.ts`), so domain code never thinks about HTTP.
 */
export type ErrorKind =
  | 'invalid_input' // 400
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'rate_limited' // 429 (details.retry_after_s becomes Retry-After)
  | 'unavailable' // 503
  | 'internal'; // 500

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly kind: ErrorKind,
    /** Stable machine-readable code, e.g. `order.not_found`. */
    readonly slug: string,
    message: string,
    /** Extra facts for the client, e.g. `{ field: 'drop.lat' }` or `{ distance_m: 31.2 }`. */
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const invalidInput = (slug: string, message: string, details: Record<string, unknown> = {}) =>
  new AppError('invalid_input', slug, message, details);
export const notFound = (slug: string, message: string, details: Record<string, unknown> = {}) =>
  new AppError('not_found', slug, message, details);
export const conflict = (slug: string, message: string, details: Record<string, unknown> = {}) =>
  new AppError('conflict', slug, message, details);
export const forbidden = (slug: string, message: string, details: Record<string, unknown> = {}) =>
  new AppError('forbidden', slug, message, details);
export const unavailable = (slug: string, message: string, details: Record<string, unknown> = {}) =>
  new AppError('unavailable', slug, message, details);

/**
 * A caller over its rate: 429. `retryAfterMs` (rounded up to whole seconds, at least 1) becomes `Retry-After` and
 * `details.retry_after_s`; `details.limit` names the limit (`gps`, `key`, …).
 */
export const rateLimited = (
  slug: string,
  message: string,
  retryAfterMs: number,
  details: Record<string, unknown> = {},
) => new AppError('rate_limited', slug, message, { ...details, retry_after_s: retryAfterSeconds(retryAfterMs) });

/** Whole seconds for `Retry-After`: rounded up, at least 1 (0 would invite an immediate retry that fails again). */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1_000));

/** HTTP status for each error kind — the single mapping used by the API. */
export const httpStatusOf: Record<ErrorKind, 400 | 401 | 403 | 404 | 409 | 429 | 500 | 503> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

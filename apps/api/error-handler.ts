import { z } from '@hono/zod-openapi';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { dependencyFailure } from '../../internal/platform/dependency-errors.ts';
import { AppError, httpStatusOf, retryAfterSeconds } from '../../internal/platform/errors.ts';
import type { Logger } from '../../internal/platform/logger.ts';

/**
 * The one place errors become HTTP responses. Every failure — a domain `AppError`, a request that fails its schema,
 * an unknown route, a bug — answers with the same body shape, so clients parse errors one way, and every `code` is a
 * dotted `area.reason` slug: the domain's own (`order.not_found`) or one of the request-level codes below.
 */

/** The codes of failures that are not the domain's: the request itself, the route, the server. */
export const REQUEST_ERROR_CODES = {
  /** The body, query or path failed its schema (including an unknown field); `field` names the first offender. */
  invalidInput: 'request.invalid_input',
  /** The body is not parseable JSON. */
  malformedBody: 'request.malformed_body',
  /** The body is larger than `MAX_REQUEST_BODY_BYTES`. */
  payloadTooLarge: 'request.payload_too_large',
  /** A body sent with a content type the route does not take (JSON routes take `application/json`). */
  unsupportedMediaType: 'request.unsupported_media_type',
  /** A string no Postgres text column can hold (NUL, a lone UTF-16 surrogate); `field` names it. */
  invalidText: 'request.invalid_text',
  /** Too many requests for this caller (rate-limit.ts); `Retry-After` says when to come back. */
  rateLimited: 'request.rate_limited',
  /** No route for this method and path. */
  routeNotFound: 'route.not_found',
  /** Any other refusal by the HTTP layer. */
  refused: 'request.refused',
  /** A bug: logged with its stack, never described to the client. */
  internal: 'server.internal_error',
} as const;

/**
 * `Retry-After` (seconds) of every 503: a dependency outage or a missing service. Short, because the pool and the
 * Redis and Kafka clients reconnect on their own and the next request after the server's return succeeds.
 */
export const RETRY_AFTER_SECONDS = 2;

/** The largest request body any route reads (Hono and the ingest lane alike). A full bulk ping post is ~170 KB. */
export const MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024;

/**
 * The `WWW-Authenticate` challenge of a 401 (RFC 6750): `Bearer realm="deliverygo"`, plus `error="invalid_token"` when
 * a token was sent but grants nothing.
 */
export function bearerChallenge(slug: string): string {
  return slug === 'auth.invalid_token'
    ? 'Bearer realm="deliverygo", error="invalid_token"'
    : 'Bearer realm="deliverygo"';
}

/** The 413 answer for a body over `MAX_REQUEST_BODY_BYTES`. */
export const payloadTooLargeBody = (): ErrorBody =>
  errorBody(REQUEST_ERROR_CODES.payloadTooLarge, `request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes`);

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().openapi({
        description:
          'Stable machine-readable `area.reason` slug: `request.invalid_input` (schema failure or unknown field), `request.malformed_body`, ' +
          '`request.payload_too_large`, `request.rate_limited` (429 with `Retry-After`; `details.limit` names the limit), `request.unsupported_media_type`, `request.invalid_text` (a string Postgres cannot store: NUL or a ' +
          'lone surrogate), `route.not_found`, `server.internal_error`, `dependency.unavailable` (503 with `Retry-After`: Postgres, Redis or ' +
          'Kafka is away; `details.dependency` names it), `auth.missing_token` / `auth.invalid_token` (401 with `WWW-Authenticate: Bearer`), ' +
          "`auth.forbidden` (403: the token's scope does not cover this), or the domain's own, such as `order.not_found`.",
      }),
      message: z.string(),
      field: z
        .string()
        .optional()
        .openapi({ description: 'The offending input, as a path: `drop.lat`, `items[2].qty`.' }),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi('Error');

export type ErrorBody = z.infer<typeof ErrorBodySchema>;

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 429 | 500 | 503;

/** Builds the error body; `field`/`details` are left out when empty. */
export function errorBody(code: string, message: string, field?: string, details?: Record<string, unknown>): ErrorBody {
  return {
    error: {
      code,
      message,
      ...(field !== undefined ? { field } : {}),
      ...(details !== undefined && Object.keys(details).length > 0 ? { details } : {}),
    },
  };
}

/** `['drop', 'lat']` → `drop.lat`; `['items', 2, 'qty']` → `items[2].qty`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    const name = String(part);
    return acc === '' ? name : `${acc}.${name}`;
  }, '');
}

/**
 * Request-validation failure → the 400 body naming the first offending field; every issue is listed in `details`.
 * Request objects are strict: an unknown field is one issue per field, named by its own path (`drop.junk`).
 */
export function validationErrorBody(target: string, error: ZodError): ErrorBody {
  const issues = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: fieldPath([...issue.path, key]), message: 'unknown field' }))
      : [{ field: fieldPath(issue.path), message: issue.message }],
  );
  const first = issues[0];
  const field = first?.field || undefined;
  const message = first ? (field ? `${field}: ${first.message}` : first.message) : 'invalid request';
  return errorBody(REQUEST_ERROR_CODES.invalidInput, message, field, { in: target, issues });
}

/** Request-validation failure → 400 (see `validationErrorBody`). */
export function validationErrorResponse(c: Context, target: string, error: ZodError): Response {
  return c.json(validationErrorBody(target, error), 400);
}

/**
 * OpenAPIHono's `defaultHook`: runs after every route's request validation. Returning a response stops the request,
 * so schema failures never reach the handler and always take the shape above.
 */
export const validationHook = (
  result: { target: string } & ({ success: true } | { success: false; error: ZodError }),
  c: Context,
): Response | undefined => (result.success ? undefined : validationErrorResponse(c, result.target, result.error));

/** Unknown route → 404, same shape. */
export const notFoundHandler: NotFoundHandler = (c) =>
  c.json(errorBody(REQUEST_ERROR_CODES.routeNotFound, `no route for ${c.req.method} ${c.req.path}`), 404);

/** The code of each refusal Hono and its validators throw as an `HTTPException`. */
const codeOfHttpStatus: Partial<Record<number, string>> = {
  400: REQUEST_ERROR_CODES.malformedBody, // the JSON validator's "Malformed JSON in request body"
  404: REQUEST_ERROR_CODES.routeNotFound,
  413: REQUEST_ERROR_CODES.payloadTooLarge,
  415: REQUEST_ERROR_CODES.unsupportedMediaType, // @hono/zod-openapi's media-type gate
};

/** An error's answer: status, body and the headers it needs (`Retry-After` on a 503). */
export interface ErrorAnswer {
  status: ContentfulStatusCode;
  body: ErrorBody;
  headers: Record<string, string>;
}

/**
 * Anything thrown while serving a request → its status, body and headers.
 * `AppError` → its kind's status (`httpStatusOf`), code = its slug, `details.field` lifted to `field`.
 * A driver error saying Postgres, Redis or Kafka is away (dependency-errors.ts) → 503 `dependency.unavailable`.
 * Every 503 and 429 carries `Retry-After`, every 401 `WWW-Authenticate: Bearer`. Hono's `HTTPException` (e.g. malformed JSON body) → its status. Anything else is a
 * bug: 500, logged with the stack, and no internals in the body.
 */
export function errorAnswer(thrown: unknown, logger: Logger, request: { method: string; path: string }): ErrorAnswer {
  const error = dependencyFailure(thrown) ?? thrown;
  if (error instanceof AppError) {
    const status: ErrorStatus = httpStatusOf[error.kind];
    const { field, ...rest } = error.details;
    // An outage is expected and reported by /health: one warning line, not an error with a stack per request.
    if (status === 503)
      logger.warn(
        { slug: error.slug, details: error.details, reason: error.message, ...request },
        'request refused: dependency unavailable',
      );
    else if (status >= 500) logger.error({ err: error, ...request }, 'request failed');
    return {
      status,
      body: errorBody(
        error.slug,
        error.message,
        typeof field === 'string' ? field : undefined,
        typeof field === 'string' ? rest : error.details,
      ),
      headers:
        status === 503
          ? { 'retry-after': String(RETRY_AFTER_SECONDS) }
          : status === 401
            ? { 'www-authenticate': bearerChallenge(error.slug) }
            : status === 429
              ? { 'retry-after': String(retryAfterSeconds(Number(error.details.retry_after_s ?? 1) * 1_000)) }
              : {},
    };
  }
  if (error instanceof HTTPException && error.status < 500) {
    const code = codeOfHttpStatus[error.status] ?? REQUEST_ERROR_CODES.refused;
    return { status: error.status, body: errorBody(code, error.message || 'request refused'), headers: {} };
  }
  logger.error({ err: error, ...request }, 'unexpected error');
  return { status: 500, body: errorBody(REQUEST_ERROR_CODES.internal, 'internal error'), headers: {} };
}

/** Hono's `onError`: everything thrown from a handler or middleware lands here and is answered by `errorAnswer`. */
export function createErrorHandler(logger: Logger): ErrorHandler {
  return (error, c) => {
    const { status, body, headers } = errorAnswer(error, logger, { method: c.req.method, path: c.req.path });
    return c.json(body, status, headers);
  };
}

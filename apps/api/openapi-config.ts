import { MAX_JSON_DEPTH } from './storable-text.ts';
/** Top-level fields of the OpenAPI document; the paths come from the registered routes. */
export const OPENAPI_OBJECT_CONFIG = {
  openapi: '3.1.0',
  info: {
    title: 'deliverygo',
    version: '0.1.0',
    // The package is private and ships under no open licence; say so rather than leave the field out.
    license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    description: [
      'Multi-order batching and rider dispatch for food delivery.',
      '',
      'Authentication: every operation but `/health` and `/metrics` takes `Authorization: Bearer <token>` (in `/docs`, use',
      '"Authorize"). Tokens are opaque and kind-prefixed: an operator key `dgo_op_…` (everything; `npm run keys -- create`),',
      "a store key `dgo_st_…` (`POST /stores` answers it: that store's orders, kitchen steps and batches), a rider token",
      '`dgo_rd_…` (`POST /riders`, `POST /riders/{id}/token`: its own GPS, status and batches) and an order read token',
      '`dgo_or_…` (`POST /orders`: that order, and the WebSocket channel `order:{id}` via `/ws?token=…`). Each operation lists',
      'the schemes it takes. No or a bad token: 401 `auth.missing_token` / `auth.invalid_token` with `WWW-Authenticate: Bearer`;',
      "a token outside its scope: 403 `auth.forbidden` (a rider on another rider's batch: `batch.not_your_batch`).",
      '',
      'Input is strict: an unknown field in a JSON body (at any depth), or an unknown query parameter of an operation that',
      'takes query parameters, is refused with 400 `request.invalid_input`, `field` naming it. Bodies are JSON:',
      '`application/json` or a `+json` type such as `application/merge-patch+json` (else 415 `request.unsupported_media_type`),',
      `nested at most ${MAX_JSON_DEPTH} levels deep (else 400 \`request.invalid_input\`) and`,
      'of at most 2 MiB (else 413 `request.payload_too_large`). Every error has the `Error` shape; its `code` is a dotted',
      '`area.reason` slug. A string Postgres cannot store (NUL, a lone UTF-16 surrogate), in a body or a query, is refused with',
      '400 `request.invalid_text`, `field` naming it. When Postgres, Redis or Kafka is away, operations answer 503',
      '`dependency.unavailable` with a `Retry-After` header within seconds, and serve again by themselves once it is back. Lists answer `{items, next_cursor}`, newest first: pass `next_cursor` back as `cursor`.',
      '',
      'Requests are rate-limited per API key (token bucket; operator keys have a larger one), per client IP for requests',
      'without a token, and GPS pings per rider: over the limit, 429 `request.rate_limited` with `Retry-After`. Limited',
      'responses carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (draft-ietf-httpapi-ratelimit-headers-07).',
    ].join('\n'),
  },
  servers: [
    {
      url: 'http://127.0.0.1:8000',
      description: 'A local `npm start` or `npm run api` (HOST and PORT, default 127.0.0.1:8000).',
    },
  ],
};

/** Top-level fields of the OpenAPI document; the paths come from the registered routes. */
export const OPENAPI_OBJECT_CONFIG = {
  openapi: '3.1.0',
  info: {
    title: 'deliverygo',
    version: '0.1.0',
    description: [
      'Multi-order batching and rider dispatch for food delivery.',
      '',
      'Input is strict: an unknown field in a JSON body (at any depth) or an unknown query parameter is refused with 400',
      '`request.invalid_input`, `field` naming it. Bodies are `application/json` (else 415 `request.unsupported_media_type`)',
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
};

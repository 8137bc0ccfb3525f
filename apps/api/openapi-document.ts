import { stringify } from 'yaml';
import { Registry } from 'prom-client';
import { silentLogger } from '../../internal/platform/logger.ts';
import { createApiApp } from './app.ts';
import { MAX_REQUEST_BODY_BYTES, RETRY_AFTER_SECONDS } from './error-handler.ts';
import { UNLIMITED_PATHS } from './rate-limit.ts';
import { OPENAPI_OBJECT_CONFIG } from './openapi-config.ts';

/** Path of the committed document, relative to the repository root. */
export const OPENAPI_YAML_PATH = new URL('../../api/openapi.yaml', import.meta.url);

/**
 * The OpenAPI document as `api/openapi.yaml` should contain it. The app is built with inert dependencies: the
 * document depends only on which routes are registered, never on the adapters behind them.
 */
export function renderOpenApiYaml(): string {
  const app = createApiApp({ logger: silentLogger, healthChecks: [], metrics: new Registry() });
  const document = withRequestRefusals(
    withLimitResponses(withOutageResponses(app.getOpenAPI31Document(OPENAPI_OBJECT_CONFIG))),
  );
  return `# Generated from the routes in apps/api/routes by \`npm run openapi\`. Do not edit.\n${stringify(document, { lineWidth: 0 })}`;
}

type Operation = {
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { description: string; headers?: Record<string, unknown>; content?: unknown }>;
};

const RETRY_AFTER_HEADER = {
  description: `Seconds to wait before retrying (${RETRY_AFTER_SECONDS}).`,
  schema: { type: 'integer', minimum: 1 },
};
const OUTAGE =
  'A server it needs is away (`dependency.unavailable`, `details.dependency`: `postgres`, `redis`, `kafka`); retry after `Retry-After` seconds.';

/**
 * Every operation answering in the `Error` shape can also meet an outage: it documents the 503 (error-handler.ts
 * answers it for any route, so it is declared here once rather than in each route file), with its `Retry-After`.
 * `/health` reports outages in its own shape.
 */
function withOutageResponses<D extends { paths?: object }>(document: D): D {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if (path === '/health') continue;
    for (const operation of Object.values(item as object) as Operation[]) {
      const responses = operation?.responses;
      if (!responses || !JSON.stringify(responses).includes('#/components/schemas/Error')) continue;
      const existing = responses['503'];
      responses['503'] = existing
        ? {
            ...existing,
            description: `${existing.description} ${OUTAGE}`,
            headers: { ...existing.headers, 'Retry-After': RETRY_AFTER_HEADER },
          }
        : {
            description: OUTAGE,
            headers: { 'Retry-After': RETRY_AFTER_HEADER },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          };
    }
  }
  return document;
}

const ERROR_CONTENT = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };

/**
 * The refusals the app's middleware (app.ts) answers before any route runs, declared on every operation they can
 * reach: 400 `request.invalid_text` for a query string Postgres cannot store (any route, even one without declared
 * parameters), and on operations taking a JSON body 413 `request.payload_too_large` and 415
 * `request.unsupported_media_type`. An operation that already documents the status keeps its own description.
 */
function withRequestRefusals<D extends { paths?: object }>(document: D): D {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item as object) as Operation[]) {
      const responses = operation?.responses;
      if (!responses) continue;
      responses['400'] ??= {
        description: 'A query string Postgres cannot store: a NUL or a lone surrogate (`request.invalid_text`).',
        content: ERROR_CONTENT,
      };
      if (!operation.requestBody?.content?.['application/json']) continue;
      responses['413'] ??= {
        description: 'The body is over 2 MiB (`request.payload_too_large`).',
        content: ERROR_CONTENT,
      };
      responses['415'] ??= {
        description: 'The body is not `application/json` (`request.unsupported_media_type`).',
        content: ERROR_CONTENT,
      };
    }
  }
  return sortedResponses(document);
}

/** Each operation's responses in status order (the ones added above land after the route's own). */
function sortedResponses<D extends { paths?: object }>(document: D): D {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item as object) as Operation[]) {
      if (!operation?.responses) continue;
      operation.responses = Object.fromEntries(
        Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
  }
  return document;
}

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** The headers of a rate-limited answer (rate-limit.ts), declared once under `components.headers`. */
const LIMIT_HEADERS = {
  'Retry-After': {
    description: 'Seconds until the caller may send again (whole seconds, at least 1).',
    schema: { type: 'integer', minimum: 1 },
  },
  'RateLimit-Limit': {
    description:
      "The caller's bucket size: requests it may make at once (draft-ietf-httpapi-ratelimit-headers-07). Sent on every response of a limited operation.",
    schema: { type: 'integer', minimum: 1 },
  },
  'RateLimit-Remaining': {
    description: 'Requests the caller may still make right now.',
    schema: { type: 'integer', minimum: 0 },
  },
  'RateLimit-Reset': {
    description: "Seconds until the caller's bucket is full again.",
    schema: { type: 'integer', minimum: 0 },
  },
};

const RATE_LIMITED =
  'Too many requests (`request.rate_limited`): the caller is over its rate — per API key (the SHA-256 of the bearer ' +
  'token; operator keys have their own, larger limit), per client IP for requests without a token, and for ' +
  '`POST /riders/{id}/location` per rider. `details.limit` names the limit (`operator`, `key`, `ip`, `gps`); retry ' +
  'after `Retry-After` seconds.';
const TOO_LARGE = `The request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes (\`request.payload_too_large\`), with or without a \`Content-Length\`; it is not read.`;

/**
 * The limits every operation shares, documented here once rather than in each route file (rate-limit.ts and the
 * body limit of app.ts apply to every route): 429 with `Retry-After` and the `RateLimit-*` headers on every operation
 * but `/health` and `/metrics`, and 413 on every operation that takes a request body.
 */
function withLimitResponses<D extends { paths?: object; components?: object }>(document: D): D {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const operation of Object.values(item as object) as Operation[]) {
      const responses = operation?.responses;
      if (!responses) continue;
      if (operation.requestBody !== undefined && !responses['413']) {
        responses['413'] = { description: TOO_LARGE, content: ERROR_CONTENT };
      }
      if (!UNLIMITED_PATHS.has(path) && !responses['429']) {
        responses['429'] = {
          description: RATE_LIMITED,
          headers: Object.fromEntries(Object.keys(LIMIT_HEADERS).map((name) => [name, ref(name)])),
          content: ERROR_CONTENT,
        };
      }
    }
  }
  const components = (document.components ?? {}) as { headers?: Record<string, unknown> };
  components.headers = { ...components.headers, ...LIMIT_HEADERS };
  (document as { components?: object }).components = components;
  return document;
}

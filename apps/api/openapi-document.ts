import { stringify } from 'yaml';
import { Registry } from 'prom-client';
import { silentLogger } from '../../internal/platform/logger.ts';
import { createApiApp } from './app.ts';
import { RETRY_AFTER_SECONDS } from './error-handler.ts';
import { OPENAPI_OBJECT_CONFIG } from './openapi-config.ts';

/** Path of the committed document, relative to the repository root. */
export const OPENAPI_YAML_PATH = new URL('../../api/openapi.yaml', import.meta.url);

/**
 * The OpenAPI document as `api/openapi.yaml` should contain it. The app is built with inert dependencies: the
 * document depends only on which routes are registered, never on the adapters behind them.
 */
export function renderOpenApiYaml(): string {
  const app = createApiApp({ logger: silentLogger, healthChecks: [], metrics: new Registry() });
  const document = withRequestRefusals(withOutageResponses(app.getOpenAPI31Document(OPENAPI_OBJECT_CONFIG)));
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

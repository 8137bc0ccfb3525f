import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { contextOfHeaders, inSpan, tracer } from '../../internal/platform/tracing.ts';

/**
 * A SERVER span per request Hono serves, named by route pattern (`POST /orders`, never the raw path), continuing the
 * caller's trace when its request carries a W3C `traceparent`. Everything the route does — its log lines, its outbox
 * rows — happens inside it. Installed only when tracing is on (app.ts); GPS pings never reach Hono in the composed API
 * (ingest-lane.ts serves them untraced, the hot path), and are skipped here too when an app without the lane serves them.
 */
export function httpTracing(): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    if (INGEST_PATHS.test(path)) return next();
    const incoming = c.req.header('traceparent');
    const parent = contextOfHeaders(
      incoming === undefined ? {} : { traceparent: incoming, ...tracestate(c.req.header('tracestate')) },
    );
    const span = tracer().startSpan(
      `${c.req.method} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': c.req.method, 'url.path': path } },
      parent,
    );
    await inSpan(span, parent, async () => {
      try {
        await next();
      } finally {
        const route = c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
        span.updateName(`${c.req.method} ${route}`);
        span.setAttributes({ 'http.route': route, 'http.response.status_code': c.res.status });
        // A 5xx is the server's failure; a 4xx is the caller's and leaves the span's status unset.
        if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${c.res.status}` });
      }
    });
  };
}

/** POST /riders/locations and POST /riders/{id}/location: the GPS ingest, not traced per ping. */
const INGEST_PATHS = /^\/riders\/(locations|[^/]+\/location)$/;

function tracestate(value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { tracestate: value };
}

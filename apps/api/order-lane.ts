import type { RequestListener } from 'node:http';
import { tracingEnabled } from '../../internal/platform/tracing.ts';
import { validated, validatedJson, withJsonLane, type JsonLaneDeps, type JsonLaneRoute } from './json-lane.ts';
import { createOrderRoute, placeOrder } from './routes/orders-create.ts';
import type { ApiServices } from './services.ts';

export interface OrderLaneDeps extends JsonLaneDeps {
  /** The domain services of the Hono routes: the lane places orders through the same `placeOrder`. */
  services: ApiServices;
}

/** The route's own schemas (orders-create.ts), so the lane and the documented route cannot drift apart. */
const HeaderSchema = createOrderRoute.request.headers;
const BodySchema = createOrderRoute.request.body.content['application/json'].schema;

/** `POST /orders` (json-lane.ts). */
function orderRoute(deps: OrderLaneDeps): JsonLaneRoute<undefined> {
  return {
    // Traced requests are Hono's: its middleware opens the SERVER span an order's log lines and outbox rows hang on.
    matchPath: (path) =>
      path === '/orders' && !tracingEnabled() ? { pattern: '/orders', limited: true, match: undefined } : undefined,
    async answer({ req, body, principal }) {
      // The route's validators' order (@hono/zod-openapi): the headers, then the body.
      const header = validated(HeaderSchema, { 'idempotency-key': req.headers['idempotency-key'] }, 'header');
      if ('invalid' in header) return header.invalid;
      const order = validatedJson(BodySchema, body);
      if ('invalid' in order) return order.invalid;
      return placeOrder(deps, principal, order.value, header.value['idempotency-key']);
    },
  };
}

/**
 * The order lane: `POST /orders` served straight from node:http, ahead of Hono (json-lane.ts), as the GPS pings are
 * (ingest-lane.ts). Order placement is the API's busiest write after the pings (1,000/s at the target, issue 16), and
 * Hono's web-standard request and response cost about a quarter of its CPU per order. The lane runs the route's own
 * zod schemas, the same `placeOrder` (authorization, idempotency key, the 201/200 answers with `Location` /
 * `Idempotent-Replayed`), the same error bodies and request metric; anything else — another path or method, a body
 * that is not JSON (Hono answers 415), a query string, any request while tracing is on — goes on to `next` (Hono).
 */
export function withOrderLane(deps: OrderLaneDeps, next: RequestListener): RequestListener {
  return withJsonLane(deps, orderRoute(deps), next);
}

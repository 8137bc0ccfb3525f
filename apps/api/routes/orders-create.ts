import { outOfScope } from '../../../internal/auth/auth-errors.ts';
import { mayPlaceOrder } from '../../../internal/auth/policy.ts';
import type { Principal } from '../../../internal/auth/principal.ts';
import { hashToken, mintToken } from '../../../internal/auth/token.ts';
import { createRoute, type OpenAPIHono, type z } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { principalOf } from '../authenticate.ts';
import { errorResponse, jsonBody } from '../schemas/common.ts';
import {
  CreatedOrderSchema,
  IdempotencyHeaderSchema,
  NewOrderSchema,
  OrderSchema,
  orderJson,
} from '../schemas/order.ts';
import { servicesOf, type ApiServices } from '../services.ts';

const replayedHeader = {
  'Idempotent-Replayed': {
    description: '`true` when an earlier request with the same Idempotency-Key created the order.',
    schema: { type: 'string' as const },
  },
};

export const createOrderRoute = createRoute({
  operationId: 'createOrder',
  method: 'post',
  path: '/orders',
  tags: ['orders'],
  summary: 'Place an order',
  description: [
    'Stores the order with the H3 cell of its drop and publishes `order.placed` in the same transaction.',
    'Give `prep_minutes` or `ready_at` (exactly one). `promised_at` defaults to `ready_at` + 30 minutes.',
    'Send an `Idempotency-Key`: a retry with the same key and body answers 200 with the original order and',
    '`Idempotent-Replayed: true`, never creating a second one; the same key with another body answers 409',
    '`order.idempotency_key_reused`. With a road router (OSRM) configured, a drop no rider can reach from the store',
    '(farther than the snap limit from any road, or no road route) is refused with 400 `order.drop_unreachable`, field',
    '`drop`, and `snap_distance_m`/`max_snap_distance_m` in the details.',
  ].join(' '),
  security: SECURITY.operatorOrStore,
  request: { headers: IdempotencyHeaderSchema, body: jsonBody(NewOrderSchema) },
  responses: {
    201: {
      description: 'The new order, with its read token for the customer (`read_token`, shown once).',
      content: { 'application/json': { schema: CreatedOrderSchema } },
    },
    200: {
      description: 'A replay: the order an earlier request with this Idempotency-Key created.',
      headers: replayedHeader,
      content: { 'application/json': { schema: OrderSchema } },
    },
    400: errorResponse(
      'Invalid input; `field` names it (e.g. `drop.lat`, `items`, `prep_minutes`), or a drop no rider can reach (`order.drop_unreachable`, field `drop`).',
    ),
    404: errorResponse('Unknown store (`store.not_found`, field `store_id`).'),
    409: errorResponse('The Idempotency-Key was used for a different request (`order.idempotency_key_reused`).'),
    401: unauthorizedResponse,
    403: forbiddenResponse('`store_id` is not the store of the key.'),
  },
});

/** The answer of a placed order: 201 with the read token and `Location`, or 200 for a replay of its key. */
export type PlacedOrder =
  | { status: 201; body: z.infer<typeof CreatedOrderSchema>; headers: { Location: string } }
  | { status: 200; body: z.infer<typeof OrderSchema>; headers: { 'Idempotent-Replayed': 'true' } };

/**
 * What `POST /orders` does with a validated body and `Idempotency-Key` — shared by the Hono route (the documented one,
 * and what in-process `app.request` tests hit) and the order lane that serves it over HTTP (order-lane.ts). A caller
 * that may not place orders for the body's store is 403 `auth.forbidden`; without services, 503 (both thrown).
 */
export async function placeOrder(
  deps: { services?: ApiServices | undefined },
  principal: Principal,
  body: z.infer<typeof NewOrderSchema>,
  idempotencyKey: string | undefined,
): Promise<PlacedOrder> {
  if (!mayPlaceOrder(principal, body.store_id)) throw outOfScope(principal, `place orders for store ${body.store_id}`);
  const readToken = mintToken('order');
  const { order, replayed } = await servicesOf(deps).orders.place(body, idempotencyKey, hashToken(readToken));
  if (replayed) return { status: 200, body: orderJson(order), headers: { 'Idempotent-Replayed': 'true' } };
  return {
    status: 201,
    body: { ...orderJson(order), read_token: readToken },
    headers: { Location: `/orders/${order.id}` },
  };
}

/** `POST /orders`. */
export function registerCreateOrderRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(createOrderRoute, async (c) => {
    const placed = await placeOrder(
      deps,
      principalOf(c),
      c.req.valid('json'),
      c.req.valid('header')['idempotency-key'],
    );
    for (const [name, value] of Object.entries(placed.headers)) c.header(name, value);
    return placed.status === 200 ? c.json(placed.body, 200) : c.json(placed.body, 201);
  });
}

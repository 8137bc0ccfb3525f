import { mayReadOrder } from '../../../internal/auth/policy.ts';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { authorize, principalOf } from '../authenticate.ts';
import { errorResponse, IdParamSchema, jsonResponse } from '../schemas/common.ts';
import { OrderSchema, orderJson } from '../schemas/order.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const getOrderRoute = createRoute({
  operationId: 'getOrder',
  method: 'get',
  path: '/orders/{id}',
  tags: ['orders'],
  summary: 'Get an order',
  description: 'Status, timestamps, its batch and rider once dispatched, and the drop ETA once the route is refined.',
  security: SECURITY.operatorStoreOrOrder,
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(OrderSchema, 'The order.'),
    400: errorResponse('Malformed id.'),
    404: errorResponse('No such order (`order.not_found`).'),
    401: unauthorizedResponse,
    403: forbiddenResponse("Another store's order, or another order's read token."),
  },
});

/** `GET /orders/{id}`. */
export function registerGetOrderRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(getOrderRoute, async (c) => {
    const { id } = c.req.valid('param');
    const principal = principalOf(c);
    // An order token for another order learns nothing, not even whether that order exists.
    if (principal.kind === 'order') authorize(c, principal.orderId === id, `read order ${id}`);
    const order = await servicesOf(deps).orders.get(id);
    authorize(c, mayReadOrder(principal, { id, storeId: order.store_id }), `read order ${id}`);
    return c.json(orderJson(order), 200);
  });
}

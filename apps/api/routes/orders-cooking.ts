import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponse, IdParamSchema, jsonResponse } from '../schemas/common.ts';
import { OrderSchema, orderJson } from '../schemas/order.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const orderCookingRoute = createRoute({
  method: 'post',
  path: '/orders/{id}/cooking',
  tags: ['orders'],
  summary: 'Store accepted the order and started cooking',
  description: 'placed → cooking.',
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(OrderSchema, 'The order after the change.'),
    400: errorResponse('Malformed id.'),
    404: errorResponse('No such order (`order.not_found`).'),
    409: errorResponse('Illegal in the order\'s current state (`order.illegal_transition`, details `from`/`to`).'),
  },
});

/** `POST /orders/{id}/cooking`. */
export function registerOrderCookingRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(orderCookingRoute, async (c) => {
    const order = await servicesOf(deps).orders.startCooking(c.req.valid('param').id);
    return c.json(orderJson(order), 200);
  });
}

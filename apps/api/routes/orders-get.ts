import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
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
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(OrderSchema, 'The order.'),
    400: errorResponse('Malformed id.'),
    404: errorResponse('No such order (`order.not_found`).'),
  },
});

/** `GET /orders/{id}`. */
export function registerGetOrderRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(getOrderRoute, async (c) => {
    const order = await servicesOf(deps).orders.get(c.req.valid('param').id);
    return c.json(orderJson(order), 200);
  });
}

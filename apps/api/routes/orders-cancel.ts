import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { orderJson, orderTransition } from '../schemas/order.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const orderCancelRoute = createRoute({
  method: 'post',
  path: '/orders/{id}/cancel',
  tags: ['orders'],
  summary: 'Cancel an order',
  description: 'Allowed before pickup. An order of an open batch leaves it; an order whose batch is sealed or assigned cannot be cancelled (409 `order.cancel_too_late`).',
  ...orderTransition,
});

/** `POST /orders/{id}/cancel`. */
export function registerOrderCancelRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(orderCancelRoute, async (c) => {
    const order = await servicesOf(deps).orders.cancel(c.req.valid('param').id);
    return c.json(orderJson(order), 200);
  });
}

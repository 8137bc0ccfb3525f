import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { orderJson, orderTransition } from '../schemas/order.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const orderCookingRoute = createRoute({
  method: 'post',
  path: '/orders/{id}/cooking',
  tags: ['orders'],
  summary: 'Store accepted the order and started cooking',
  description: 'placed → cooking.',
  ...orderTransition,
});

/** `POST /orders/{id}/cooking`. */
export function registerOrderCookingRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(orderCookingRoute, async (c) => {
    const order = await servicesOf(deps).orders.startCooking(c.req.valid('param').id);
    return c.json(orderJson(order), 200);
  });
}

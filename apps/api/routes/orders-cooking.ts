import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { orderJson, orderTransition } from '../schemas/order.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const orderCookingRoute = createRoute({
  operationId: 'startOrderCooking',
  method: 'post',
  path: '/orders/{id}/cooking',
  tags: ['orders'],
  summary: 'Store accepted the order and started cooking',
  description:
    'Records `cooking_started_at` (`kitchen_status`: `cooking`) and publishes `order.updated`. From placed the status becomes `cooking`; a batched or assigned order — dispatch often batches an order within a second of placement — keeps its status, as the kitchen step is a fact about the food, not a dispatch decision. Twice: 409 `order.already_cooking`; after ready: 409 `order.already_ready` (status `ready`: `order.illegal_transition`); after pickup: 409 `order.illegal_transition`.',
  ...orderTransition,
});

/** `POST /orders/{id}/cooking`. */
export function registerOrderCookingRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(orderCookingRoute, async (c) => {
    const order = await servicesOf(deps).orders.startCooking(c.req.valid('param').id);
    return c.json(orderJson(order), 200);
  });
}

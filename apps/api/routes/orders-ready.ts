import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { orderJson, orderTransition } from '../schemas/order.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const orderReadyRoute = createRoute({
  operationId: 'markOrderReady',
  method: 'post',
  path: '/orders/{id}/ready',
  tags: ['orders'],
  summary: 'The kitchen finished the order',
  description:
    'Records `ready_marked_at` (the start of the 30-second matching SLA) and publishes `order.ready`. From placed/cooking the status becomes `ready`; a batched or assigned order keeps its status. Marking ready twice: 409 `order.already_ready`.',
  ...orderTransition,
});

/** `POST /orders/{id}/ready`. */
export function registerOrderReadyRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(orderReadyRoute, async (c) => {
    const order = await servicesOf(deps).orders.markReady(c.req.valid('param').id);
    return c.json(orderJson(order), 200);
  });
}

import { isOperator, mayManageOrder } from '../../../internal/auth/policy.ts';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { SECURITY } from '../schemas/security.ts';
import { authorize, principalOf } from '../authenticate.ts';
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
  security: SECURITY.operatorOrStore,
  ...orderTransition,
});

/** `POST /orders/{id}/cooking`. */
export function registerOrderCookingRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(orderCookingRoute, async (c) => {
    const services = servicesOf(deps);
    const { id } = c.req.valid('param');
    const principal = principalOf(c);
    // Only an operator skips the read: a store key must own the order.
    if (!isOperator(principal)) {
      const current = await services.orders.get(id);
      authorize(c, mayManageOrder(principal, { storeId: current.store_id }), `start cooking order ${id}`);
    }
    const order = await services.orders.startCooking(id);
    return c.json(orderJson(order), 200);
  });
}

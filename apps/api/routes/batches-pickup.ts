import { SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { courierFor } from '../authenticate.ts';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { BatchSchema, batchJson, PickupSchema } from '../schemas/batch.ts';
import { errorResponse, IdParamSchema, jsonBody, jsonResponse } from '../schemas/common.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const pickupBatchRoute = createRoute({
  operationId: 'pickupBatch',
  method: 'post',
  path: '/batches/{id}/pickup',
  tags: ['batches'],
  summary: 'The assigned rider picked the batch up',
  description: 'The batch and its orders become `picked_up`, the rider `delivering`.',
  security: SECURITY.operatorOrRider,
  request: { params: IdParamSchema, body: jsonBody(PickupSchema) },
  responses: {
    200: jsonResponse(BatchSchema, 'The batch after pickup.'),
    400: errorResponse('Invalid input; `field` names it (an operator must send `rider_id`).'),
    401: unauthorizedResponse,
    403: errorResponse(
      "Another rider carries this batch (`batch.not_your_batch`), or the token may not act as this rider (`auth.forbidden`: a store key, another rider's `rider_id`).",
    ),
    404: errorResponse('No such batch (`batch.not_found`).'),
    409: errorResponse('The batch is not `assigned` (`batch.illegal_transition`).'),
  },
});

/** `POST /batches/{id}/pickup`. */
export function registerPickupBatchRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(pickupBatchRoute, async (c) => {
    const services = servicesOf(deps);
    const { id } = c.req.valid('param');
    await services.delivery.pickup(id, courierFor(c, c.req.valid('json').rider_id));
    return c.json(batchJson(await services.batches.get(id)), 200);
  });
}

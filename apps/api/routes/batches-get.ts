import { mayReadBatch } from '../../../internal/auth/policy.ts';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { authorize, principalOf } from '../authenticate.ts';
import { BatchSchema, batchJson } from '../schemas/batch.ts';
import { errorResponse, IdParamSchema, jsonResponse } from '../schemas/common.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const getBatchRoute = createRoute({
  operationId: 'getBatch',
  method: 'get',
  path: '/batches/{id}',
  tags: ['batches'],
  summary: 'Get a batch',
  description: 'Status, rider, orders in batching sequence, and the refined stops with ETAs once refined.',
  security: SECURITY.operatorStoreOrRider,
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(BatchSchema, 'The batch.'),
    400: errorResponse('Malformed id.'),
    404: errorResponse('No such batch (`batch.not_found`).'),
    401: unauthorizedResponse,
    403: forbiddenResponse("Another store's batch, or one not assigned to the rider."),
  },
});

/** `GET /batches/{id}`. */
export function registerGetBatchRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(getBatchRoute, async (c) => {
    const batch = await servicesOf(deps).batches.get(c.req.valid('param').id);
    authorize(
      c,
      mayReadBatch(principalOf(c), { storeId: batch.store_id, riderId: batch.rider_id }),
      `read batch ${batch.id}`,
    );
    return c.json(batchJson(batch), 200);
  });
}

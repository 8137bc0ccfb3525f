import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
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
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(BatchSchema, 'The batch.'),
    400: errorResponse('Malformed id.'),
    404: errorResponse('No such batch (`batch.not_found`).'),
  },
});

/** `GET /batches/{id}`. */
export function registerGetBatchRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(getBatchRoute, async (c) => {
    const batch = await servicesOf(deps).batches.get(c.req.valid('param').id);
    return c.json(batchJson(batch), 200);
  });
}

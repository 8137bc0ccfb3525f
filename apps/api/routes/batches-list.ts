import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { BatchSchema, BatchStatusSchema, batchJson } from '../schemas/batch.ts';
import { errorResponse, jsonResponse } from '../schemas/common.ts';
import { pageJson, pageQuery, pageSchema } from '../schemas/page.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const listBatchesRoute = createRoute({
  operationId: 'listBatches',
  method: 'get',
  path: '/batches',
  tags: ['batches'],
  summary: 'List batches',
  description:
    'Newest first (by `opened_at`, then id), each as `GET /batches/{id}` shows it. Filters combine; page with `cursor`.',
  request: {
    query: z.strictObject({
      status: BatchStatusSchema.optional(),
      store_id: z.uuid().optional().openapi({ description: 'Only batches of this store.' }),
      rider_id: z.uuid().optional().openapi({ description: 'Only batches given to this rider.' }),
      ...pageQuery,
    }),
  },
  responses: {
    200: jsonResponse(pageSchema(BatchSchema, 'BatchPage'), 'A page of batches.'),
    400: errorResponse('Invalid filter, limit or cursor; `field` names it.'),
  },
});

/** `GET /batches`. */
export function registerListBatchesRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(listBatchesRoute, async (c) => {
    const { status, store_id, rider_id, limit, cursor } = c.req.valid('query');
    const page = await servicesOf(deps).lists.batches(
      { status, storeId: store_id, riderId: rider_id },
      { limit, after: cursor },
    );
    return c.json(pageJson(page, batchJson), 200);
  });
}

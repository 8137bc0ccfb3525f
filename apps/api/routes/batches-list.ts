import { listStoreScope } from '../../../internal/auth/policy.ts';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { authorize, principalOf } from '../authenticate.ts';
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
  security: SECURITY.operatorOrStore,
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
    401: unauthorizedResponse,
    403: forbiddenResponse("`store_id` names another store than the key's."),
  },
});

/** `GET /batches`. */
export function registerListBatchesRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(listBatchesRoute, async (c) => {
    const { status, store_id, rider_id, limit, cursor } = c.req.valid('query');
    // A store key lists its own store's batches only.
    const scope = listStoreScope(principalOf(c), store_id);
    authorize(c, scope.allowed, store_id ? `list the batches of store ${store_id}` : 'list batches');
    const page = await servicesOf(deps).lists.batches(
      { status, storeId: scope.allowed ? scope.storeId : store_id, riderId: rider_id },
      { limit, after: cursor },
    );
    return c.json(pageJson(page, batchJson), 200);
  });
}

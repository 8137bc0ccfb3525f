import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponse, jsonResponse } from '../schemas/common.ts';
import { StoreSchema, storeJson } from '../schemas/store.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const listStoresRoute = createRoute({
  method: 'get',
  path: '/stores',
  tags: ['stores'],
  summary: 'List stores',
  description: 'In creation order. Page with `after` = the last id of the previous page.',
  request: {
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(500).default(100),
      after: z.uuid().optional(),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ stores: z.array(StoreSchema) }).openapi('StoreList'), 'Stores.'),
    400: errorResponse('Invalid query; `field` names it.'),
  },
});

/** `GET /stores`. */
export function registerListStoresRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(listStoresRoute, async (c) => {
    const { limit, after } = c.req.valid('query');
    const stores = await servicesOf(deps).stores.list(limit, after);
    return c.json({ stores: stores.map(storeJson) }, 200);
  });
}

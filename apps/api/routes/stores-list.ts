import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { requireOperator } from '../authenticate.ts';
import { errorResponse, jsonResponse } from '../schemas/common.ts';
import { pageJson, pageQuery, pageSchema } from '../schemas/page.ts';
import { StoreSchema, storeJson } from '../schemas/store.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const listStoresRoute = createRoute({
  operationId: 'listStores',
  method: 'get',
  path: '/stores',
  tags: ['stores'],
  summary: 'List stores',
  description: 'Newest first (by `created_at`, then id). Page with `cursor`.',
  security: SECURITY.operator,
  request: { query: z.strictObject({ ...pageQuery }) },
  responses: {
    200: jsonResponse(pageSchema(StoreSchema, 'StorePage'), 'A page of stores.'),
    400: errorResponse('Invalid limit or cursor; `field` names it.'),
    401: unauthorizedResponse,
    403: forbiddenResponse(),
  },
});

/** `GET /stores`. */
export function registerListStoresRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(listStoresRoute, async (c) => {
    requireOperator(c, 'list stores');
    const { limit, cursor } = c.req.valid('query');
    const page = await servicesOf(deps).stores.list({ limit, after: cursor });
    return c.json(pageJson(page, storeJson), 200);
  });
}

import { mayReadStore } from '../../../internal/auth/policy.ts';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { authorize, principalOf } from '../authenticate.ts';
import { errorResponse, IdParamSchema, jsonResponse } from '../schemas/common.ts';
import { StoreSchema, storeJson } from '../schemas/store.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const getStoreRoute = createRoute({
  operationId: 'getStore',
  method: 'get',
  path: '/stores/{id}',
  tags: ['stores'],
  summary: 'Get a store',
  security: SECURITY.operatorOrStore,
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(StoreSchema, 'The store.'),
    400: errorResponse('Malformed id.'),
    404: errorResponse('No such store (`store.not_found`).'),
    401: unauthorizedResponse,
    403: forbiddenResponse("Another store's."),
  },
});

/** `GET /stores/{id}`. */
export function registerGetStoreRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(getStoreRoute, async (c) => {
    const { id } = c.req.valid('param');
    authorize(c, mayReadStore(principalOf(c), id), `read store ${id}`);
    const store = await servicesOf(deps).stores.get(id);
    return c.json(storeJson(store), 200);
  });
}

import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponse, IdParamSchema, jsonResponse } from '../schemas/common.ts';
import { StoreSchema, storeJson } from '../schemas/store.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const getStoreRoute = createRoute({
  operationId: 'getStore',
  method: 'get',
  path: '/stores/{id}',
  tags: ['stores'],
  summary: 'Get a store',
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(StoreSchema, 'The store.'),
    400: errorResponse('Malformed id.'),
    404: errorResponse('No such store (`store.not_found`).'),
  },
});

/** `GET /stores/{id}`. */
export function registerGetStoreRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(getStoreRoute, async (c) => {
    const store = await servicesOf(deps).stores.get(c.req.valid('param').id);
    return c.json(storeJson(store), 200);
  });
}

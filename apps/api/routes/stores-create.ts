import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponse, jsonBody, jsonResponse } from '../schemas/common.ts';
import { NewStoreSchema, StoreSchema, storeJson } from '../schemas/store.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const createStoreRoute = createRoute({
  operationId: 'createStore',
  method: 'post',
  path: '/stores',
  tags: ['stores'],
  summary: 'Create a store',
  description: 'Stores are data: orders are picked up there. The H3 cell is computed at the configured resolution.',
  request: { body: jsonBody(NewStoreSchema) },
  responses: {
    201: jsonResponse(StoreSchema, 'The new store.'),
    400: errorResponse('Invalid input; `field` names it.'),
  },
});

/** `POST /stores`. */
export function registerCreateStoreRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(createStoreRoute, async (c) => {
    const store = await servicesOf(deps).stores.create(c.req.valid('json'));
    return c.json(storeJson(store), 201);
  });
}

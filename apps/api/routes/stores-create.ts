import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { requireOperator } from '../authenticate.ts';
import { errorResponse, jsonBody, jsonResponse } from '../schemas/common.ts';
import { CreatedStoreSchema, NewStoreSchema, storeJson } from '../schemas/store.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const createStoreRoute = createRoute({
  operationId: 'createStore',
  method: 'post',
  path: '/stores',
  tags: ['stores'],
  summary: 'Create a store',
  description: 'Stores are data: orders are picked up there. The H3 cell is computed at the configured resolution.',
  security: SECURITY.operator,
  request: { body: jsonBody(NewStoreSchema) },
  responses: {
    201: jsonResponse(CreatedStoreSchema, 'The new store, with its key (`api_key`, shown once).'),
    400: errorResponse('Invalid input; `field` names it.'),
    401: unauthorizedResponse,
    403: forbiddenResponse(),
  },
});

/** `POST /stores`. */
export function registerCreateStoreRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(createStoreRoute, async (c) => {
    requireOperator(c, 'create stores');
    const services = servicesOf(deps);
    const store = await services.stores.create(c.req.valid('json'));
    const apiKey = await services.credentials.issue('store', store.id, `store ${store.name}`);
    return c.json({ ...storeJson(store), api_key: apiKey }, 201);
  });
}

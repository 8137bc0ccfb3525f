import type { OpenAPIHono } from '@hono/zod-openapi';
import { OPENAPI_OBJECT_CONFIG } from '../openapi-config.ts';

/** `GET /openapi.json`: the OpenAPI 3.1 document generated from the registered routes (not listed in itself). */
export function registerOpenApiJsonRoute(app: OpenAPIHono): void {
  app.doc31('/openapi.json', OPENAPI_OBJECT_CONFIG);
}

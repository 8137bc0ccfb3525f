import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';

/**
 * `GET /docs`: Swagger UI for `/openapi.json`.
 *
 * @hono/swagger-ui loads its script and stylesheet from a CDN unless given another base URL, and deliverygo must
 * work offline. So the page points at `/docs/assets/`, and the two files are served from the `swagger-ui-dist`
 * package installed with the app.
 */
const ASSET_BASE = '/docs/assets';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const distDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const cache = new Map<string, Promise<Buffer>>();

export function registerDocsRoute(app: OpenAPIHono): void {
  // validatorUrl 'none': Swagger UI would otherwise load a validity badge from validator.swagger.io.
  app.get(
    '/docs',
    // persistAuthorization: a token entered under "Authorize" survives a page reload (kept in the browser's storage).
    swaggerUI({
      url: '/openapi.json',
      baseUrl: ASSET_BASE,
      title: 'deliverygo API',
      validatorUrl: 'none',
      persistAuthorization: true,
    }),
  );

  // swaggerUI() asks for `${baseUrl}/swagger-ui-dist/<file>`.
  app.get(`${ASSET_BASE}/swagger-ui-dist/:file`, async (c) => {
    const file = c.req.param('file');
    const type = ASSETS[file];
    if (type === undefined) return c.notFound(); // only the two known files: no path traversal into node_modules
    let content = cache.get(file);
    if (!content) {
      content = readFile(join(distDir, file));
      cache.set(file, content);
    }
    return c.body(new Uint8Array(await content), 200, {
      'Content-Type': type,
      'Cache-Control': 'public, max-age=86400',
    });
  });
}

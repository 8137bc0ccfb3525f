import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';

const FAVICON = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web', 'favicon.svg');

/**
 * `GET /` → the live map (a person opening the API's address lands somewhere useful, not on a JSON 404), and
 * `GET /favicon.ico`: the map's icon, an SVG from `web/`, so no page load logs a 404 for it. Neither is part of the
 * documented API.
 */
export function registerSiteRootRoutes(app: OpenAPIHono): void {
  app.get('/', (c) => c.redirect('/map', 302));

  // Read once: the icon does not change while the process runs. A failed read is not cached.
  let icon: Promise<Buffer> | undefined;
  app.get('/favicon.ico', async (c) => {
    icon ??= readFile(FAVICON).catch((error: unknown) => {
      icon = undefined;
      throw error;
    });
    return c.body(new Uint8Array(await icon), 200, {
      'Content-Type': 'image/svg+xml',
      'Cache-Control': 'public, max-age=86400',
    });
  });
}

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { PROJECT_ROOT } from '../../../internal/platform/project-root.ts';
import type { MapRouteDeps } from './map-schemas.ts';

/**
 * `GET /map`: the live operations map, and `/map/assets/…`: its script, stylesheet and Leaflet itself.
 *
 * Everything comes from this process — the page from `web/`, Leaflet from the `leaflet` package installed with the
 * app — so the map works without internet. Only known files are served (an allow-list, not a directory), so no path
 * reaches outside those two folders.
 */
const WEB_DIR = join(PROJECT_ROOT, 'web'); // beside the code, whether it runs from the sources or from dist/
const LEAFLET_DIR = join(dirname(createRequire(import.meta.url).resolve('leaflet/package.json')), 'dist');

const TYPES = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', png: 'image/png' } as const;

/** URL under /map/assets → file on disk and content type. */
export const MAP_ASSETS: Record<string, { file: string; type: string }> = {
  'map.js': { file: join(WEB_DIR, 'map.js'), type: TYPES.js },
  'operator-key.js': { file: join(WEB_DIR, 'operator-key.js'), type: TYPES.js },
  'map.css': { file: join(WEB_DIR, 'map.css'), type: TYPES.css },
  'leaflet/leaflet.js': { file: join(LEAFLET_DIR, 'leaflet.js'), type: TYPES.js },
  'leaflet/leaflet.css': { file: join(LEAFLET_DIR, 'leaflet.css'), type: TYPES.css },
  ...Object.fromEntries(
    ['layers.png', 'layers-2x.png', 'marker-icon.png', 'marker-icon-2x.png', 'marker-shadow.png'].map((name) => [
      `leaflet/images/${name}`,
      { file: join(LEAFLET_DIR, 'images', name), type: TYPES.png },
    ]),
  ),
};

/** The page's settings, embedded as JSON; `<` is escaped so no value can close the script element. */
export function mapPageConfigJson(deps: MapRouteDeps): string {
  const roadsPath = !deps.mapTileUrl && deps.roadLayerFile ? ROADS_PATH : null;
  return JSON.stringify({
    tileUrl: deps.mapTileUrl ?? null,
    roadsPath,
    wsPath: '/ws',
    statePath: '/map/state',
  }).replace(/</g, '\\u003c');
}

/** Where the page fetches the street layer (OpenStreetMap-derived GeoJSON): once per page load, cached by the browser. */
export const ROADS_PATH = '/map/roads.geojson';

export function registerMapPageRoutes(app: OpenAPIHono, deps: MapRouteDeps): void {
  // Leaflet never changes while the process runs: read once. The page's own files are small and read per request,
  // so editing web/ needs only a browser reload.
  const cache = new Map<string, Promise<Buffer>>();
  const load = (file: string): Promise<Buffer> => {
    if (file.startsWith(WEB_DIR)) return readFile(file);
    let content = cache.get(file);
    if (!content) {
      content = readFile(file);
      // A failed read is not cached: the next request tries again.
      content.catch(() => cache.delete(file));
      cache.set(file, content);
    }
    return content;
  };

  app.get('/map', async (c) => {
    const html = (await load(join(WEB_DIR, 'map.html')))
      .toString('utf8')
      .replace('__MAP_CONFIG__', mapPageConfigJson(deps));
    return c.html(html, 200, { 'Cache-Control': 'no-store' });
  });

  // The street layer is a few hundred KB read once and kept: it changes only when `npm run roads` rebuilds it (restart).
  if (deps.roadLayerFile && !deps.mapTileUrl) {
    const file = deps.roadLayerFile;
    app.get(ROADS_PATH, async (c) =>
      c.body(new Uint8Array(await load(file)), 200, {
        'Content-Type': 'application/geo+json',
        'Cache-Control': 'public, max-age=3600',
      }),
    );
  }

  app.get('/map/assets/*', async (c) => {
    const name = c.req.path.slice('/map/assets/'.length);
    const asset = MAP_ASSETS[name];
    if (!asset) return c.notFound();
    const maxAge = asset.file.startsWith(WEB_DIR) ? 0 : 86_400;
    return c.body(new Uint8Array(await load(asset.file)), 200, {
      'Content-Type': asset.type,
      'Cache-Control': `public, max-age=${maxAge}`,
    });
  });
}

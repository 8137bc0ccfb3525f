import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { PROJECT_ROOT } from '../../../internal/platform/project-root.ts';

/**
 * `GET /dashboard`: the delivery-analytics page, and `/dashboard/assets/…`: its script, the stylesheets and Chart.js.
 *
 * The same rules as /map (map-page.ts): everything comes from this process — the page from `web/`, Chart.js from the
 * `chart.js` package installed with the app — so it works without internet; only an allow-list of files is served.
 * The page is public; its data (`/analytics/…`) needs an operator key, which the page reads like the map does.
 */
const WEB_DIR = join(PROJECT_ROOT, 'web');
// chart.js exports no package.json; its CommonJS entry lives in dist/ beside the UMD build.
const CHART_DIR = dirname(createRequire(import.meta.url).resolve('chart.js'));

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** URL under /dashboard/assets → file on disk and content type. */
export const DASHBOARD_ASSETS: Record<string, { file: string; type: string }> = {
  'dashboard.js': { file: join(WEB_DIR, 'dashboard.js'), type: JS },
  'operator-key.js': { file: join(WEB_DIR, 'operator-key.js'), type: JS },
  'dashboard.css': { file: join(WEB_DIR, 'dashboard.css'), type: CSS },
  'map.css': { file: join(WEB_DIR, 'map.css'), type: CSS },
  'chart.js/chart.umd.min.js': { file: join(CHART_DIR, 'chart.umd.min.js'), type: JS },
};

export function registerDashboardPageRoutes(app: OpenAPIHono): void {
  // Chart.js never changes while the process runs: read once. The page's own files are read per request.
  const cache = new Map<string, Promise<Buffer>>();
  const load = (file: string): Promise<Buffer> => {
    if (file.startsWith(WEB_DIR)) return readFile(file);
    let content = cache.get(file);
    if (!content) {
      content = readFile(file);
      content.catch(() => cache.delete(file));
      cache.set(file, content);
    }
    return content;
  };

  app.get('/dashboard', async (c) =>
    c.html((await load(join(WEB_DIR, 'dashboard.html'))).toString('utf8'), 200, { 'Cache-Control': 'no-store' }),
  );

  app.get('/dashboard/assets/*', async (c) => {
    const asset = DASHBOARD_ASSETS[c.req.path.slice('/dashboard/assets/'.length)];
    if (!asset) return c.notFound();
    return c.body(new Uint8Array(await load(asset.file)), 200, {
      'Content-Type': asset.type,
      'Cache-Control': `public, max-age=${asset.file.startsWith(WEB_DIR) ? 0 : 86_400}`,
    });
  });
}

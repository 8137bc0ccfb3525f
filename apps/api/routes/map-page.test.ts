import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../internal/platform/logger.ts';
import { createApiApp } from '../app.ts';
import { roadLayerPath } from '../../../internal/routing/create-router.ts';
import { MAP_ASSETS, mapPageConfigJson, ROADS_PATH } from './map-page.ts';

const app = (mapTileUrl?: string) =>
  createApiApp({ logger: silentLogger, healthChecks: [], metrics: new Registry(), mapTileUrl });

describe('GET /map and its assets', () => {
  it('serves the page with its settings embedded and every asset from this server', async () => {
    const res = await app().request('/map');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('"tileUrl":null');
    expect(html).not.toContain('__MAP_CONFIG__');
    // Nothing from a CDN: every script and stylesheet is under /map/assets/, the icon is the site's /favicon.ico, and
    // the one link goes to the dashboard.
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(4);
    expect(refs).toContain('/favicon.ico');
    for (const ref of refs)
      expect(ref.startsWith('/map/assets/') || ref === '/favicon.ico' || ref === '/dashboard', ref).toBe(true);
    for (const ref of refs) expect((await app().request(ref)).status, ref).toBe(200);
  });

  it('passes MAP_TILE_URL to the page, escaped so it cannot close the script element', async () => {
    const html = await (await app('https://tiles.example/{z}/{x}/{y}.png').request('/map')).text();
    expect(html).toContain('"tileUrl":"https://tiles.example/{z}/{x}/{y}.png"');
    expect(mapPageConfigJson({ mapTileUrl: 'https://x/</script><b>' })).not.toContain('</script>');
  });

  it('serves the street layer and names it to the page only when no tile URL is set', async () => {
    const roads = createApiApp({
      logger: silentLogger,
      healthChecks: [],
      metrics: new Registry(),
      roadLayerFile: roadLayerPath(undefined),
    });
    expect(await (await roads.request('/map')).text()).toContain(`"roadsPath":"${ROADS_PATH}"`);
    const res = await roads.request(ROADS_PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/geo+json');
    const layer = (await res.json()) as { type: string; features: Array<{ geometry: { type: string } }> };
    expect(layer.type).toBe('FeatureCollection');
    expect(layer.features.length).toBeGreaterThan(1_000);
    expect(layer.features.every((f) => f.geometry.type === 'LineString')).toBe(true);
    // With tiles, the tiles are the base layer: no street layer.
    const tiled = createApiApp({
      logger: silentLogger,
      healthChecks: [],
      metrics: new Registry(),
      mapTileUrl: 'https://t/{z}/{x}/{y}.png',
      roadLayerFile: roadLayerPath(undefined),
    });
    expect(await (await tiled.request('/map')).text()).toContain('"roadsPath":null');
    expect((await tiled.request(ROADS_PATH)).status).toBe(404);
    expect(await (await app().request('/map')).text()).toContain('"roadsPath":null');
  });

  it('serves Leaflet with the right types, and nothing outside the allow-list', async () => {
    const js = await app().request('/map/assets/leaflet/leaflet.js');
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect((await js.text()).length).toBeGreaterThan(100_000);
    const png = await app().request('/map/assets/leaflet/images/marker-icon.png');
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(Object.keys(MAP_ASSETS)).toContain('leaflet/leaflet.css');
    for (const path of [
      '/map/assets/../../package.json',
      '/map/assets/leaflet/package.json',
      '/map/assets/%2e%2e/config.ts',
      '/map/assets/',
    ]) {
      expect((await app().request(path)).status, path).toBe(404);
    }
  });

  it('answers 503 naming the missing service when built without it', async () => {
    for (const path of ['/map/state', '/stats/live']) {
      const res = await app().request(path);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('api.services_missing');
    }
  });
});

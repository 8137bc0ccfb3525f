/**
 * The delivery-analytics dashboard in a real browser after a demo city has lived an hour: the `npm start` city
 * (composeDemoCity, every part embedded) runs at high speed for one simulated hour, then headless Chromium opens
 * `/dashboard#key=…` with the city's operator key and every chart must be drawn by Chart.js (served from this
 * process) with data in it. Also checks, through the API, that the city produced what the charts draw — first-quoted
 * ETAs included, which only the dispatch pipeline writes. Keeps a screenshot in test-artifacts/dashboard.png.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { composeDemoCity, type DemoCity } from '../../apps/all/demo-city.ts';
import { loadConfig } from '../../internal/config/config.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { launchChromium, type TestBrowser } from '../e2e/chromium.ts';
import { scaledMs } from '../support/time-scale.ts';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
/** Simulated ms per wall ms: one simulated hour in about a wall minute on an idle machine. */
const SPEED = 60;
const SIMULATED_MS = 3_600_000;
/** Wall budget: 5× the unthrottled run plus start-up, times the machine factor. */
const BUDGET_MS = scaledMs((SIMULATED_MS / SPEED) * 5 + 60_000);
const CHARTS = [
  'chart-fulfilment',
  'chart-c2d',
  'chart-r2p',
  'chart-eta',
  'chart-batches',
  'chart-riders',
  'chart-cells',
  'chart-regret',
] as const;

let city: DemoCity | undefined;
let browser: TestBrowser | undefined;

afterAll(async () => {
  await browser?.close();
  await city?.cleanup();
});

describe('GET /dashboard in headless Chromium after a demo city hour', () => {
  it('draws every chart with data from /analytics/*', { timeout: BUDGET_MS + scaledMs(120_000) }, async () => {
    const config = loadConfig({ PORT: '0', LOG_LEVEL: 'error' });
    city = await composeDemoCity(config, ['--seed', '11', '--speed', String(SPEED), '--progress', '3600'], {
      logger: silentLogger,
      progress: () => {},
    });
    const { base } = await city.start();
    const wallStart = Date.now();
    const start = city.clock.now();
    // Minute by minute on the city's clock (it slows itself down when the machine cannot keep up), within the budget.
    for (let minute = 1; minute <= SIMULATED_MS / 60_000; minute++) {
      await city.clock.sleep(start + minute * 60_000 - city.clock.now());
      expect(Date.now() - wallStart, `wall budget exhausted at simulated minute ${minute}`).toBeLessThan(BUDGET_MS);
    }

    // The simulated customers, kitchens and riders stop (idempotent; cleanup stops the rest): from here on nobody
    // places or delivers, so the figures below and the page's agree.
    await city.simulator()!.cleanup();

    const get = async (path: string) => {
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${city!.operatorKey}` } });
      expect(res.status, path).toBe(200);
      return (await res.json()) as any;
    };
    // What the charts will draw (the dashboard's default range: the last 24 h on the city's clock).
    const fulfilment = await get('/analytics/fulfilment');
    expect(fulfilment.placed).toBeGreaterThan(10);
    expect(fulfilment.delivered).toBeGreaterThan(0);
    expect((await get('/analytics/click-to-door')).count).toBe(fulfilment.delivered);
    const eta = await get('/analytics/eta-accuracy');
    expect(eta.promised.count).toBe(fulfilment.delivered);
    // Every delivered order went through a sealed batch, which quoted its first ETA.
    expect(eta.first_quoted.count).toBe(fulfilment.delivered);
    expect((await get('/analytics/rider-utilisation')).utilisation).toBeGreaterThan(0);
    expect((await get('/analytics/batch-sizes')).batches).toBeGreaterThan(0);
    // Batches delivered more than the 10-minute decision window ago have their regret in hindsight.
    expect((await get('/analytics/regret')).overall.batches).toBeGreaterThan(0);

    browser = await launchChromium();
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
    });
    await page.goto(`${base}/dashboard#key=${city.operatorKey}`);
    await page.waitForSelector('body[data-state="ready"]', { timeout: scaledMs(30_000) });
    // The key left the address bar for sessionStorage, as on the map.
    expect(page.url()).toBe(`${base}/dashboard`);

    // Every canvas holds a Chart.js chart with at least one positive value, and drew pixels.
    const drawn = await page.evaluate((ids) => {
      const { Chart, document } = globalThis as any;
      return ids.map((id) => {
        const canvas = document.getElementById(id);
        const chart = canvas ? Chart?.getChart(canvas) : undefined;
        const values: number[] = chart ? chart.data.datasets.flatMap((d: { data: number[] }) => d.data) : [];
        const pixels: Uint8ClampedArray | number[] =
          canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
        return { id, chart: Boolean(chart), positive: values.filter((v) => v > 0).length, painted };
      });
    }, CHARTS);
    for (const c of drawn) {
      expect(c.chart, c.id).toBe(true);
      expect(c.positive, c.id).toBeGreaterThan(0);
      expect(c.painted, c.id).toBeGreaterThan(500);
    }
    expect(Number(await page.locator('#fig-placed').textContent())).toBe(fulfilment.placed);
    expect(await page.locator('#fig-fulfilment').textContent()).toMatch(/^\d+\.\d %$/);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // The map and the dashboard link to each other; the key carries over in the tab's sessionStorage.
    await page.click('#to-map');
    await page.waitForURL(`${base}/map`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: scaledMs(30_000) });
    expect(await page.locator('#key-form').isHidden()).toBe(true);
    await page.click('#to-dashboard');
    await page.waitForSelector('body[data-state="ready"]', { timeout: scaledMs(30_000) });
    expect(problems).toEqual([]);
  });
});

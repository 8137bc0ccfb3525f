/**
 * `npx tsx tests/e2e/screenshot.ts http://127.0.0.1:8000/map test-artifacts/map.png [wait-ms]`: opens a page in the
 * same headless Chromium the tests use, waits for the map's first snapshot (plus `wait-ms` for live updates and
 * marker animations), and saves a screenshot. For looking at a running system (e.g. while the simulator drives it).
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { launchChromium } from './chromium.ts';

const [url, out = 'test-artifacts/map.png', waitMs = '3000'] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: npx tsx tests/e2e/screenshot.ts URL [OUT.png] [WAIT_MS]\n');
  process.exit(2);
}
const chromium = await launchChromium();
try {
  const page = await chromium.context.newPage();
  page.on('pageerror', (error) => process.stderr.write(`pageerror: ${error.message}\n`));
  await page.goto(url);
  await page
    .waitForSelector('body[data-loaded="true"]', { timeout: 20_000 })
    .catch(() => process.stderr.write('the map did not report loaded\n'));
  await page.waitForTimeout(Number(waitMs));
  await mkdir(dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  process.stdout.write(`${out}\n`);
} finally {
  await chromium.close();
}

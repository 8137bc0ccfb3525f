/**
 * The done-when, checked literally: from this checkout, `npm start` with no service environment at all (so the
 * embedded adapters: PGlite, in-process bus, in-memory geo store, straight-line router) shows, within 60 seconds of
 * being started, a map in headless Chromium on which rider markers move and the delivered count rises. Keeps a
 * screenshot in test-artifacts/npm-start.png and the child's console output in test-artifacts/npm-start.log.
 *
 * The child runs in its own process group (npm → sh → tsx → node), which is killed as a whole at the end: SIGTERM,
 * then SIGKILL if anything is still alive a few seconds later.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../e2e/chromium.ts';
import { scaledMs } from '../support/time-scale.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
/** The budget, counted from the moment `npm start` is spawned; scaled by TEST_TIME_SCALE (tests/support/time-scale.ts). */
const BUDGET_MS = scaledMs(60_000);
/** Anything that would select a real server instead of an embedded adapter, or pin the port. */
const SERVICE_VARIABLES = [
  'DATABASE_URL',
  'POSTGRES_DSN',
  'REDIS_URL',
  'REDIS_ADDR',
  'KAFKA_BROKERS',
  'OSRM_URL',
  'OSRM_ADDR',
  'HTTP_ADDR',
];

/**
 * A fresh shell's environment: what npm and node need to run, nothing that configures deliverygo except PORT=0
 * (a free port, so the test never clashes with a running server). Built from an allow-list, so CI variables and
 * the integration servers' URLs cannot leak in.
 */
function cleanEnvironment(): Record<string, string> {
  // Test-only: the child needs the caller's PATH and HOME to find node and npm (tests may read the environment).
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'USER'];
  const env: Record<string, string> = {};
  for (const name of keep) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.PORT = '0';
  return env;
}

interface Child {
  process: ChildProcess;
  output: string[];
  spawnedAt: number;
  /** Resolves with the map URL the start banner prints (rejects if the child exits first). */
  mapUrl: Promise<string>;
}

function startNpm(): Child {
  const env = cleanEnvironment();
  for (const name of SERVICE_VARIABLES) expect(env, `${name} must not reach the child`).not.toHaveProperty(name);
  const spawnedAt = Date.now();
  const child = spawn('npm', ['start', '--', '--seed', '7'], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let stdout = '';
  const mapUrl = new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output.push(chunk);
      stdout += chunk;
      const match = /live map\s+(http:\/\/\S+\/map#key=dgo_op_[A-Za-z0-9_-]{43})(\s|$)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`npm start exited (code ${code}, signal ${signal}) before printing the map URL`)),
    );
  });
  mapUrl.catch(() => {}); // observed by the test; this only keeps an early exit from being an unhandled rejection
  return { process: child, output, spawnedAt, mapUrl };
}

/** True while any process of the group is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

async function waitForGroupExit(pgid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** SIGTERM to the whole group; SIGKILL after 5 s. Returns how it ended. */
async function stopGroup(child: ChildProcess): Promise<'gone' | 'SIGTERM' | 'SIGKILL'> {
  const pgid = child.pid;
  if (pgid === undefined || !groupAlive(pgid)) return 'gone';
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    /* exited in between */
  }
  if (await waitForGroupExit(pgid, 5_000)) return 'SIGTERM';
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* exited in between */
  }
  await waitForGroupExit(pgid, 3_000);
  return 'SIGKILL';
}

/** Where a rider marker is: its screen centre and the position Leaflet holds for it. */
interface MarkerPlace {
  x: number;
  y: number;
  lat: number;
  lng: number;
}

/** What the page shows: every drawn rider marker, and the delivered figure (null while it shows "–"). */
async function readPage(page: Page): Promise<{ riders: Map<string, MarkerPlace>; delivered: number | null }> {
  // Runs in the page; the project's TypeScript has no DOM library, hence the `any`s.
  const seen = await page.evaluate(() => {
    const g = globalThis as any;
    const riders: Array<[string, MarkerPlace]> = [];
    for (const el of g.document.querySelectorAll('.rider-marker[data-rider-id]')) {
      const id: string = el.dataset.riderId;
      const box = el.getBoundingClientRect();
      const at = g.deliverygoMap?.riderLatLng(id);
      if (at) riders.push([id, { x: box.x + box.width / 2, y: box.y + box.height / 2, lat: at.lat, lng: at.lng }]);
    }
    return { riders, delivered: String(g.document.getElementById('fig-delivered')?.textContent ?? '') };
  });
  const digits = seen.delivered.replace(/\D/g, ''); // toLocaleString may group thousands
  return { riders: new Map(seen.riders), delivered: digits === '' ? null : Number(digits) };
}

/**
 * A marker moved when both its position (≥ ~5 m) and its place on the screen (≥ 3 px) changed: the map fits its view
 * once, which shifts every marker on the screen without moving any rider, and a metre-scale jitter is not movement.
 */
function moved(a: MarkerPlace, b: MarkerPlace): number | null {
  const px = Math.hypot(b.x - a.x, b.y - a.y);
  const deg = Math.hypot(b.lat - a.lat, (b.lng - a.lng) * Math.cos((a.lat * Math.PI) / 180));
  return px >= 3 && deg >= 5e-5 ? px : null;
}

let chromium: TestBrowser | undefined;
let child: Child | undefined;

afterAll(async () => {
  if (child) await stopGroup(child.process);
  await chromium?.close();
});

describe('npm start (no environment)', () => {
  it('shows, within 60 s, a map in headless Chromium on which rider markers move and the delivered count rises', {
    timeout: scaledMs(60_000) + 60_000,
  }, async () => {
    // The browser is already open when the user types `npm start`; the 60 s run from the spawn below.
    chromium = await launchChromium();
    child = startNpm();
    const deadline = child.spawnedAt + BUDGET_MS;
    const since = () => ((Date.now() - child!.spawnedAt) / 1_000).toFixed(1);
    const timeline: string[] = [];
    const note = (what: string) => timeline.push(`${since().padStart(5)} s  ${what}`);
    const tail = () => child!.output.join('').split('\n').slice(-30).join('\n');

    const firstPositions = new Map<string, MarkerPlace>();
    let riderCount = 0;
    let movedRider: string | undefined;
    let firstDelivered: number | null = null;
    let delivered: number | null = null;
    const problems: string[] = [];
    let page: Page | undefined;
    try {
      const url = await Promise.race([
        child.mapUrl,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`no map URL within ${BUDGET_MS / 1000} s`)),
            Math.max(0, deadline - Date.now()),
          ),
        ),
      ]);
      note(`map URL printed: ${url}`);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/map#key=dgo_op_/);

      page = await chromium.context.newPage();
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
      await page.goto(url, { timeout: Math.max(1_000, deadline - Date.now()) });
      await page.waitForSelector('body[data-loaded="true"]', { timeout: Math.max(1_000, deadline - Date.now()) });
      note('map loaded its first snapshot');

      // Watch until both have happened or the budget is spent.
      while (Date.now() < deadline && (movedRider === undefined || !(delivered !== null && delivered > 0))) {
        const now = await readPage(page);
        riderCount = Math.max(riderCount, now.riders.size);
        if (firstPositions.size === 0 && now.riders.size > 0) note(`${now.riders.size} rider markers drawn`);
        for (const [id, p] of now.riders) if (!firstPositions.has(id)) firstPositions.set(id, p);
        if (movedRider === undefined) {
          for (const [id, p] of now.riders) {
            const first = firstPositions.get(id);
            const px = first ? moved(first, p) : null;
            if (px !== null) {
              movedRider = id;
              note(`rider ${id.slice(0, 8)} moved ${px.toFixed(0)} px`);
              break;
            }
          }
        }
        if (firstDelivered === null && now.delivered !== null) {
          firstDelivered = now.delivered;
          note(`delivered figure first reads ${now.delivered}`);
        }
        if (now.delivered !== null && now.delivered !== delivered) {
          if (delivered !== null) note(`delivered figure reads ${now.delivered}`);
          delivered = now.delivered;
        }
        await page.waitForTimeout(250);
      }
    } finally {
      await mkdir(ARTIFACTS, { recursive: true });
      if (page) await page.screenshot({ path: join(ARTIFACTS, 'npm-start.png') }).catch(() => {});
      note(`screenshot taken; stopping the process group`);
      const ended = await stopGroup(child.process);
      note(`process group ended by ${ended}`);
      await writeFile(
        join(ARTIFACTS, 'npm-start.log'),
        `${timeline.join('\n')}\n\n--- npm start output ---\n${child.output.join('')}`,
      );
      console.info(`npm start timeline:\n${timeline.join('\n')}`);
    }

    const context = `\n${timeline.join('\n')}\n--- last lines of npm start ---\n${tail()}`;
    expect(groupAlive(child.process.pid!), `npm start's process group outlived SIGKILL${context}`).toBe(false);
    expect(riderCount, `no rider marker was drawn within 60 s${context}`).toBeGreaterThan(0);
    expect(movedRider, `no rider marker moved within 60 s${context}`).toBeDefined();
    // A fresh embedded database: the page starts at 0 and must count up from there.
    expect(firstDelivered, `the delivered figure never showed a number${context}`).toBe(0);
    expect(delivered, `the delivered count did not rise above 0 within 60 s${context}`).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});

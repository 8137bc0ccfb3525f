/**
 * Headless Chromium for the browser tests: Debian's `chromium` package (scripts/ensure-chromium.sh installs it),
 * driven by playwright-core, which downloads no browser of its own. Each launch gets a fresh profile directory that
 * `close()` deletes, and flags that keep Chromium off the network (no updates, sync or QUIC) so a test only ever
 * talks to the server under test.
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { scaledMs } from '../support/time-scale.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface TestBrowser {
  /** A persistent context over the fresh profile (Playwright takes the profile this way, not as --user-data-dir). */
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium; fails with a clear message (never skips) when the binary is missing. */
export async function launchChromium(): Promise<TestBrowser> {
  await access(CHROMIUM_PATH).catch(() => {
    throw new Error(
      `${CHROMIUM_PATH} is missing: run \`bash scripts/ensure-chromium.sh\` (or \`bash scripts/infra.sh up\`) first`,
    );
  });
  const profile = await mkdtemp(join(tmpdir(), 'deliverygo-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: scaledMs(30_000),
      viewport: { width: 1440, height: 900 },
    });
    return {
      context,
      close: async () => {
        await context.close().catch(() => {});
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

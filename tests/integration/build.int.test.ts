/**
 * The production build, as `npm run api` and `npm start` run it: plain `node dist/…/main.js`, no tsx. Checks that the
 * compiled API starts on the embedded adapters (so it finds migrations/ and web/ from dist/), answers /health and the
 * map, reports a taken port in one plain line before starting anything slow, answers `--help` and a bad flag, and
 * lists what it drained when stopped.
 *
 * Uses dist/ as `npm run build` left it (`npm test` builds before running the tests); fails with the fix if dist/ is
 * missing or older than the sources, rather than rebuilding under the feet of other tests that run it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaledMs } from '../support/time-scale.ts';
import { freePort } from '../support/free-port.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** What node needs to run, and nothing that selects a server: the embedded adapters. */
function cleanEnvironment(extra: Record<string, string>): Record<string, string> {
  // Test-only: the child needs the caller's PATH and HOME to find node (tests may read the environment).
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/** Runs a compiled entry to its end (bounded); its exit code and output. */
function runToEnd(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: cleanEnvironment(env),
    encoding: 'utf8',
    timeout: scaledMs(60_000),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the compiled build (npm run build → node dist/…)', () => {
  let api: ChildProcess | undefined;
  let port = 0;
  let apiOut = '';
  let apiExit: Promise<number | null> | undefined;

  beforeAll(async () => {
    const fresh = spawnSync(process.execPath, ['scripts/require-build.mjs'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, DELIVERYGO_BUILD_CHECK_ONLY: '1' },
    });
    expect(fresh.status, fresh.stderr).toBe(0);

    port = await freePort();
    api = spawn(process.execPath, ['dist/apps/api/main.js'], {
      cwd: ROOT,
      env: cleanEnvironment({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    api.stdout!.setEncoding('utf8').on('data', (chunk: string) => (apiOut += chunk));
    api.stderr!.setEncoding('utf8').on('data', (chunk: string) => (apiOut += chunk));
    apiExit = new Promise((resolve) => api!.once('exit', (code) => resolve(code)));
    // Waits for the condition (the API answering), bounded so that a broken build fails instead of hanging.
    const deadline = Date.now() + scaledMs(120_000);
    for (;;) {
      if (api.exitCode !== null) throw new Error(`the compiled API exited with ${api.exitCode}:\n${apiOut}`);
      if (
        (await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.status,
          () => 0,
        )) === 200
      )
        break;
      if (Date.now() > deadline) throw new Error(`the compiled API did not answer /health in time:\n${apiOut}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, scaledMs(180_000));

  afterAll(async () => {
    if (api && api.exitCode === null) {
      api.kill('SIGKILL');
      await apiExit;
    }
  });

  it('serves /health on the embedded adapters, and the map page and script from web/', async () => {
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
      status: string;
      checks: Record<string, { adapter: string }>;
    };
    expect(health.status).toBe('ok');
    expect(health.checks.postgres?.adapter).toBe('pglite'); // migrations/ was found: PGlite migrated and answers
    const page = await fetch(`http://127.0.0.1:${port}/map`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const script = await fetch(`http://127.0.0.1:${port}/map/assets/map.js`);
    expect(script.status).toBe(200);
    await script.body?.cancel();
  });

  it.each([
    ['npm run api', 'dist/apps/api/main.js'],
    ['npm start', 'dist/apps/all/main.js'],
  ])('%s on a taken port says so in one plain line naming PORT, before starting anything', (command, entry) => {
    const { code, stdout, stderr } = runToEnd([entry], { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    expect(code).toBe(2);
    expect(stderr).toBe(
      `deliverygo: port ${port} is already in use (127.0.0.1:${port}) — stop the process holding it, or pick another port: PORT=${port + 1} ${command}\n`,
    );
    // Nothing else: no JSON log line (so no migration ran, no database started), no stack trace, no banner.
    expect(stdout).toBe('');
  });

  it('npm start --help prints the demo defaults; a bad flag points to --help', () => {
    const help = runToEnd(['dist/apps/all/main.js', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm start -- \[options\]/);
    expect(help.stdout).toMatch(/--riders N .*\(default 20\)$/m);
    expect(help.stdout).toMatch(/--speed S .*\(default 30\)$/m);

    const bogus = runToEnd(['dist/apps/all/main.js', '--bogus'], {});
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toBe('npm start: unknown option --bogus — see `npm start -- --help`\n');
    expect(bogus.stdout).toBe('');
  });

  it('on SIGTERM drains, logs the steps it stopped, and exits 0', async () => {
    api!.kill('SIGTERM');
    expect(await apiExit).toBe(0);
    const done = apiOut
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; steps?: Array<{ step: string; ok: boolean }> })
      .find((l) => l.msg === 'shutdown complete');
    expect(done?.steps?.map((s) => s.step)).toEqual(expect.arrayContaining(['http server', 'adapters']));
    expect(done?.steps?.every((s) => s.ok)).toBe(true);
  });
});

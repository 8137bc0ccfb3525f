/**
 * `npm run api` as a child process, for the tests and benchmarks that need the API exactly as it is deployed (its own
 * process, node:cluster workers with API_WORKERS): started on a free port of 127.0.0.1, ready once it answers,
 * stopped with SIGTERM (SIGKILL after 30 s). Tests run the sources (tsx); benchmarks run the compiled code the
 * deployment runs (`compiled`, after `buildCheckout`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ApiProcess {
  child: ChildProcess;
  baseUrl: string;
  /** SIGTERM, then SIGKILL after 30 s; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The node arguments that start an app's entry point: `node dist/apps/{app}/main.js` — what `npm run api` and
 * `npm run worker` run — when `compiled`, else its sources through tsx (no build step, always current).
 */
export function appEntryArgs(app: 'api' | 'worker', compiled: boolean): string[] {
  return compiled ? [`dist/apps/${app}/main.js`] : ['--import', 'tsx', `apps/${app}/main.ts`];
}

/**
 * `npm run build` in a checkout (this one by default), so that a benchmark measures the compiled code `npm run api`
 * and `npm run worker` deploy, as it is now; a failed build throws.
 */
export function buildCheckout(checkout: string = root): void {
  execFileSync('npm', ['run', 'build'], { cwd: checkout, stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Starts the API (`apps/api/main.ts`, or with `compiled` its build) with `env` (on top of this process' environment;
 * HTTP_ADDR is set to a free port) and waits (bounded, 90 s) until it answers `/health`; fails at once if it exits
 * first. Its output goes to this process' stdout/stderr. `API_CPU_PROF=<dir>` in this process' environment makes the
 * API write a V8 CPU profile there when it exits (profiling a benchmark's API without touching the benchmark), and
 * `API_NODE_ARGS` adds node flags (space-separated, e.g. `--trace-gc`). `root` runs the API of another checkout (an
 * A/B benchmark of two commits; its node_modules must be installed or linked).
 */
export async function startApiProcess(
  env: Record<string, string>,
  options: { root?: string | undefined; compiled?: boolean } = {},
): Promise<ApiProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      ...(process.env.API_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.API_CPU_PROF] : []),
      ...(process.env.API_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ...appEntryArgs('api', options.compiled ?? false),
    ],
    {
      cwd: options.root ?? root,
      env: { ...process.env, ...env, HTTP_ADDR: `127.0.0.1:${port}` },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const api = { child, baseUrl, stop: () => stopProcess(child) };
  try {
    await waitForHttp(`${baseUrl}/health`, child);
  } catch (error) {
    await api.stop();
    throw error;
  }
  return api;
}

/** Waits (bounded, 90 s) until `url` answers at all; fails at once if `child` exits first. */
async function waitForHttp(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 900; i++) {
    if (child.exitCode !== null) throw new Error(`the API process exited with ${child.exitCode} before listening`);
    const up = await fetch(url).then(
      (r) => r.body?.cancel().then(() => true) ?? true,
      () => false,
    );
    if (up) return;
    await sleep(100);
  }
  throw new Error(`the API process did not answer ${url} within 90 s`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * A Prometheus server of the test's own (Debian's `prometheus`, installed by scripts/ensure-prometheus.sh): a temporary
 * config and data directory, a free port of 127.0.0.1, scraping the given targets every second. Never the machine's
 * service. `stop()` ends the process this helper started (by its pid) and removes the directory.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { waitFor } from './wait-for.ts';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const PROMTOOL_BIN = '/usr/bin/promtool';

/** Both binaries are there (else: `bash scripts/ensure-prometheus.sh`). */
export const prometheusInstalled = (): boolean => existsSync(PROMETHEUS_BIN) && existsSync(PROMTOOL_BIN);

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface TestPrometheus {
  baseUrl: string;
  /** An instant PromQL query; rejects unless Prometheus answers `success`. */
  query(promql: string): Promise<PromSample[]>;
  /** The scrape targets' health, by job. */
  targets(): Promise<Array<{ job: string; health: string; lastError: string }>>;
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `jobs` (job name → `host:port`) every second; resolves once it is ready. */
export async function startPrometheus(jobs: Record<string, string>): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'deliverygo-prometheus-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    ...Object.entries(jobs).flatMap(([job, target]) => [
      `  - job_name: ${job}`,
      '    static_configs:',
      `      - targets: ["${target}"]`,
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (!exited) child.kill('SIGTERM');
    await exit;
    rmSync(dir, { recursive: true, force: true });
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`prometheus exited at start-up: ${stderr}`);
        return fetch(`${baseUrl}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
      },
      { timeoutMs: 30_000, what: 'prometheus to be ready', intervalMs: 100 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? response.status}`);
    return body.data;
  };
  return {
    baseUrl,
    query: async (promql) =>
      (await api<{ result: PromSample[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`)).result,
    targets: async () =>
      (
        await api<{ activeTargets: Array<{ labels: { job: string }; health: string; lastError: string }> }>(
          '/api/v1/targets',
        )
      ).activeTargets.map((t) => ({ job: t.labels.job, health: t.health, lastError: t.lastError })),
    stop,
  };
}

/**
 * prom-client's default process metrics (`collectDefaultMetrics`) include three gauges named `nodejs_active_*_total`,
 * which promtool's linter flags (a `_total` suffix on a non-counter). They are the library's names, not ours, and
 * dashboards know them by these names; every other finding counts.
 */
const PROM_CLIENT_DEFAULTS =
  /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;

/**
 * `promtool check metrics` over a Prometheus text exposition. `status` is promtool's exit status (0 clean, 1 the text
 * does not parse, 3 lint findings); `problems` lists the findings other than prom-client's own default gauges.
 */
export function promtoolCheckMetrics(text: string): { status: number | null; problems: string[]; output: string } {
  const run = spawnSync(PROMTOOL_BIN, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const output = `${run.stdout}${run.stderr}`.trim();
  const problems = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !PROM_CLIENT_DEFAULTS.test(line));
  return { status: run.status, problems, output };
}

/** The metric names a text exposition declares (`# TYPE name kind`). */
export function declaredMetrics(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}

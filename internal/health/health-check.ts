/**
 * The health port: every adapter the process depends on (Postgres or PGlite, Redis or the in-memory store, Kafka or
 * the in-process bus, OSRM or the straight-line router) contributes one `HealthCheck`. `/health` runs them all.
 */
export interface HealthCheck {
  /** Which dependency: `postgres`, `redis`, `bus`, `router`. */
  name: string;
  /** Which adapter serves it, e.g. `postgres` / `pglite`, `kafka` / `memory`. */
  adapter: string;
  /** Resolves when the dependency answers; rejects (or outlives the timeout) when it does not. */
  check(): Promise<void>;
}

export interface CheckResult {
  adapter: string;
  status: 'up' | 'down';
  latency_ms: number;
  /** Why it is down. */
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: Record<string, CheckResult>;
}

/**
 * Runs every check concurrently, each bounded by `timeoutMs` so one hung dependency cannot hang the report.
 * The report is `degraded` when any check is down.
 */
export async function runHealthChecks(checks: readonly HealthCheck[], timeoutMs = 2_000): Promise<HealthReport> {
  const results = await Promise.all(checks.map(async (c) => [c.name, await runOne(c, timeoutMs)] as const));
  const down = results.some(([, r]) => r.status === 'down');
  return { status: down ? 'degraded' : 'ok', checks: Object.fromEntries(results) };
}

async function runOne(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { adapter: check.adapter, status: 'up', latency_ms: elapsed(started) };
  } catch (error) {
    return {
      adapter: check.adapter,
      status: 'down',
      latency_ms: elapsed(started),
      error: describe(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** `fetch failed` alone says little; the cause (`connect ECONNREFUSED 127.0.0.1:5000`) says what happened. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && cause !== error.message ? `${error.message}: ${cause}` : error.message;
}

const elapsed = (started: number): number => Math.round((performance.now() - started) * 100) / 100;

/** For embedded adapters that live in this process: if the process answers, they are up. */
export function inProcessHealthCheck(name: string, adapter: string): HealthCheck {
  return { name, adapter, check: async () => {} };
}

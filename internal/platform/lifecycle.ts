import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './logger.ts';

/** The part of `process` the shutdown logic uses; tests pass a fake. */
export interface ProcessLike {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

export interface RunUntilSignalOptions {
  /** Defaults to the real `process`. */
  process?: ProcessLike;
  /** Cleanup that takes longer is abandoned and the process exits 1. Below the usual 30 s kill grace period. */
  timeoutMs?: number;
  signals?: readonly NodeJS.Signals[];
  /**
   * Plain lines for a person at a terminal (`npm start`): that shutdown began, and what was stopped and drained, in
   * how long (`describeShutdown`). The JSON log gets the same steps either way.
   */
  say?: (line: string) => void;
}

/**
 * Keeps the process running until SIGINT or SIGTERM, then runs `cleanup` once and exits: 0 when it finished,
 * 1 when it threw or overran `timeoutMs`. A second signal while cleaning up exits 1 at once (an impatient operator
 * pressing Ctrl-C twice must not be ignored).
 *
 * `cleanup` owns the order: stop intake (close the HTTP server, stop consumers), drain in-flight work, commit
 * offsets, close pools — `shutdownSteps` runs such a list.
 *
 * @returns a promise of the exit code, settled after `cleanup` ends (and `exit` was called).
 */
export function runUntilSignal(
  cleanup: () => Promise<void>,
  logger: Logger,
  options: RunUntilSignalOptions = {},
): Promise<number> {
  const proc = options.process ?? process;
  const timeoutMs = options.timeoutMs ?? 25_000;
  const signals = options.signals ?? (['SIGINT', 'SIGTERM'] as const);

  return new Promise<number>((resolve) => {
    let shuttingDown = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (shuttingDown) {
        logger.warn({ signal }, 'second signal during shutdown: exiting now');
        proc.exit(1);
        return;
      }
      shuttingDown = true;
      logger.info({ signal }, 'shutting down');
      options.say?.(`${signal}: shutting down (again to exit at once)`);
      void shutdown().then((code) => {
        for (const s of signals) proc.off(s, onSignal);
        proc.exit(code);
        resolve(code);
      });
    };

    const shutdown = async (): Promise<number> => {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const overrun = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), timeoutMs);
        timer.unref();
      });
      const steps: ShutdownRecord[] = [];
      try {
        const result = await Promise.race([shutdownRecords.run(steps, cleanup).then(() => 'done' as const), overrun]);
        if (result === 'timeout') {
          logger.error({ timeoutMs, steps }, 'shutdown did not finish in time: exiting anyway');
          options.say?.(
            `shutdown did not finish within ${timeoutMs / 1000} s: exiting anyway (${describeShutdown(steps, Date.now() - started)})`,
          );
          return 1;
        }
        logger.info({ ms: Date.now() - started, steps }, 'shutdown complete');
        options.say?.(describeShutdown(steps, Date.now() - started));
        return 0;
      } catch (error) {
        logger.error({ err: error, steps }, 'shutdown failed');
        options.say?.(`${describeShutdown(steps, Date.now() - started)} — with errors: ${(error as Error).message}`);
        return 1;
      } finally {
        clearTimeout(timer);
      }
    };

    for (const s of signals) proc.on(s, onSignal);
  });
}

/** One named step of an orderly shutdown. */
export type ShutdownStep = readonly [name: string, run: () => Promise<void> | void];

/** A finished shutdown step, with the steps it ran itself (an API's cleanup runs its own `shutdownSteps`). */
export interface ShutdownRecord {
  step: string;
  ms: number;
  ok: boolean;
  steps: ShutdownRecord[];
}

/**
 * Collects the steps of every `shutdownSteps` that runs inside `runUntilSignal`'s cleanup, however deeply nested, without
 * each component having to hand its list up: the API, the worker and the adapters each run their own.
 */
const shutdownRecords = new AsyncLocalStorage<ShutdownRecord[]>();

/**
 * One plain line per stopped component: `stopped in 0.6 s:` then e.g. `  api      0.10 s  websocket hub, http server,
 * telemetry`. Used for the console of `npm start`.
 */
export function describeShutdown(steps: readonly ShutdownRecord[], ms: number): string {
  const width = Math.max(0, ...steps.map((s) => s.step.length));
  const names = (list: readonly ShutdownRecord[]): string =>
    list
      .map((s) => `${s.step}${s.ok ? '' : ' (FAILED)'}${s.steps.length > 0 ? ` (${names(s.steps)})` : ''}`)
      .join(', ');
  const lines = steps.map(
    (s) =>
      `  ${s.step.padEnd(width)}  ${(s.ms / 1000).toFixed(2)} s${s.ok ? '' : '  FAILED'}${s.steps.length > 0 ? `  ${names(s.steps)}` : ''}`,
  );
  return [`stopped in ${(ms / 1000).toFixed(1)} s${lines.length > 0 ? ':' : ''}`, ...lines].join('\n');
}

/**
 * Runs shutdown steps in order, logging each. A failing step is logged and the rest still run (a broken Redis
 * connection must not keep the Postgres pool open); the failures are rethrown together at the end.
 */
export async function shutdownSteps(steps: readonly ShutdownStep[], logger: Logger): Promise<void> {
  const failures: unknown[] = [];
  const records = shutdownRecords.getStore();
  for (const [name, run] of steps) {
    const record: ShutdownRecord = { step: name, ms: 0, ok: true, steps: [] };
    const started = performance.now();
    try {
      await shutdownRecords.run(record.steps, run);
      logger.debug({ step: name }, 'shutdown step done');
    } catch (error) {
      record.ok = false;
      logger.error({ err: error, step: name }, 'shutdown step failed');
      failures.push(error);
    }
    record.ms = Math.round(performance.now() - started);
    records?.push(record);
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} shutdown step(s) failed`);
}

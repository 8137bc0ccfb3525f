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
export function runUntilSignal(cleanup: () => Promise<void>, logger: Logger, options: RunUntilSignalOptions = {}): Promise<number> {
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
      try {
        const result = await Promise.race([cleanup().then(() => 'done' as const), overrun]);
        if (result === 'timeout') {
          logger.error({ timeoutMs }, 'shutdown did not finish in time: exiting anyway');
          return 1;
        }
        logger.info({ ms: Date.now() - started }, 'shutdown complete');
        return 0;
      } catch (error) {
        logger.error({ err: error }, 'shutdown failed');
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

/**
 * Runs shutdown steps in order, logging each. A failing step is logged and the rest still run (a broken Redis
 * connection must not keep the Postgres pool open); the failures are rethrown together at the end.
 */
export async function shutdownSteps(steps: readonly ShutdownStep[], logger: Logger): Promise<void> {
  const failures: unknown[] = [];
  for (const [name, run] of steps) {
    try {
      await run();
      logger.debug({ step: name }, 'shutdown step done');
    } catch (error) {
      logger.error({ err: error, step: name }, 'shutdown step failed');
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} shutdown step(s) failed`);
}

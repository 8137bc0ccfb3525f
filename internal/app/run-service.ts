import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { runUntilSignal } from '../platform/lifecycle.ts';
import type { Logger } from '../platform/logger.ts';
import { startTracing, type Tracing } from '../platform/tracing.ts';
import { listenFailureMessage } from './listen-address.ts';

/** Loads the configuration, or exits 2 with the message naming the bad variable (an operator's mistake, not a crash). */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

/**
 * Composes a service, starts it and keeps it running until SIGINT/SIGTERM (then its cleanup runs, and the log's
 * `shutdown complete` line lists the steps it drained). A service that fails to start is logged, cleaned up as far as
 * it got, and the process exits 1 — or, when its port cannot be bound, says so in one plain line and exits 2.
 */
export async function serveUntilSignal(
  name: string,
  logger: Logger,
  compose: () => Promise<{ start(): Promise<unknown>; cleanup(): Promise<void> }>,
  tracing?: Tracing,
): Promise<void> {
  let service: Awaited<ReturnType<typeof compose>> | undefined;
  try {
    const composed = await compose();
    // Spans of the last requests and messages go out after the service has drained them.
    service = tracing
      ? { start: () => composed.start(), cleanup: () => withTracingShutdown(composed.cleanup, tracing)() }
      : composed;
    await service.start();
  } catch (error) {
    // A port that is taken (or not ours to bind) is the operator's to fix: one plain line naming the variable, exit 2.
    const plain = listenFailureMessage(
      error,
      undefined,
      `npm run ${name}`,
      name === 'worker' ? 'WORKER_METRICS_PORT' : 'PORT',
    );
    if (plain) process.stderr.write(`${plain}\n`);
    else logger.fatal({ err: error }, `${name} failed to start`);
    await service?.cleanup().catch(() => {});
    await tracing?.shutdown().catch(() => {});
    process.exit(plain ? 2 : 1);
  }
  void runUntilSignal(service.cleanup, logger);
}

/**
 * Starts the process's tracing from `config.tracing` (off unless an OTLP endpoint is set; see platform/tracing.ts).
 * Called by each entrypoint before it composes, so the first request is traced; `serviceName` names the process.
 */
export function startProcessTracing(config: Config, serviceName: string, logger: Logger): Promise<Tracing> {
  return startTracing(config.tracing, { serviceName, logger });
}

/** `cleanup`, then the tracing's flush and shutdown (even when the cleanup failed). */
export function withTracingShutdown(cleanup: () => Promise<void>, tracing: Tracing): () => Promise<void> {
  return async () => {
    try {
      await cleanup();
    } finally {
      await tracing.shutdown().catch(() => {});
    }
  };
}

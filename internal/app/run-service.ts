import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { runUntilSignal } from '../platform/lifecycle.ts';
import type { Logger } from '../platform/logger.ts';
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
): Promise<void> {
  let service: Awaited<ReturnType<typeof compose>> | undefined;
  try {
    service = await compose();
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
    process.exit(plain ? 2 : 1);
  }
  void runUntilSignal(service.cleanup, logger);
}

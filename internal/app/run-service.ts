import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { runUntilSignal } from '../platform/lifecycle.ts';
import type { Logger } from '../platform/logger.ts';

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
 * Composes a service, starts it and keeps it running until SIGINT/SIGTERM (then its cleanup runs). A service that
 * fails to start is logged, cleaned up as far as it got, and the process exits 1.
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
    logger.fatal({ err: error }, `${name} failed to start`);
    await service?.cleanup().catch(() => {});
    process.exit(1);
  }
  void runUntilSignal(service.cleanup, logger);
}

import type { Config } from '../../internal/config/config.ts';
import { openDatabase } from '../../internal/db/open-database.ts';
import { createEventBus } from '../../internal/eventbus/create-event-bus.ts';
import { OutboxRelay } from '../../internal/outbox/outbox-relay.ts';
import { shutdownSteps, type ShutdownStep } from '../../internal/platform/lifecycle.ts';
import type { Logger } from '../../internal/platform/logger.ts';

export interface WorkerRuntime {
  /** Starts the background work (for now the outbox relay; consumers join in later issues). */
  start(): Promise<void>;
  /** Stops intake, drains in-flight work, flushes the bus, closes the pool. Idempotent. */
  cleanup(): Promise<void>;
}

/**
 * The worker's composition root: builds the adapters `config` selects and the background processes that use them.
 * If building fails half-way, what was built is closed before the error propagates.
 */
export async function composeWorker(config: Config, logger: Logger): Promise<WorkerRuntime> {
  const teardown: ShutdownStep[] = [];
  try {
    const database = await openDatabase(config, logger, 'deliverygo-worker');
    teardown.push(['postgres pool', () => database.close()]);

    const { bus, adapter: busAdapter } = createEventBus(config, logger);
    teardown.push(['event bus', () => bus.close()]);

    const relay = new OutboxRelay({ db: database.db, pool: database.pool, bus, logger: logger.child({ component: 'outbox-relay' }) });
    logger.info({ postgres: database.adapter, bus: busAdapter }, 'worker composed');

    let cleaning: Promise<void> | undefined;
    return {
      start: async () => {
        relay.start();
        logger.info('worker started');
      },
      // Order: stop taking new work and finish the batch in flight, then flush/close the bus (commits offsets),
      // then the pool the relay needed until the end.
      cleanup: () => (cleaning ??= shutdownSteps([['outbox relay', () => relay.stop()], ...[...teardown].reverse()], logger)),
    };
  } catch (error) {
    await shutdownSteps([...teardown].reverse(), logger).catch(() => {});
    throw error;
  }
}

import { Coalescer } from '../platform/coalescer.ts';
import type { Logger } from '../platform/logger.ts';
import { runDetached } from '../platform/tracing.ts';

export interface PeriodicLoop {
  /** Runs `tick` now, out of turn (coalesced with a run in progress). */
  poke(): void;
  /** Resolves once no run is in progress or queued (tests and the parity harness wait on it). */
  settled(): Promise<void>;
  /** Stops after the run in progress; resolves when nothing runs any more. */
  stop(): Promise<void>;
}

/**
 * Runs `tick` every `intervalMs` (measured from the end of the previous run, so runs never overlap). A failing run is
 * logged and the loop goes on: the next run retries whatever was left. Pokes are calls to the platform `Coalescer`
 * (one run in flight): the pokes that arrive during a run all become one more run, right after it.
 */
export function startPeriodicLoop(
  name: string,
  intervalMs: number,
  tick: () => Promise<unknown>,
  logger: Logger,
): PeriodicLoop {
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  const runs = new Coalescer<void, void>(
    async (pokes) => {
      const done = pokes.map(() => undefined);
      if (!running) return done; // stopped while queued: no further run
      clearTimeout(timer);
      try {
        // A poke from inside a consumer's span must not make the whole run (many orders) part of that one trace.
        await runDetached(tick);
      } catch (error) {
        logger.warn({ err: error, loop: name }, 'periodic run failed; retrying next period');
      }
      // The next period counts from now; a poke queued meanwhile runs at once and restarts it.
      if (running) timer = setTimeout(run, intervalMs);
      return done;
    },
    { maxInFlight: 1, maxBatch: Number.POSITIVE_INFINITY },
  );
  const run = (): void => {
    if (running) void runs.call();
  };
  timer = setTimeout(run, intervalMs);

  return {
    poke: run,
    settled: () => runs.drain(),
    stop: async () => {
      running = false;
      clearTimeout(timer);
      await runs.drain();
    },
  };
}

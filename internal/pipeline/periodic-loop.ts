import type { Logger } from '../platform/logger.ts';

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
 * logged and the loop goes on: the next run retries whatever was left.
 */
export function startPeriodicLoop(name: string, intervalMs: number, tick: () => Promise<unknown>, logger: Logger): PeriodicLoop {
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let again = false;

  const run = (): void => {
    if (!running) return;
    if (current) {
      again = true;
      return;
    }
    clearTimeout(timer);
    current = (async () => {
      try {
        await tick();
      } catch (error) {
        logger.warn({ err: error, loop: name }, 'periodic run failed; retrying next period');
      }
    })().finally(() => {
      current = undefined;
      if (!running) return;
      if (again) {
        again = false;
        setImmediate(run);
      } else {
        timer = setTimeout(run, intervalMs);
      }
    });
  };
  timer = setTimeout(run, intervalMs);

  return {
    poke: run,
    settled: async () => {
      while (current) await current.catch(() => {}).then(() => new Promise((resolve) => setImmediate(resolve)));
    },
    stop: async () => {
      running = false;
      clearTimeout(timer);
      await current;
    },
  };
}

import { scaledMs } from './time-scale.ts';

export interface WaitForOptions {
  /** Budget before giving up, scaled by TEST_TIME_SCALE (see time-scale.ts). */
  timeoutMs: number;
  /** What is awaited, for the error message. */
  what: string;
  /** Pause between probes. Default 50 ms. */
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns a truthy value and resolves with that value; a probe that throws fails at once.
 * Rejects with `timed out after N ms waiting for <what>` when the (scaled) budget runs out.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitForOptions): Promise<NonNullable<T>> {
  const budget = scaledMs(options.timeoutMs);
  const deadline = Date.now() + budget;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${budget} ms waiting for ${options.what}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

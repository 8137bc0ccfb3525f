/**
 * Retrying an operation against a dependency that may be briefly away (a broker restarting, a topic whose partitions
 * have no leader yet): errors the caller classifies as transient are retried with capped exponential backoff and
 * jitter (cockatiel) until a deadline; anything else, or the deadline, fails at once with the last error.
 */
import { handleWhen, retry } from 'cockatiel';
import { exponentialBackoff } from './backoff.ts';
import type { Logger } from './logger.ts';

export interface RetryUntilOptions {
  /** What is being done, for the log ("subscribe orders as batcher"). */
  what: string;
  /** True for errors worth another attempt. */
  isTransient: (error: unknown) => boolean;
  /** Give up this many ms after the first attempt started. */
  deadlineMs: number;
  logger: Logger;
  /** First pause between attempts. Default 100 ms. */
  initialDelayMs?: number;
  /** Longest pause between attempts. Default 5 s. */
  maxDelayMs?: number;
  /** Stops waiting and retrying (e.g. on shutdown); the last error is thrown. */
  signal?: AbortSignal;
}

/**
 * Runs `operation` until it succeeds, retrying transient failures until `deadlineMs`. Logs once per change of state
 * (the first failure, a different failure, recovery), never once per attempt, so a long outage is two log lines.
 */
export async function retryUntil<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryUntilOptions,
): Promise<T> {
  const started = Date.now();
  const giveUpAt = started + options.deadlineMs;
  let lastState: string | undefined;
  let failures = 0;
  const policy = retry(
    handleWhen((error) => !options.signal?.aborted && Date.now() < giveUpAt && options.isTransient(error)),
    {
      maxAttempts: Number.MAX_SAFE_INTEGER,
      backoff: exponentialBackoff({ initialMs: options.initialDelayMs ?? 100, maxMs: options.maxDelayMs ?? 5_000 }),
    },
  );
  policy.onRetry((event) => {
    failures++;
    if (!('error' in event)) return;
    const state = describe(event.error);
    if (state === lastState) return;
    lastState = state;
    options.logger.warn(
      { what: options.what, err: event.error, retryInMs: Math.round(event.delay), deadlineMs: options.deadlineMs },
      `${options.what}: transient failure, retrying until it works or the deadline passes`,
    );
  });
  const result = await policy.execute(({ attempt }) => operation(attempt), options.signal);
  if (failures > 0) {
    options.logger.info(
      { what: options.what, attempts: failures + 1, ms: Date.now() - started },
      `${options.what}: recovered`,
    );
  }
  return result;
}

/** A failure's identity for "did the state change": its class and message. */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

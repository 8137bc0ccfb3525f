import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Registry } from 'prom-client';
import { BackoffDelays } from '../platform/backoff.ts';
import { systemClock, type Clock } from '../platform/clock.ts';
import { isDependencyOutage } from '../platform/dependency-errors.ts';
import type { Logger } from '../platform/logger.ts';
import { withTraceHeaders } from '../platform/tracing.ts';
import {
  deadLetterTopic,
  type Event,
  type EventBus,
  type MessageHandler,
  type ReceivedMessage,
  type SubscribeOptions,
  type Subscription,
} from './event-bus.ts';
import { withConsumerSpan } from './consumer-span.ts';
import { withHandlerTiming } from './handler-timing.ts';
import { eventBusMetrics, type EventBusMetrics } from './metrics.ts';

/**
 * Handler middleware, watermill style: each piece wraps a `MessageHandler` into another one, so retry and dead-lettering
 * behave identically on every adapter. The usual chain (built by `consume`) is
 *
 *   withDeadLetter( withRetry( decodeEvent(schema, handler) ) )
 *
 * Handlers are idempotent themselves (a transaction guarded by state, or `processed_events`), so there is no id cache.
 *
 * read outside-in: a failure that survives all retries — or a message that can never succeed (poison, or a handler error
 * flagged `permanent`) — is parked in `<topic>.dlq` and the message is acknowledged, so one bad message never blocks its
 * partition.
 */

/** A message that can never be handled (bad JSON, bad envelope, payload failing its schema): retrying is pointless. */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
  /** Set by `withRetry`: the attempt at which the message was found to be poison. */
  attempts = 1;
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * True for a handler error that says retrying cannot help: any error carrying `permanent: true` (the convention of
 * e.g. `RoutingError`: "no road there" stays true however often it is asked). Read by duck typing, so domain errors
 * need not know the event bus.
 */
export function isPermanentError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true;
}

/** Thrown by `withRetry` when the handler failed with a permanent error (`isPermanentError`): not retried. */
export class PermanentFailureError extends Error {
  override name = 'PermanentFailureError';
  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`permanent failure: ${describeError(cause)}`, { cause });
  }
}

/** Thrown by `withRetry` when the handler failed `attempts` times in a row; `cause` is the last error. */
export class RetriesExhaustedError extends Error {
  override name = 'RetriesExhaustedError';
  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`failed after ${attempts} attempt(s): ${describeError(cause)}`, { cause });
  }
}

/** The handler an application writes: a decoded, validated event plus the raw message (for key, headers, logs). */
export type EventHandler<P = unknown> = (event: Event<P>, message: ReceivedMessage) => Promise<void>;

// ---------------------------------------------------------------------------------------------------------------- decode

const envelopeSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  occurredAt: z.iso.datetime({ offset: true }),
  payload: z.unknown().refine((value) => value !== undefined, 'is required'),
});

type Envelope = { ok: true; event: Event } | { ok: false; reason: string };

/** Parsed envelopes per message object, so decode and dead-letter parse each message's JSON once. */
const envelopes = new WeakMap<ReceivedMessage, Envelope>();

/** Parses and validates the envelope of `message` (memoised per message object). */
export function parseEnvelope(message: ReceivedMessage): Envelope {
  const cached = envelopes.get(message);
  if (cached) return cached;
  let result: Envelope;
  let json: unknown;
  try {
    json = JSON.parse(message.value);
  } catch (error) {
    result = { ok: false, reason: `invalid JSON: ${describeError(error)}` };
    envelopes.set(message, result);
    return result;
  }
  const parsed = envelopeSchema.safeParse(json);
  result = parsed.success
    ? { ok: true, event: parsed.data as Event }
    : { ok: false, reason: `invalid event envelope: ${formatIssues(parsed.error)}` };
  envelopes.set(message, result);
  return result;
}

/**
 * Turns an `EventHandler` into a `MessageHandler`: parses the JSON envelope and validates the payload with `schema`
 * (when given). Anything malformed throws `PoisonMessageError` naming what is wrong, before the handler runs.
 */
export function decodeEvent<S extends z.ZodType>(
  schema: S | undefined,
  handler: EventHandler<z.output<S>>,
): MessageHandler {
  return async (message) => {
    const envelope = parseEnvelope(message);
    if (!envelope.ok) throw new PoisonMessageError(envelope.reason);
    let event = envelope.event as Event<z.output<S>>;
    if (schema) {
      const payload = schema.safeParse(envelope.event.payload);
      if (!payload.success) {
        throw new PoisonMessageError(`invalid payload for ${envelope.event.type}: ${formatIssues(payload.error)}`);
      }
      event = { ...envelope.event, payload: payload.data };
    }
    await handler(event, message);
  };
}

// ----------------------------------------------------------------------------------------------------------------- retry

/**
 * How consumers retry, as configured (`config.bus`): transient failures — a dependency away — for up to
 * `retryBudgetMs`, other failures `maxAttempts` times, both with exponential backoff from `backoffMs` to `maxBackoffMs`.
 */
export interface BusRetryPolicy {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs?: number;
  retryBudgetMs?: number;
}

export interface RetryOptions {
  /**
   * Total attempts including the first (≥ 1) for failures that are neither transient nor permanent (an unexpected
   * error: a bug, a constraint violation). Transient failures are bounded by `retryBudgetMs` instead.
   */
  maxAttempts: number;
  /**
   * Delay before the second attempt; doubles on each further attempt, with equal jitter (half fixed, half random, so
   * consumers failing together do not retry in lock-step). See platform/backoff.ts.
   */
  backoffMs: number;
  /** Upper bound of one delay. Default: 30 s. */
  maxBackoffMs?: number;
  /**
   * How long a delivery whose handler keeps failing transiently (`isTransient`: Postgres, Redis or Kafka away) is
   * retried, counted from its first failure, before it is given up (and dead-lettered). Default 0: transient failures
   * count against `maxAttempts` like any other.
   */
  retryBudgetMs?: number;
  /** Which failures are a dependency outage worth waiting out. Default `isDependencyOutage`. */
  isTransient?: (error: unknown) => boolean;
  /** Time for the budget. Default the system clock. */
  clock?: Clock;
  /** How to wait (tests inject one that moves a manual clock). Must reject when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each pause, e.g. to log or count retries. */
  onRetry?: (info: {
    message: ReceivedMessage;
    attempt: number;
    delayMs: number;
    error: unknown;
    transient: boolean;
  }) => void;
}

/**
 * Thrown by `withRetry` when the delivery was given up (`message.signal` aborted: closing, rebalance, crash) while it
 * waited to retry. Not a failure of the message: `withDeadLetter` rethrows it, and the adapter leaves the message
 * unacknowledged, so it is delivered again.
 */
export class DeliveryAbortedError extends Error {
  override name = 'DeliveryAbortedError';
  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`delivery given up after ${attempts} attempt(s), to be redelivered: ${describeError(cause)}`, { cause });
  }
}

const abortableSleep = (ms: number, signal?: AbortSignal): Promise<void> => sleep(ms, undefined, { signal });

/**
 * Retries a failing handler in place with exponential backoff. A transient failure (`isTransient`: a dependency away)
 * is retried until `retryBudgetMs` has passed since this delivery first failed; any other failure up to `maxAttempts`
 * times. `PoisonMessageError` is not retried, nor is a permanent error (`isPermanentError`: thrown on as
 * `PermanentFailureError`). When retrying runs out it throws `RetriesExhaustedError` (for `withDeadLetter` to park the
 * message). When `message.signal` aborts while waiting it throws `DeliveryAbortedError` (redelivered, not parked).
 *
 * The budget lives in memory and starts with the delivery: a consumer restarted mid-budget gets the message again
 * (its offset was never committed) and starts a fresh budget, so a restart never dead-letters anything.
 */
export function withRetry(options: RetryOptions, inner: MessageHandler): MessageHandler {
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be an integer ≥ 1, got ${options.maxAttempts}`);
  }
  const budgetMs = options.retryBudgetMs ?? 0;
  if (!(budgetMs >= 0)) throw new RangeError(`retryBudgetMs must be ≥ 0, got ${budgetMs}`);
  const backoff = { initialMs: options.backoffMs, maxMs: Math.max(options.backoffMs, options.maxBackoffMs ?? 30_000) };
  const clock = options.clock ?? systemClock;
  const wait = options.sleep ?? abortableSleep;
  const isTransient = options.isTransient ?? isDependencyOutage;
  return async (message) => {
    const delays = new BackoffDelays(backoff);
    let firstFailureAt: number | undefined;
    let otherFailures = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await inner(message);
        return;
      } catch (error) {
        if (error instanceof PoisonMessageError) {
          error.attempts = attempt;
          throw error;
        }
        if (isPermanentError(error)) throw new PermanentFailureError(attempt, error);
        if (error instanceof DeliveryAbortedError) throw error;
        firstFailureAt ??= clock.now();
        const transient = budgetMs > 0 && isTransient(error);
        let delayMs = delays.next();
        if (transient) {
          const remaining = firstFailureAt + budgetMs - clock.now();
          if (remaining <= 0) throw new RetriesExhaustedError(attempt, error);
          delayMs = Math.min(delayMs, remaining);
        } else if (++otherFailures >= options.maxAttempts) {
          throw new RetriesExhaustedError(attempt, error);
        }
        if (message.signal?.aborted) throw new DeliveryAbortedError(attempt, error);
        options.onRetry?.({ message, attempt, delayMs, error, transient });
        try {
          await wait(delayMs, message.signal);
        } catch (aborted) {
          if (message.signal?.aborted) throw new DeliveryAbortedError(attempt, error);
          throw aborted;
        }
      }
    }
  };
}

// ----------------------------------------------------------------------------------------------------------- dead letter

/** The payload of a `dead_letter` event on `<topic>.dlq`. */
export interface DeadLetterPayload {
  originalTopic: string;
  key: string;
  /** The original value, byte for byte (it may not even be JSON). */
  value: string;
  headers: Record<string, string>;
  /**
   * `poison`: could never succeed (malformed); `permanent`: the handler failed with an error retrying cannot fix
   * (dead-lettered at once); `exhausted`: the handler kept failing.
   */
  kind: 'poison' | 'permanent' | 'exhausted';
  reason: string;
  attempts: number;
  failedAt: string;
  partition: number;
  offset: string;
}

export const DEAD_LETTER_TYPE = 'dead_letter';

export interface DeadLetterOptions {
  logger: Logger;
  clock?: Clock;
  metrics?: EventBusMetrics;
  /** For the metrics label. */
  group?: string;
}

/**
 * Outermost middleware: when the inner handler throws, publishes a `dead_letter` event to `<topic>.dlq` under the
 * original key — id = the original event's id when readable, else a new UUID — and then resolves, so the adapter
 * acknowledges the message and the partition moves on. If the dead-letter publish itself fails, that error propagates
 * and the adapter redelivers the message (nothing is lost, the whole chain runs again).
 */
export function withDeadLetter(bus: EventBus, options: DeadLetterOptions, inner: MessageHandler): MessageHandler {
  const clock = options.clock ?? systemClock;
  return async (message) => {
    try {
      await inner(message);
      return;
    } catch (error) {
      // Given up by the consumer (closing, rebalance): not the message's fault; it is delivered again.
      if (error instanceof DeliveryAbortedError) throw error;
      const poison = error instanceof PoisonMessageError;
      const wrapped = error instanceof RetriesExhaustedError || error instanceof PermanentFailureError;
      const attempts = poison || wrapped ? error.attempts : 1;
      const reason = poison ? error.reason : describeError(wrapped ? error.cause : error);
      const envelope = parseEnvelope(message);
      const payload: DeadLetterPayload = {
        originalTopic: message.topic,
        key: message.key,
        value: message.value,
        headers: { ...message.headers },
        kind: poison
          ? 'poison'
          : error instanceof PermanentFailureError || isPermanentError(error)
            ? 'permanent'
            : 'exhausted',
        reason,
        attempts,
        failedAt: new Date(clock.now()).toISOString(),
        partition: message.partition,
        offset: message.offset,
      };
      const dlq = deadLetterTopic(message.topic);
      await bus.publish(
        dlq,
        message.key,
        {
          id: envelope.ok ? envelope.event.id : randomUUID(),
          type: DEAD_LETTER_TYPE,
          occurredAt: payload.failedAt,
          payload,
        },
        withTraceHeaders({ 'x-original-topic': message.topic, 'x-dead-letter-kind': payload.kind }),
      );
      options.metrics?.deadLettered.inc({ topic: message.topic, group: options.group ?? '', kind: payload.kind });
      options.logger.warn(
        {
          topic: message.topic,
          dlq,
          key: message.key,
          partition: message.partition,
          offset: message.offset,
          eventId: envelope.ok ? envelope.event.id : undefined,
          kind: payload.kind,
          attempts,
          reason,
        },
        'message dead-lettered',
      );
    }
  };
}

// --------------------------------------------------------------------------------------------------------------- consume

export interface ConsumeOptions<S extends z.ZodType> {
  topic: string;
  group: string;
  /** Schema of the payload; omit to accept any payload. */
  schema?: S;
  handler: EventHandler<z.output<S>>;
  /** Usually `config.bus.maxAttempts`. */
  maxAttempts: number;
  /** Usually `config.bus.backoffMs`. */
  backoffMs: number;
  /** Usually `config.bus.maxBackoffMs`. */
  maxBackoffMs?: number;
  /** Usually `config.bus.retryBudgetMs`: how long transient failures are retried before dead-lettering. */
  retryBudgetMs?: number;
  logger: Logger;
  /** When given, per-topic counters are registered there (see `metrics.ts`). */
  registry?: Registry;
  clock?: Clock;
  from?: SubscribeOptions['from'];
  onAssignment?: SubscribeOptions['onAssignment'];
}

/**
 * The one obvious way to consume events: subscribes `handler` to `topic` as `group`, behind
 * dead-letter(retry(decode(handler))), timed, inside a consumer span when tracing is on (consumer-span.ts). Returns the
 * subscription (close it on shutdown).
 */
export function consume<S extends z.ZodType>(bus: EventBus, options: ConsumeOptions<S>): Promise<Subscription> {
  const { topic, group, logger } = options;
  const log = logger.child({ topic, group });
  const metrics = options.registry ? eventBusMetrics(options.registry) : undefined;
  const labels = { topic, group };

  const decoded = decodeEvent(options.schema, async (event, message) => {
    await options.handler(event, message);
    metrics?.handled.inc(labels);
  });
  const retried = withRetry(
    {
      maxAttempts: options.maxAttempts,
      backoffMs: options.backoffMs,
      maxBackoffMs: options.maxBackoffMs,
      retryBudgetMs: options.retryBudgetMs,
      onRetry: ({ message, attempt, delayMs, error, transient }) => {
        metrics?.retries.inc(labels);
        const fields = {
          partition: message.partition,
          offset: message.offset,
          attempt,
          delayMs: Math.round(delayMs),
          transient,
          err: describeError(error),
        };
        // A dependency away is worth a warning once per delivery, not once per attempt.
        if (transient && attempt === 1)
          log.warn(fields, 'handler failed on a dependency outage, retrying with backoff');
        else log.debug(fields, 'handler failed, retrying');
      },
    },
    decoded,
  );
  const handler = withDeadLetter(bus, { logger: log, clock: options.clock, metrics, group }, retried);
  const timed = options.registry ? withHandlerTiming(options.registry, labels, handler) : handler;
  const traced = withConsumerSpan(labels, timed);
  return bus.subscribe(topic, group, traced, { from: options.from, onAssignment: options.onAssignment });
}

// --------------------------------------------------------------------------------------------------------------- helpers

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** `Name: message` for errors, the value itself otherwise. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
  return String(error);
}

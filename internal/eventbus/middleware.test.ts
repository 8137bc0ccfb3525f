import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { silentLogger } from '../platform/logger.ts';
import { ManualClock } from '../platform/clock.ts';
import { Inbox, makeEvent, uniqueName } from './event-bus.contract.ts';
import { deadLetterTopic, encodeEvent, type ReceivedMessage } from './event-bus.ts';
import { MemoryEventBus } from './memory-event-bus.ts';
import { AppError } from '../platform/errors.ts';
import {
  consume,
  decodeEvent,
  DeliveryAbortedError,
  PoisonMessageError,
  PermanentFailureError,
  RetriesExhaustedError,
  withDeadLetter,
  withRetry,
  type DeadLetterPayload,
} from './middleware.ts';

const message = (value: string, overrides: Partial<ReceivedMessage> = {}): ReceivedMessage => ({
  topic: 'orders',
  key: 'k',
  value,
  headers: {},
  partition: 0,
  offset: '7',
  ...overrides,
});

describe('withRetry', () => {
  it('retries until the handler succeeds', async () => {
    let calls = 0;
    const delays: number[] = [];
    const handler = withRetry(
      { maxAttempts: 5, backoffMs: 1, onRetry: ({ delayMs }) => delays.push(delayMs) },
      async () => {
        if (++calls < 3) throw new Error('not yet');
      },
    );
    await handler(message('{}'));
    expect(calls).toBe(3);
    expect(delays).toHaveLength(2);
  });

  it('gives up after maxAttempts with the attempt count and the last error', async () => {
    let calls = 0;
    const handler = withRetry({ maxAttempts: 3, backoffMs: 1 }, async () => {
      throw new Error(`failure ${++calls}`);
    });
    const error = await handler(message('{}')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).toBe(3);
    expect(((error as RetriesExhaustedError).cause as Error).message).toBe('failure 3');
    expect(calls).toBe(3);
  });

  it('does not retry a poison message', async () => {
    let calls = 0;
    const handler = withRetry({ maxAttempts: 5, backoffMs: 1 }, async () => {
      calls++;
      throw new PoisonMessageError('bad');
    });
    await expect(handler(message('{}'))).rejects.toMatchObject({ name: 'PoisonMessageError', attempts: 1 });
    expect(calls).toBe(1);
  });

  it('does not retry a permanent error (one flagged `permanent: true`, e.g. a routing answer)', async () => {
    let calls = 0;
    const permanent = Object.assign(new Error('to: nearest road is 1104 m away'), { permanent: true });
    const handler = withRetry({ maxAttempts: 5, backoffMs: 1 }, async () => {
      calls++;
      throw permanent;
    });
    const error = await handler(message('{}')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentFailureError);
    expect(error).toMatchObject({ attempts: 1, cause: permanent });
    expect(calls).toBe(1);
    // `permanent: false` (a transient routing error) is retried as usual.
    let transient = 0;
    await withRetry({ maxAttempts: 2, backoffMs: 1 }, async () => {
      if (++transient < 2) throw Object.assign(new Error('down'), { permanent: false });
    })(message('{}'));
    expect(transient).toBe(2);
  });

  it('rejects a maxAttempts below 1', () => {
    expect(() => withRetry({ maxAttempts: 0, backoffMs: 1 }, async () => {})).toThrow(RangeError);
  });
});

describe('withRetry: the retry budget for transient failures', () => {
  /** A Redis-is-away error as ioredis reports it (classified by `isDependencyOutage`). */
  const redisAway = () => Object.assign(new Error('Connection is closed.'), { name: 'Error' });
  /** A sleep that only moves the manual clock: a minutes-long budget runs in microseconds. */
  const virtualSleep = (clock: ManualClock, slept: number[]) => async (ms: number, signal?: AbortSignal) => {
    signal?.throwIfAborted();
    slept.push(ms);
    clock.advance(ms);
  };

  it('waits a dependency outage out far beyond maxAttempts, with growing pauses, and succeeds when it is back', async () => {
    const clock = new ManualClock(0);
    const slept: number[] = [];
    let calls = 0;
    const handler = withRetry(
      {
        maxAttempts: 5,
        backoffMs: 100,
        maxBackoffMs: 5_000,
        retryBudgetMs: 300_000,
        clock,
        sleep: virtualSleep(clock, slept),
      },
      async () => {
        // Redis is away for 16 s of clock time (the outage that used to dead-letter after ~1.5 s).
        calls++;
        if (clock.now() < 16_000) throw redisAway();
      },
    );
    await handler(message('{}'));
    expect(calls).toBeGreaterThan(5);
    expect(clock.now()).toBeGreaterThanOrEqual(16_000);
    // Exponential backoff (equal jitter: each pause within [d/2, d]), capped at maxBackoffMs.
    expect(slept[0]).toBeLessThanOrEqual(100);
    expect(slept[3]).toBeGreaterThanOrEqual(400);
    expect(Math.max(...slept)).toBeLessThanOrEqual(5_000);
  });

  it('gives a transient failure up only when the budget is spent, counted from the first failure', async () => {
    const clock = new ManualClock(1_000);
    const slept: number[] = [];
    const handler = withRetry(
      {
        maxAttempts: 2,
        backoffMs: 100,
        maxBackoffMs: 2_000,
        retryBudgetMs: 60_000,
        clock,
        sleep: virtualSleep(clock, slept),
      },
      async () => {
        throw new AppError('unavailable', 'dependency.unavailable', 'postgres is unavailable');
      },
    );
    const error = await handler(message('{}')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).toBeGreaterThan(2);
    // The last pause is cut to what is left, so the budget ends on time, not up to a whole backoff later.
    expect(clock.now() - 1_000).toBe(60_000);
  });

  it('still gives other failures up after maxAttempts, and permanent ones at once, whatever the budget', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const bug = withRetry(
      { maxAttempts: 3, backoffMs: 1, retryBudgetMs: 300_000, clock, sleep: virtualSleep(clock, []) },
      async () => {
        calls++;
        throw new TypeError('x is undefined');
      },
    );
    await expect(bug(message('{}'))).rejects.toBeInstanceOf(RetriesExhaustedError);
    expect(calls).toBe(3);

    calls = 0;
    const permanent = withRetry(
      { maxAttempts: 3, backoffMs: 1, retryBudgetMs: 300_000, clock, sleep: virtualSleep(clock, []) },
      async () => {
        calls++;
        throw Object.assign(new Error('no road there'), { permanent: true });
      },
    );
    await expect(permanent(message('{}'))).rejects.toBeInstanceOf(PermanentFailureError);
    expect(calls).toBe(1);
  });

  it('stops waiting when the delivery is given up (signal aborted): DeliveryAbortedError, which is not dead-lettered', async () => {
    const published: string[] = [];
    const recordingBus = {
      publish: async (topic: string) => void published.push(topic),
    } as unknown as MemoryEventBus;
    const abort = new AbortController();
    let calls = 0;
    let failedOnce!: () => void;
    const firstFailure = new Promise<void>((resolve) => (failedOnce = resolve));
    const handler = withDeadLetter(
      recordingBus,
      { logger: silentLogger },
      // Real sleeps of a minute: only the abort can end this in time.
      withRetry({ maxAttempts: 5, backoffMs: 60_000, retryBudgetMs: 600_000 }, async () => {
        calls++;
        failedOnce();
        throw redisAway();
      }),
    );
    const running = handler(message(encodeEvent(makeEvent('order.placed', {})), { signal: abort.signal }));
    await firstFailure;
    abort.abort();
    await expect(running).rejects.toBeInstanceOf(DeliveryAbortedError);
    expect(calls).toBe(1);
    expect(published).toEqual([]);
  });
});

describe('decodeEvent', () => {
  const schema = z.object({ lat: z.number() });
  const run = (value: string) => decodeEvent(schema, async () => {})(message(value));

  it('passes the parsed, schema-checked event to the handler', async () => {
    const event = makeEvent('rider.moved', { lat: 1.5, extra: 'dropped by the schema' });
    let got: unknown;
    await decodeEvent(schema, async (e) => {
      got = e;
    })(message(encodeEvent(event)));
    expect(got).toEqual({ ...event, payload: { lat: 1.5 } });
  });

  it.each([
    ['not json', /^invalid JSON: /],
    ['[1, 2]', /^invalid event envelope: \(root\)/],
    [JSON.stringify({ id: 'a', type: 't', occurredAt: 'yesterday', payload: {} }), /occurredAt/],
    [JSON.stringify({ id: 'a', type: 't', occurredAt: '2025-01-01T00:00:00Z' }), /payload: is required/],
    [JSON.stringify(makeEvent('rider.moved', { lat: 'x' })), /^invalid payload for rider\.moved: lat: /],
  ])('rejects %s as poison', async (value, reason) => {
    const error = await run(value).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect((error as PoisonMessageError).reason).toMatch(reason);
  });
});

describe('withDeadLetter', () => {
  it('publishes the failure under the original key and resolves; a failing dead-letter publish propagates', async () => {
    const bus = new MemoryEventBus();
    const topic = uniqueName('dl');
    const dead = new Inbox<ReceivedMessage>();
    await bus.subscribe(deadLetterTopic(topic), 'reader', async (m) => dead.push(m));
    const clock = new ManualClock(Date.parse('2025-03-01T12:00:00Z'));
    const handler = withDeadLetter(bus, { logger: silentLogger, clock }, async () => {
      throw new Error('plain failure');
    });
    await handler(message('not json', { topic, key: 'rider-9', partition: 2, offset: '41', headers: { a: 'b' } }));
    await dead.until((items) => items.length === 1, 'the dead letter', 1_000);
    const letter = JSON.parse(dead.items[0]!.value) as { id: string; payload: DeadLetterPayload; occurredAt: string };
    expect(dead.items[0]!.key).toBe('rider-9');
    expect(letter.id).toMatch(/^[0-9a-f-]{36}$/); // no readable id in 'not json': a fresh one
    expect(letter.occurredAt).toBe('2025-03-01T12:00:00.000Z');
    expect(letter.payload).toEqual({
      originalTopic: topic,
      key: 'rider-9',
      value: 'not json',
      headers: { a: 'b' },
      kind: 'exhausted',
      reason: 'plain failure',
      attempts: 1,
      failedAt: '2025-03-01T12:00:00.000Z',
      partition: 2,
      offset: '41',
    });

    // A permanent failure is dead-lettered as such, after its one attempt.
    const permanent = withDeadLetter(
      bus,
      { logger: silentLogger, clock },
      withRetry({ maxAttempts: 5, backoffMs: 1 }, async () => {
        throw Object.assign(new Error('no road'), { permanent: true });
      }),
    );
    await permanent(message('{}', { topic, key: 'store-1' }));
    await dead.until((items) => items.length === 2, 'the permanent dead letter', 1_000);
    expect((JSON.parse(dead.items[1]!.value) as { payload: DeadLetterPayload }).payload).toMatchObject({
      kind: 'permanent',
      attempts: 1,
      reason: 'no road',
    });

    await bus.close(); // now the dead-letter publish itself fails
    await expect(handler(message('x', { topic }))).rejects.toMatchObject({ slug: 'eventbus.closed' });
  });
});

describe('consume', () => {
  it('counts handled, retried, duplicate and dead-lettered messages in the given registry', async () => {
    const bus = new MemoryEventBus();
    const registry = new Registry();
    const topic = uniqueName('metrics');
    const done = new Inbox<string>();
    const good = makeEvent('t', {});
    let failedOnce = false;
    await consume(bus, {
      topic,
      group: 'g',
      maxAttempts: 2,
      backoffMs: 1,
      logger: silentLogger,
      registry,
      handler: async (event) => {
        if (!failedOnce) {
          failedOnce = true;
          throw new Error('once');
        }
        done.push(event.id);
      },
    });
    await bus.publishRaw(topic, 'k', 'garbage');
    await bus.publish(topic, 'k', good);
    await bus.publish(topic, 'k', makeEvent('t', {}));
    await done.until((items) => items.length === 2, 'two events handled', 1_000);
    const text = await registry.metrics();
    expect(text).toContain(`eventbus_handled_total{topic="${topic}",group="g"} 2`);
    expect(text).toContain(`eventbus_retries_total{topic="${topic}",group="g"} 1`);
    expect(text).toContain(`eventbus_dead_lettered_total{topic="${topic}",group="g",kind="poison"} 1`);
    await bus.close();
  });
});

import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { retryUntil } from './retry-until.ts';

const logger = createLogger('silent');
class Transient extends Error {}

describe('retryUntil', () => {
  it('retries transient failures until the operation succeeds and returns its value', async () => {
    let calls = 0;
    const value = await retryUntil(
      async () => {
        calls++;
        if (calls < 4) throw new Transient(`attempt ${calls}`);
        return 'ok';
      },
      {
        what: 'op',
        isTransient: (e) => e instanceof Transient,
        deadlineMs: 60_000,
        logger,
        initialDelayMs: 1,
        maxDelayMs: 2,
      },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(4);
  });

  it('fails at once, with the error itself, when the failure is not transient', async () => {
    let calls = 0;
    const fatal = new Error('bad configuration');
    await expect(
      retryUntil(
        async () => {
          calls++;
          throw fatal;
        },
        { what: 'op', isTransient: (e) => e instanceof Transient, deadlineMs: 60_000, logger, initialDelayMs: 1 },
      ),
    ).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it('gives up with the last transient error once the deadline has passed', async () => {
    let calls = 0;
    await expect(
      retryUntil(
        async () => {
          calls++;
          throw new Transient(`attempt ${calls}`);
        },
        { what: 'op', isTransient: (e) => e instanceof Transient, deadlineMs: 0, logger, initialDelayMs: 1 },
      ),
    ).rejects.toThrow('attempt 1');
    expect(calls).toBe(1);
  });

  it('logs a transient failure once per change of state, not once per attempt', async () => {
    const lines: string[] = [];
    const recording = {
      warn: (_fields: unknown, message: string) => void lines.push(`warn ${message}`),
      info: (_fields: unknown, message: string) => void lines.push(`info ${message}`),
    } as unknown as typeof logger;
    let calls = 0;
    await retryUntil(
      async () => {
        calls++;
        if (calls <= 3) throw new Transient('broker down');
        if (calls <= 5) throw new Transient('no leader');
      },
      {
        what: 'op',
        isTransient: (e) => e instanceof Transient,
        deadlineMs: 60_000,
        logger: recording,
        initialDelayMs: 1,
        maxDelayMs: 2,
      },
    );
    expect(lines).toEqual([
      'warn op: transient failure, retrying until it works or the deadline passes',
      'warn op: transient failure, retrying until it works or the deadline passes',
      'info op: recovered',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { silentLogger } from '../platform/logger.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { startPeriodicLoop } from './periodic-loop.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startPeriodicLoop', () => {
  it('runs periodically, never overlapping, survives failures, runs at once when poked, and stops', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const loop = startPeriodicLoop(
      'test',
      20,
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        await sleep(5);
        running--;
        if (runs === 2) throw new Error('one bad run');
      },
      silentLogger,
    );
    await waitFor(() => runs >= 3, { timeoutMs: 5_000, what: 'three runs, the second one failing' });
    expect(maxRunning).toBe(1);
    await loop.stop();
    const after = runs;
    loop.poke();
    await sleep(60); // three periods: a loop that kept going would have run again
    expect(runs).toBe(after);
  });

  it('poke runs before the period is over', async () => {
    let runs = 0;
    const loop = startPeriodicLoop('test', 600_000, async () => void runs++, silentLogger);
    loop.poke();
    await waitFor(() => runs === 1, { timeoutMs: 5_000, what: 'the poked run' });
    await loop.stop();
  });
});

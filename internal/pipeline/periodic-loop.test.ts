import { describe, expect, it } from 'vitest';
import { silentLogger } from '../platform/logger.ts';
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
    await sleep(120);
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(maxRunning).toBe(1);
    await loop.stop();
    const after = runs;
    await sleep(60);
    expect(runs).toBe(after);
  });

  it('poke runs before the period is over', async () => {
    let runs = 0;
    const loop = startPeriodicLoop('test', 10_000, async () => void runs++, silentLogger);
    loop.poke();
    await sleep(20);
    expect(runs).toBe(1);
    await loop.stop();
  });
});

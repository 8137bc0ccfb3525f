import { describe, expect, it } from 'vitest';
import { Coalescer } from './coalescer.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('Coalescer', () => {
  it('sends an idle call at once, alone, and batches calls that arrive while the slots are busy, in call order', async () => {
    const batches: number[][] = [];
    let release: (() => void) | undefined;
    const c = new Coalescer<number, number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await new Promise<void>((r) => (release = r));
        return items.map((i) => i * 10);
      },
      { maxInFlight: 1, maxBatch: 100 },
    );
    const first = c.call(1);
    await tick();
    expect(batches).toEqual([[1]]);
    const rest = [c.call(2), c.call(3), c.call(4)];
    await tick();
    expect(batches).toHaveLength(1); // waiting for the slot
    release!();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('caps a batch at maxBatch and rejects every call of a failed batch, without blocking the next', async () => {
    const c = new Coalescer<number, number>(
      async (items) => {
        if (items.includes(13)) throw new Error('unlucky');
        return items;
      },
      { maxInFlight: 1, maxBatch: 2 },
    );
    const calls = [c.call(1), c.call(13), c.call(3), c.call(4), c.call(5)];
    const settled = await Promise.allSettled(calls);
    // [1] alone, then [13, 3] fails together, then [4, 5].
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect(c.stats).toMatchObject({ batches: 3, items: 5, maxBatch: 2 });
  });
});

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

  it('weighs calls towards maxBatch; a call heavier than maxBatch leaves alone', async () => {
    const batches: number[][][] = [];
    const c = new Coalescer<number[], void>(
      async (adds) => {
        batches.push(adds);
        return adds.map(() => undefined);
      },
      { maxInFlight: 1, maxBatch: 3, weigh: (rows) => rows.length },
    );
    await Promise.all([c.call([1]), c.call([2, 3]), c.call([4, 5, 6, 7]), c.call([8])]);
    expect(batches).toEqual([[[1]], [[2, 3]], [[4, 5, 6, 7]], [[8]]]);
    expect(c.stats).toMatchObject({ batches: 4, items: 4, weight: 8, maxBatch: 4 });
  });

  it('with lingerMs, an idle call waits for company; a full batch leaves at once', async () => {
    const batches: number[][] = [];
    const c = new Coalescer<number, void>(
      async (items) => {
        batches.push(items);
        return items.map(() => undefined);
      },
      { maxInFlight: 1, maxBatch: 3, lingerMs: 60_000 },
    );
    const waiting = [c.call(1), c.call(2)];
    await tick();
    expect(batches).toEqual([]); // lingering: not full
    const full = c.call(3);
    await Promise.all([...waiting, full]);
    expect(batches).toEqual([[1, 2, 3]]);
    const last = c.call(4);
    await tick();
    expect(batches).toHaveLength(1);
    await c.drain(); // sends what lingers at once
    await last;
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('close answers what waits and is in flight, then refuses new calls', async () => {
    let release: (() => void) | undefined;
    const c = new Coalescer<number, number>(
      async (items) => {
        await new Promise<void>((r) => (release = r));
        return items;
      },
      { maxInFlight: 1, maxBatch: 10 },
    );
    const first = c.call(1);
    const queued = c.call(2);
    let closed = false;
    const closing = c.close().then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    release!();
    expect(await first).toBe(1);
    await tick();
    release!();
    await closing;
    expect(await queued).toBe(2);
    await expect(c.call(3)).rejects.toThrow(/closed/);
  });
});

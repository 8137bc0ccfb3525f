import { describe, expect, it } from 'vitest';
import { BatchingWriter } from './batching-writer.ts';

/** A write function whose calls the test completes by hand. */
function controlledWrite() {
  const calls: Array<{ rows: number[]; done: () => void; fail: (e: Error) => void }> = [];
  const write = (rows: number[]) =>
    new Promise<void>((resolve, reject) => calls.push({ rows, done: resolve, fail: reject }));
  return { calls, write };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('BatchingWriter', () => {
  it('writes concurrent adds within the linger time as one batch, resolving each add only after the write', async () => {
    const { calls, write } = controlledWrite();
    const writer = new BatchingWriter(write, { lingerMs: 10 });
    let resolved = 0;
    const adds = [writer.add([1]), writer.add([2, 3]), writer.add([4])].map((p) => p.then(() => resolved++));
    await tick(30);
    expect(calls.map((c) => c.rows)).toEqual([[1, 2, 3, 4]]);
    expect(resolved).toBe(0); // not acknowledged before the write ends
    calls[0]!.done();
    await Promise.all(adds);
    expect(resolved).toBe(3);
  });

  it('collects rows added during a write into the next batch, written as soon as the first ends', async () => {
    const { calls, write } = controlledWrite();
    const writer = new BatchingWriter(write, { lingerMs: 1 });
    const first = writer.add([1]);
    await tick(10);
    const second = writer.add([2]);
    const third = writer.add([3]);
    await tick(10);
    expect(calls).toHaveLength(1); // one write at a time
    calls[0]!.done();
    await first;
    await tick();
    expect(calls.map((c) => c.rows)).toEqual([[1], [2, 3]]);
    calls[1]!.done();
    await Promise.all([second, third]);
    expect(writer.stats).toEqual({ batches: 2, rows: 3, maxBatch: 2 });
  });

  it('flushes at once when maxRows rows wait', async () => {
    const { calls, write } = controlledWrite();
    const writer = new BatchingWriter(write, { maxRows: 3, lingerMs: 60_000 });
    void writer.add([1, 2]);
    await tick();
    expect(calls).toHaveLength(0);
    void writer.add([3]);
    await tick();
    expect(calls.map((c) => c.rows)).toEqual([[1, 2, 3]]);
  });

  it('rejects every add of a failed batch (so the consumer redelivers) and keeps working', async () => {
    const { calls, write } = controlledWrite();
    const writer = new BatchingWriter(write, { lingerMs: 1 });
    const a = writer.add([1]);
    const b = writer.add([2]);
    await tick(10);
    calls[0]!.fail(new Error('db down'));
    await expect(a).rejects.toThrow('db down');
    await expect(b).rejects.toThrow('db down');
    const c = writer.add([3]);
    await tick(10);
    calls[1]!.done();
    await c;
  });

  it('close writes what waits, then refuses new rows', async () => {
    const written: number[][] = [];
    const writer = new BatchingWriter(async (rows: number[]) => void written.push(rows), { lingerMs: 60_000 });
    const pending = writer.add([7, 8]);
    await writer.close();
    await pending;
    expect(written).toEqual([[7, 8]]);
    await expect(writer.add([9])).rejects.toThrow(/closed/);
  });
});

import { describe, expect, it } from 'vitest';
import { createPingBatcher } from './ping-batcher.ts';

type Posted = Array<{ riderId: string }>;

function fakeApi(fail = false) {
  const calls: Posted[] = [];
  return {
    calls,
    api: {
      postLocations: async (pings: Posted) => {
        calls.push([...pings]);
        if (fail) throw new Error('boom');
        return pings.map(() => 'accepted' as const);
      },
    },
  };
}

const at = { lat: 1, lon: 2 };

describe('ping batcher', () => {
  it('posts the fixes of one interval together and resolves each add', async () => {
    const { api, calls } = fakeApi();
    const b = createPingBatcher(api as never, { flushMs: 20 });
    await Promise.all(['a', 'b', 'c'].map((id) => b.add(id, at, 1)));
    expect(calls.map((c) => c.map((p) => p.riderId))).toEqual([['a', 'b', 'c']]);
    await b.close();
  });

  it('splits at maxBatch without waiting, and rejects the adds of a failed request', async () => {
    const ok = fakeApi();
    const b = createPingBatcher(ok.api as never, { flushMs: 10_000, maxBatch: 2 });
    await Promise.all(['a', 'b'].map((id) => b.add(id, at, 1))); // full: posted at once, not after 10 s
    expect(ok.calls).toHaveLength(1);
    await b.close();

    const bad = fakeApi(true);
    const c = createPingBatcher(bad.api as never, { flushMs: 5 });
    await expect(c.add('x', at, 1)).rejects.toThrow('boom');
    await c.close();
  });

  it('posts what is pending on close', async () => {
    const { api, calls } = fakeApi();
    const b = createPingBatcher(api as never, { flushMs: 60_000 });
    const added = b.add('a', at, 1);
    await b.close();
    await added;
    expect(calls).toHaveLength(1);
  });
});

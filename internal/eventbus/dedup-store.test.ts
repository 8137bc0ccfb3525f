import { describe, expect, it } from 'vitest';
import { dedupStoreContract } from './dedup-store.contract.ts';
import { MemoryDedupStore } from './dedup-store.ts';

dedupStoreContract('memory', async () => ({ store: new MemoryDedupStore() }));

describe('MemoryDedupStore', () => {
  it('is bounded: beyond maxEntries the least recently remembered ids are forgotten', async () => {
    const store = new MemoryDedupStore(3);
    for (const id of ['a', 'b', 'c']) await store.remember('g', id);
    await store.remember('g', 'a'); // refreshes a: b is now the oldest
    await store.remember('g', 'd');
    expect(store.size).toBe(3);
    expect(await store.seen('g', 'b')).toBe(false);
    for (const id of ['a', 'c', 'd']) expect(await store.seen('g', id)).toBe(true);
  });

  it('rejects a bound that is not a positive integer', () => {
    expect(() => new MemoryDedupStore(0)).toThrow(RangeError);
  });
});

import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { DedupStore } from './dedup-store.ts';

/**
 * THE DedupStore contract, run against every adapter.
 * @param makeStore builds a store isolated from other suites (own key prefix); `dispose` releases it.
 */
export function dedupStoreContract(
  name: string,
  makeStore: () => Promise<{ store: DedupStore; dispose?: () => Promise<void> }>,
): void {
  describe(`DedupStore contract: ${name}`, () => {
    const disposers: Array<() => Promise<void>> = [];
    const store = async () => {
      const made = await makeStore();
      if (made.dispose) disposers.push(made.dispose);
      return made.store;
    };
    afterEach(async () => {
      await Promise.all(disposers.splice(0).map((dispose) => dispose()));
    });

    it('has not seen an id until it is remembered', async () => {
      const s = await store();
      const id = randomUUID();
      expect(await s.seen('g', id)).toBe(false);
      await s.remember('g', id);
      expect(await s.seen('g', id)).toBe(true);
      expect(await s.seen('g', randomUUID())).toBe(false);
    });

    it('keeps groups apart', async () => {
      const s = await store();
      const id = randomUUID();
      await s.remember('dispatcher', id);
      expect(await s.seen('dispatcher', id)).toBe(true);
      expect(await s.seen('notifier', id)).toBe(false);
    });

    it('accepts remembering the same id twice', async () => {
      const s = await store();
      const id = randomUUID();
      await s.remember('g', id);
      await s.remember('g', id);
      expect(await s.seen('g', id)).toBe(true);
    });
  });
}

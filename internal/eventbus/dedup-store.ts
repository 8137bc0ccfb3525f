/**
 * Remembers which event ids a consumer group has already handled, for `withDedup`.
 *
 * Contract (`dedup-store.contract.ts`, run against the Redis and in-memory adapters): `seen` is false until `remember`
 * was called for the same (group, id); groups are independent; `remember` is idempotent. Entries may expire (Redis TTL,
 * in-memory bound) — dedup then falls back to at-least-once for very old redeliveries, which is the trade-off we accept.
 */
export interface DedupStore {
  seen(group: string, id: string): Promise<boolean>;
  remember(group: string, id: string): Promise<void>;
}

/**
 * In-process store for the embedded mode and unit tests. Bounded: beyond `maxEntries` the least recently remembered ids
 * are forgotten (a Map iterates in insertion order, so the first key is the oldest).
 */
export class MemoryDedupStore implements DedupStore {
  private readonly ids = new Map<string, true>();

  constructor(private readonly maxEntries = 100_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  async seen(group: string, id: string): Promise<boolean> {
    return this.ids.has(entryKey(group, id));
  }

  async remember(group: string, id: string): Promise<void> {
    const key = entryKey(group, id);
    this.ids.delete(key);
    this.ids.set(key, true);
    if (this.ids.size > this.maxEntries) {
      const oldest = this.ids.keys().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
  }

  /** Number of remembered ids (for tests and metrics). */
  get size(): number {
    return this.ids.size;
  }
}

// A NUL cannot appear in a group name we configure, so (group, id) pairs never collide.
const entryKey = (group: string, id: string) => `${group}\u0000${id}`;

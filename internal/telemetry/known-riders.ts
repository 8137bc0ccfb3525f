import { LRUCache } from 'lru-cache';
import type { Clock } from '../platform/clock.ts';

/** Answers which of `ids` exist (Postgres `riders` in production). */
export type RiderExistence = (ids: readonly string[]) => Promise<string[]>;

export interface KnownRidersOptions {
  /** Rider ids remembered as existing. Riders are never deleted, so a positive answer never goes stale. Default 200 000. */
  maxKnown?: number;
  /** How long "does not exist" is remembered, so a flood of pings for a bogus id costs one query per period. Default 2 s. */
  unknownTtlMs?: number;
  /** What the negative TTL is measured with. Default: the cache's own monotonic clock. */
  clock?: Clock;
}

/**
 * Which rider ids exist, answered from memory almost always: a bounded LRU of ids known to exist (riders are never
 * deleted), a short-lived negative cache, and — for misses — ONE lookup per call covering every missing id, shared by
 * concurrent callers asking for the same id. A new rider is found by the first ping after its creation, since only
 * misses that happened within `unknownTtlMs` are remembered.
 */
export class KnownRiders {
  private readonly known: LRUCache<string, true>;
  private readonly unknown: LRUCache<string, true>;
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(
    private readonly exists: RiderExistence,
    options: KnownRidersOptions = {},
  ) {
    this.known = new LRUCache({ max: options.maxKnown ?? 200_000 });
    this.unknown = new LRUCache({
      max: 50_000,
      ttl: options.unknownTtlMs ?? 2_000,
      ttlAutopurge: false,
      ...(options.clock ? { perf: options.clock, ttlResolution: 0 } : {}),
    });
  }

  /** Remembers a rider the caller knows exists (e.g. just created). */
  remember(id: string): void {
    this.known.set(id, true);
    this.unknown.delete(id);
  }

  /** True when `id` is cached as existing (no I/O). */
  isKnown(id: string): boolean {
    return this.known.get(id) === true;
  }

  /** The subset of `ids` that exists. */
  async filterExisting(ids: Iterable<string>): Promise<Set<string>> {
    const found = new Set<string>();
    const missing: string[] = [];
    const waits: Array<Promise<void>> = [];
    for (const id of new Set(ids)) {
      if (this.known.get(id)) found.add(id);
      else if (this.unknown.get(id)) continue;
      else {
        const pending = this.inFlight.get(id);
        if (pending) waits.push(pending.then((ok) => void (ok && found.add(id))));
        else missing.push(id);
      }
    }
    if (missing.length > 0) {
      const lookup = this.lookup(missing);
      for (const id of missing) {
        const one = lookup.then((set) => {
          if (set.has(id)) this.known.set(id, true);
          else this.unknown.set(id, true);
          return set.has(id);
        });
        this.inFlight.set(id, one);
        void one.catch(() => undefined).finally(() => this.inFlight.delete(id));
        waits.push(one.then((ok) => void (ok && found.add(id))));
      }
    }
    if (waits.length > 0) await Promise.all(waits);
    return found;
  }

  /**
   * Misses of every caller within one event-loop turn go to the database as ONE query (a burst of pings from riders
   * not seen yet — a restart, a new shift — costs a few queries, not one per request).
   */
  private lookup(ids: string[]): Promise<Set<string>> {
    if (!this.window) {
      const window = { ids: new Set<string>(), result: undefined as unknown as Promise<Set<string>> };
      window.result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.window = undefined;
        return this.exists([...window.ids]).then((rows) => new Set(rows));
      });
      this.window = window;
    }
    for (const id of ids) this.window.ids.add(id);
    return this.window.result;
  }

  private window: { ids: Set<string>; result: Promise<Set<string>> } | undefined;

  /** Whether one rider exists. */
  async exists1(id: string): Promise<boolean> {
    if (this.known.get(id)) return true;
    return (await this.filterExisting([id])).has(id);
  }
}

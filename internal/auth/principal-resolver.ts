import { LRUCache } from 'lru-cache';
import type { PrincipalLookup } from './credential-repository.ts';
import type { Principal } from './principal.ts';
import { tokenKindOf } from './token.ts';

/** Bearer token → principal, or null when the token grants nothing (unknown, revoked, malformed). */
export interface PrincipalResolver {
  resolve(token: string): Promise<Principal | null>;
}

export interface PrincipalResolverOptions {
  lookup: PrincipalLookup;
  /**
   * How long an answer is reused (default 30 s): a revoked credential keeps working at most this long on each API
   * process, and a GPS ping costs no Postgres query while its rider's token is cached.
   */
  ttlMs?: number;
  /** Tokens remembered (default 50 000: every rider and store of a large city, plus order tokens being polled). */
  maxEntries?: number;
}

/** The default `ttlMs`. */
export const DEFAULT_AUTH_CACHE_TTL_MS = 30_000;

const NONE = Symbol('no principal');
type Cached = Principal | typeof NONE;

/**
 * The resolver of the API and the WebSocket hub: a small in-process TTL cache (lru-cache) in front of `lookup`.
 * Unknown tokens are cached too (a client retrying a bad token costs one query per TTL), and concurrent first lookups
 * of one token share one query. A failed lookup (Postgres away) is not cached: it propagates, and the request answers
 * 503.
 */
export function createPrincipalResolver(options: PrincipalResolverOptions): PrincipalResolver {
  const ttl = options.ttlMs ?? DEFAULT_AUTH_CACHE_TTL_MS;
  const cache = new LRUCache<string, Cached>({ max: options.maxEntries ?? 50_000, ttl: Math.max(1, ttl) });
  const inFlight = new Map<string, Promise<Principal | null>>();
  return {
    resolve(token) {
      if (tokenKindOf(token) === undefined) return Promise.resolve(null);
      const hit = cache.get(token);
      if (hit !== undefined) return Promise.resolve(hit === NONE ? null : hit);
      let pending = inFlight.get(token);
      if (!pending) {
        pending = options
          .lookup(token)
          .then((principal) => {
            if (ttl > 0) cache.set(token, principal ?? NONE);
            return principal;
          })
          .finally(() => inFlight.delete(token));
        inFlight.set(token, pending);
      }
      return pending;
    },
  };
}

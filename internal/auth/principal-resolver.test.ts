import { describe, expect, it } from 'vitest';
import { waitFor } from '../../tests/support/wait-for.ts';
import type { Principal } from './principal.ts';
import { createPrincipalResolver } from './principal-resolver.ts';
import { mintToken } from './token.ts';

/** A lookup over a mutable table, counting its calls. */
function tableLookup() {
  const table = new Map<string, Principal>();
  let calls = 0;
  return {
    table,
    calls: () => calls,
    lookup: async (token: string) => {
      calls++;
      return table.get(token) ?? null;
    },
  };
}

describe('principal resolver', () => {
  it('answers from its cache within the TTL: one lookup for many requests, concurrent ones included', async () => {
    const t = tableLookup();
    const token = mintToken('rider');
    t.table.set(token, { kind: 'rider', riderId: 'r1' });
    const resolver = createPrincipalResolver({ lookup: t.lookup, ttlMs: 60_000 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => resolver.resolve(token)));
    for (const a of answers) expect(a).toEqual({ kind: 'rider', riderId: 'r1' });
    expect(await resolver.resolve(token)).toEqual({ kind: 'rider', riderId: 'r1' });
    expect(t.calls()).toBe(1);
  });

  it('never looks a malformed token up, and caches unknown ones too', async () => {
    const t = tableLookup();
    const resolver = createPrincipalResolver({ lookup: t.lookup, ttlMs: 60_000 });
    expect(await resolver.resolve('nope')).toBeNull();
    expect(t.calls()).toBe(0);
    const unknown = mintToken('operator');
    expect(await resolver.resolve(unknown)).toBeNull();
    expect(await resolver.resolve(unknown)).toBeNull();
    expect(t.calls()).toBe(1);
  });

  it('sees a revocation once the TTL has passed', async () => {
    const t = tableLookup();
    const token = mintToken('store');
    t.table.set(token, { kind: 'store', storeId: 's1' });
    const resolver = createPrincipalResolver({ lookup: t.lookup, ttlMs: 50 });
    expect(await resolver.resolve(token)).not.toBeNull();
    t.table.delete(token);
    await waitFor(async () => (await resolver.resolve(token)) === null, { timeoutMs: 2_000, what: 'the revocation' });
  });

  it('does not cache a failed lookup', async () => {
    let fail = true;
    const token = mintToken('operator');
    const resolver = createPrincipalResolver({
      lookup: async () => {
        if (fail) throw new Error('postgres away');
        return { kind: 'operator' };
      },
    });
    await expect(resolver.resolve(token)).rejects.toThrow('postgres away');
    fail = false;
    expect(await resolver.resolve(token)).toEqual({ kind: 'operator' });
  });
});

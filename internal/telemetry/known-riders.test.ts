import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.ts';
import { KnownRiders } from './known-riders.ts';

function directory(existing: string[]) {
  const queries: string[][] = [];
  const lookup = async (ids: readonly string[]) => {
    queries.push([...ids]);
    await new Promise((r) => setTimeout(r, 5));
    return ids.filter((id) => existing.includes(id));
  };
  return { queries, lookup };
}

describe('KnownRiders', () => {
  it('looks up all misses of a call in one query, then answers from memory', async () => {
    const d = directory(['a', 'b']);
    const known = new KnownRiders(d.lookup);
    expect([...(await known.filterExisting(['a', 'b', 'x', 'a']))].sort()).toEqual(['a', 'b']);
    expect(d.queries).toEqual([['a', 'b', 'x']]);
    expect(await known.exists1('a')).toBe(true);
    expect(await known.exists1('x')).toBe(false); // negative cache
    expect(d.queries).toHaveLength(1);
  });

  it('shares one lookup between concurrent callers asking for the same id', async () => {
    const d = directory(['a']);
    const known = new KnownRiders(d.lookup);
    const answers = await Promise.all([known.exists1('a'), known.exists1('a'), known.filterExisting(['a'])]);
    expect(answers[0]).toBe(true);
    expect(answers[1]).toBe(true);
    expect([...answers[2]]).toEqual(['a']);
    expect(d.queries).toEqual([['a']]);
  });

  it('merges the misses of concurrent callers into one query', async () => {
    const d = directory(['a', 'b', 'c']);
    const known = new KnownRiders(d.lookup);
    const answers = await Promise.all([known.exists1('a'), known.exists1('b'), known.filterExisting(['c', 'x'])]);
    expect(answers[0]).toBe(true);
    expect(answers[1]).toBe(true);
    expect([...answers[2]]).toEqual(['c']);
    expect(d.queries).toEqual([['a', 'b', 'c', 'x']]);
  });

  it('forgets unknown ids after the negative TTL, so a rider created later is found', async () => {
    const existing: string[] = [];
    const d = directory(existing);
    const clock = new ManualClock(1_000);
    const known = new KnownRiders(d.lookup, { unknownTtlMs: 30, clock });
    expect(await known.exists1('late')).toBe(false);
    existing.push('late');
    clock.advance(29);
    expect(await known.exists1('late')).toBe(false); // still cached as unknown
    clock.advance(2);
    expect(await known.exists1('late')).toBe(true);
    expect(d.queries).toHaveLength(2);
  });

  it('keeps at most maxKnown ids (least recently used go first)', async () => {
    const d = directory(['a', 'b', 'c']);
    const known = new KnownRiders(d.lookup, { maxKnown: 2 });
    await known.filterExisting(['a', 'b', 'c']);
    expect(['a', 'b', 'c'].filter((id) => known.isKnown(id))).toHaveLength(2);
  });
});

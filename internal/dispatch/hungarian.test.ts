import { describe, expect, it } from 'vitest';
import { minCostAssignment } from './hungarian.ts';

function bruteForce(cost: number[][]): number {
  const n = cost.length;
  const m = cost[0]!.length;
  let best = Infinity;
  const used = new Array<boolean>(m).fill(false);
  const go = (i: number, acc: number) => {
    if (i === n) {
      best = Math.min(best, acc);
      return;
    }
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = true;
      go(i + 1, acc + cost[i]![j]!);
      used[j] = false;
    }
  };
  go(0, 0);
  return best;
}

describe('minCostAssignment', () => {
  it('finds the optimum on a classic example', () => {
    const cost = [
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ];
    const a = minCostAssignment(cost);
    expect(a.reduce((s, j, i) => s + cost[i]![j]!, 0)).toBe(5);
    expect(new Set(a).size).toBe(3);
  });

  it('matches brute force on random rectangular matrices', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed / 2 ** 31) * 100 - 50;
    };
    for (let t = 0; t < 50; t++) {
      const n = 1 + (t % 4);
      const m = n + (t % 3);
      const cost = Array.from({ length: n }, () => Array.from({ length: m }, () => Math.round(rnd())));
      const a = minCostAssignment(cost);
      expect(new Set(a).size).toBe(n);
      expect(a.reduce((s, j, i) => s + cost[i]![j]!, 0)).toBe(bruteForce(cost));
    }
  });

  it('rejects more rows than columns', () => {
    expect(() => minCostAssignment([[1], [2]])).toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import { dispatchRound, nextMissingPath, type DispatchSnapshot } from './dispatch-round.ts';
import { cellCentre, cellOf, hotPathFromRoute, straightLine, type HotPath } from './hot-paths.ts';
import { resolveDispatchParams, type DispatchParamsInput } from './params.ts';
import { at, gridTravel, MIN, order } from './test-fixtures.ts';
import type { Order, Rider, Store } from './types.ts';

const store: Store = { id: 's1', location: at(0, 0) };

/** A snapshot with every missing hot path built (straight lines), as both drivers do before a round. */
function snapshot(
  orders: Order[],
  riders: Rider[],
  params: ReturnType<typeof resolveDispatchParams>,
  now = 0,
): DispatchSnapshot {
  const paths: HotPath[] = [];
  for (let m = nextMissingPath(orders, paths, params); m; m = nextMissingPath(orders, paths, params)) {
    paths.push(
      hotPathFromRoute(
        m.storeId,
        m.cell,
        straightLine(store.location, cellCentre(m.cell)),
        params.h3Resolution,
        params.corridorRings,
      ),
    );
  }
  return { now, stores: new Map([[store.id, store]]), paths, orders, batches: [], plans: new Map(), riders };
}

let ids = 0;
const newId = () => `b${++ids}`;

/** 50 drops in a 420 m × 323 m block (every pair within 530 m), 1.5 km from the store. */
function fiftyOrders(): Order[] {
  return Array.from({ length: 50 }, (_, i) => order(`o${i}`, at(1500 + (i % 7) * 70, (Math.floor(i / 7) * 70) / 1.3)));
}

describe('dispatchRound', () => {
  it('builds the hot paths orders need in arrival order, so a path built for one order covers the next', () => {
    const params = resolveDispatchParams();
    const orders = [order('a', at(3000, 0)), order('b', at(1500, 0))];
    const s = snapshot(orders, [], params);
    expect(s.paths).toHaveLength(1); // b lies on the way to a
    expect(s.paths[0]!.targetCell).toBe(cellOf(orders[0]!.drop, params.h3Resolution));
  });

  it('fills batches to capacity 3 when the bundle delay allows it (50 orders within 530 m, posted together)', () => {
    const params = resolveDispatchParams({ maxBundleDelaySeconds: 900 });
    const orders = fiftyOrders();
    const s = snapshot(orders, [], params);
    const round = dispatchRound(s, gridTravel, params, newId);
    expect(round.batched).toHaveLength(50);
    const sizes = s.batches.map((b) => b.orders.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(50);
    // Per hot path at most one batch is not full: orders are only ever left alone when their path's batches are full.
    const notFull = new Map<string, number>();
    for (const b of s.batches) if (b.orders.length < 3) notFull.set(b.pathId, (notFull.get(b.pathId) ?? 0) + 1);
    for (const n of notFull.values()) expect(n).toBe(1);
    expect(sizes.filter((n) => n === 3).length).toBeGreaterThanOrEqual(Math.floor(50 / 3) - s.paths.length);
    // Full batches seal at once ('full').
    expect(round.sealed.length).toBe(sizes.filter((n) => n === 3).length);
  });

  it('with the tuned defaults stops at 2 drops: a third would delay the first customer beyond maxBundleDelaySeconds', () => {
    const params = resolveDispatchParams();
    const s = snapshot(fiftyOrders(), [], params);
    dispatchRound(s, gridTravel, params, newId);
    const sizes = s.batches.map((b) => b.orders.length);
    expect(Math.max(...sizes)).toBe(2);
    // Each extra drop costs dropBefore + dropAfter = 240 s of service alone; two of them exceed the 300 s allowed.
    expect(2 * (params.service.dropBeforeSeconds + params.service.dropAfterSeconds)).toBeGreaterThan(
      params.maxBundleDelaySeconds,
    );
    expect(sizes.filter((n) => n === 2).length).toBeGreaterThanOrEqual(25 - s.paths.length);
  });

  it('seals, matches and commits in one call; the committed batch leaves the snapshot', () => {
    const params = resolveDispatchParams();
    const s = snapshot(
      [order('a', at(1500, 0), { readyAt: 5 * MIN })],
      [{ id: 'r1', location: at(0, 300), availableAt: 0, shiftEndsAt: Infinity }],
      params,
      5 * MIN,
    );
    const round = dispatchRound(s, gridTravel, params, newId);
    expect(round.committed.map((p) => p.riderId)).toEqual(['r1']);
    expect(round.sealed.map((p) => p.batchId)).toEqual([round.committed[0]!.batchId]);
    expect(round.changed.map((b) => b.status)).toEqual(['sealed']);
    expect(s.batches).toHaveLength(0);
  });

  it('leaves an order without a covering path unbatched', () => {
    const params = resolveDispatchParams();
    const s: DispatchSnapshot = {
      now: 0,
      stores: new Map([[store.id, store]]),
      paths: [],
      orders: [order('a', at(1500, 0))],
      batches: [],
      plans: new Map(),
      riders: [],
    };
    expect(dispatchRound(s, gridTravel, params, newId).batched).toHaveLength(0);
  });

  it('is deterministic', () => {
    const params = resolveDispatchParams({ maxBundleDelaySeconds: 900 } satisfies DispatchParamsInput);
    const run = () => {
      let n = 0;
      const s = snapshot(fiftyOrders(), [], params);
      dispatchRound(s, gridTravel, params, () => `x${++n}`);
      return s.batches.map((b) => [b.id, b.orders.map((o) => o.id)]);
    };
    expect(run()).toEqual(run());
  });
});

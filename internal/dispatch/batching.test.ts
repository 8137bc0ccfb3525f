import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bestInsertion,
  evaluateSequence,
  INSERTION_CANDIDATES,
  type InsertionQuote,
  quoteInsertion,
} from './batching.ts';
import { type DispatchParams, resolveDispatchParams } from './params.ts';
import { sealReasonAt } from './sealing.ts';
import { at, gridTravel, MIN, order } from './test-fixtures.ts';
import type { TravelTime } from './travel-time.ts';
import type { Batch, Order } from './types.ts';

const params = resolveDispatchParams({ batchCapacity: 2, maxDetourSeconds: 600, maxBundleDelaySeconds: 300 });
const store = { id: 's1', location: at(0, 0) };

function batchOf(orders: Order[], extra: Partial<Batch> = {}): Batch {
  const ev = evaluateSequence(store, orders, gridTravel, params);
  return {
    id: 'b1',
    storeId: 's1',
    pathId: 'p1',
    orders,
    openedAt: 0,
    status: 'open',
    estimatedCostSeconds: ev.routeSeconds,
    latestDepartureAt: ev.latestDepartureAt,
    readyAt: ev.readyAt,
    ...extra,
  };
}

describe('evaluateSequence', () => {
  it('times drops from the latest ready time with the service rules', () => {
    // ready 15 min; leave 15:00 + 120 s; 1500 m = 300 s; drop = arrival + 120 s.
    const ev = evaluateSequence(store, [order('a', at(1500, 0))], gridTravel, params);
    expect(ev.etas[0]).toBe(15 * MIN + (120 + 300 + 120) * 1000);
    expect(ev.routeSeconds).toBe(300 + 240);
    expect(ev.latestDepartureAt).toBe(40 * MIN - (300 + 120) * 1000);
  });
});

describe('quoteInsertion', () => {
  const a = order('a', at(1500, 0));

  it('quotes the detour in seconds at the cheapest position', () => {
    const q = quoteInsertion(batchOf([a]), order('b', at(1800, 0)), store, gridTravel, params);
    expect(q).not.toBeNull();
    expect(q!.position).toBe(1);
    expect(q!.detourSeconds).toBe(60 + 240);
  });

  it('refuses another store, a full batch, a sealed batch and a long detour', () => {
    const b = order('b', at(1800, 0));
    expect(quoteInsertion(batchOf([a]), { ...b, storeId: 's2' }, store, gridTravel, params)).toBeNull();
    expect(quoteInsertion(batchOf([a, order('c', at(1600, 0))]), b, store, gridTravel, params)).toBeNull();
    expect(quoteInsertion(batchOf([a], { status: 'sealed' }), b, store, gridTravel, params)).toBeNull();
    expect(quoteInsertion(batchOf([a]), order('far', at(-4000, 0)), store, gridTravel, params)).toBeNull();
  });

  it('refuses an order that would make a batch-mate late or wait too long for its food', () => {
    const tight = order('t', at(1500, 0), { promisedAt: 15 * MIN + 560_000 });
    // Each is on time alone (540 s and 546 s after ready); together one of them is late.
    const alsoTight = order('b', at(1500, 300), { promisedAt: 15 * MIN + 560_000 });
    expect(quoteInsertion(batchOf([tight]), alsoTight, store, gridTravel, params)).toBeNull();
    const lateFood = order('l', at(1600, 0), { readyAt: 25 * MIN, promisedAt: 60 * MIN });
    expect(quoteInsertion(batchOf([a]), lateFood, store, gridTravel, params)).toBeNull();
  });

  it('bestInsertion picks the batch with the smallest detour', () => {
    const near = batchOf([order('x', at(0, 1500))], { id: 'near' });
    const far = batchOf([order('y', at(0, -1500))], { id: 'far' });
    const q = bestInsertion([far, near], order('n', at(0, 1700)), store, gridTravel, params);
    expect(q?.batch.id).toBe('near');
  });
});

/** The search `bestInsertion` bounds: every position of every batch, the first lowest detour wins. */
function exhaustive(batches: Batch[], o: Order, travel: TravelTime, p: DispatchParams): InsertionQuote | null {
  let best: InsertionQuote | null = null;
  for (const batch of batches) {
    const quote = quoteInsertion(batch, o, store, travel, p);
    if (quote && (best === null || quote.detourSeconds < best.detourSeconds)) best = quote;
  }
  return best;
}

const decision = (q: InsertionQuote | null) =>
  q && { batch: q.batch.id, position: q.position, detour: q.detourSeconds, sequence: q.sequence.map((x) => x.id) };

/**
 * Road-like travel that obeys no triangle inequality and differs by direction (each ordered pair gets its own factor
 * of 0.5–1.5 on the straight line): the search's bounds and rule checks must hold without either.
 */
const skewedTravel: TravelTime = {
  distanceMeters: gridTravel.distanceMeters,
  durationSeconds: (a, b) => {
    const h = Math.abs(Math.sin(a.lat * 12_345.678 + a.lon * 98_765.4321 + b.lat * 4_567.89 + b.lon * 321.987));
    return (gridTravel.distanceMeters(a, b) / 5) * (0.5 + h);
  },
};

/** Unrounded planar travel: detours are differences of float sums, so the bound's slack is exercised too. */
const floatTravel: TravelTime = {
  distanceMeters: gridTravel.distanceMeters,
  durationSeconds: (a, b) => gridTravel.distanceMeters(a, b) / 5.3,
};

describe('bestInsertion (bounded search)', () => {
  const point = fc.record({ x: fc.integer({ min: -3000, max: 3000 }), y: fc.integer({ min: -3000, max: 3000 }) });
  const orderArb = fc.record({
    p: point,
    ready: fc.integer({ min: 0, max: 30 }),
    slack: fc.integer({ min: 5, max: 40 }),
  });
  const instance = fc.record({
    capacity: fc.integer({ min: 2, max: 4 }),
    maxDetour: fc.integer({ min: 120, max: 900 }),
    maxDelay: fc.integer({ min: 0, max: 600 }),
    tolerance: fc.integer({ min: 0, max: 120 }),
    batches: fc.array(fc.array(orderArb, { minLength: 1, maxLength: 3 }), { maxLength: 12 }),
    sealed: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
    newOrder: orderArb,
    travel: fc.constantFrom('grid', 'float', 'skewed'),
    /** Times as the worker has them (epoch milliseconds), where float sums lose their last bits. */
    epoch: fc.boolean(),
  });
  const travels = { grid: gridTravel, float: floatTravel, skewed: skewedTravel };

  it('decides exactly as the exhaustive search on random instances (ties, infeasible, full and sealed batches)', () => {
    fc.assert(
      fc.property(instance, (inst) => {
        const p = resolveDispatchParams({
          batchCapacity: inst.capacity,
          maxDetourSeconds: inst.maxDetour,
          maxBundleDelaySeconds: inst.maxDelay,
          latenessToleranceSeconds: inst.tolerance,
        });
        const travel = travels[inst.travel];
        const t0 = inst.epoch ? 1_796_000_000_123 : 0;
        const mk = (id: string, o: (typeof inst.batches)[number][number]) =>
          order(id, at(o.p.x, o.p.y), { readyAt: t0 + o.ready * MIN, promisedAt: t0 + (o.ready + o.slack) * MIN });
        const batches = inst.batches.map((orders, b) => ({
          ...batchOf(orders.map((o, i) => mk(`b${b}o${i}`, o))),
          id: `b${b}`,
          status: inst.sealed[b] ? ('sealed' as const) : ('open' as const),
        }));
        const o = mk('new', inst.newOrder);
        expect(decision(bestInsertion(batches, o, store, travel, p))).toEqual(
          decision(exhaustive(batches, o, travel, p)),
        );
      }),
      { numRuns: 1500, seed: 16 },
    );
  });

  it(`looks past the first ${INSERTION_CANDIDATES} candidates when none of them is feasible`, () => {
    const p = resolveDispatchParams({ batchCapacity: 3, maxDetourSeconds: 900, maxBundleDelaySeconds: 300 });
    // The new order and ten batch-mates next to it are all due just after going alone (solo ETA + 10 s): sharing a
    // rider with any of them makes one late. Their detours are the smallest, so they fill the first group of
    // candidates; only the roomy batch further on (its order can wait) takes the new order.
    const due = (x: number, y: number) =>
      15 * MIN + (240 + gridTravel.durationSeconds(store.location, at(x, y)) + 10) * 1000;
    const tight = Array.from({ length: 10 }, (_, i) =>
      batchOf([order(`t${i}`, at(1500, 10 * (i + 1)), { promisedAt: due(1500, 10 * (i + 1)) })], { id: `tight${i}` }),
    );
    const roomy = batchOf([order('r', at(1600, 300))], { id: 'roomy' });
    const o = order('n', at(1500, 0), { promisedAt: due(1500, 0) });
    const q = bestInsertion([...tight, roomy], o, store, gridTravel, p);
    expect(q?.batch.id).toBe('roomy');
    expect(decision(q)).toEqual(decision(exhaustive([...tight, roomy], o, gridTravel, p)));
  });
});

describe('sealReasonAt', () => {
  const p = resolveDispatchParams({ batchCapacity: 2, waitWindowSeconds: 300, sealLeadSeconds: 120 });
  it('seals full batches, closed windows and batches at their deadline', () => {
    const one = batchOf([order('a', at(1500, 0), { readyAt: 30 * MIN, promisedAt: 60 * MIN })]);
    expect(sealReasonAt(one, 1 * MIN, p)).toBeNull();
    expect(sealReasonAt(one, 5 * MIN, p)).toBe('window');
    expect(sealReasonAt({ ...one, openedAt: 26 * MIN }, 28 * MIN, p)).toBe('deadline');
    const two = batchOf([order('a', at(1500, 0)), order('b', at(1600, 0))]);
    expect(sealReasonAt(two, 0, p)).toBe('full');
    expect(sealReasonAt({ ...one, status: 'sealed' }, 50 * MIN, p)).toBeNull();
  });
});

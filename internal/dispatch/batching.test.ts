import { describe, expect, it } from 'vitest';
import { bestInsertion, evaluateSequence, quoteInsertion } from './batching.ts';
import { resolveDispatchParams } from './params.ts';
import { sealReasonAt } from './sealing.ts';
import { at, gridTravel, MIN, order } from './test-fixtures.ts';
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

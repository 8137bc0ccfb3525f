import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../internal/platform/logger.ts';
import { ApiCallError, type ApiClient } from './api-client.ts';
import { runOrderGenerator } from './order-generator.ts';
import { seededRandom } from './random.ts';
import { SimClock } from './sim-clock.ts';
import { emptyTally } from './summary.ts';

/** One store, 20 orders per simulated minute, a silent logger: what every run below shares. */
function steadyDemand(api: ApiClient, clock: SimClock) {
  return {
    api,
    stores: [{ id: 's1', name: 'S', lat: 48.85, lon: 2.35 }],
    clock,
    mode: 'steady' as const,
    rate: 20,
    logger: silentLogger,
  };
}

/** An API that accepts every order and records the kitchen's steps. */
function recordingApi() {
  const placed: string[] = [];
  const ready: string[] = [];
  const api = {
    placeOrder: async () => {
      const id = `o${placed.length + 1}`;
      placed.push(id);
      return { id, status: 'placed', placed_at: new Date().toISOString() };
    },
    markCooking: async () => {},
    markReady: async (id: string) => void ready.push(id),
  } as unknown as ApiClient;
  return { api, placed, ready };
}

describe('the order generator', () => {
  it('stops placing orders when demand stops, and still marks every accepted order ready (a drain)', async () => {
    const { api, placed, ready } = recordingApi();
    // 600×: a virtual minute of prep is 100 ms of wall clock; 20 orders per virtual minute is one every 5 ms.
    const clock = new SimClock({ startMs: Date.UTC(2026, 0, 1, 12), speed: 600 });
    const run = new AbortController();
    const ordering = new AbortController();
    const done = runOrderGenerator({
      ...steadyDemand(api, clock),
      random: seededRandom(1),
      tally: emptyTally(),
      signal: run.signal,
      ordering: ordering.signal,
      prepMinutes: { min: 0.5, max: 1 },
    });
    await expect.poll(() => placed.length).toBeGreaterThanOrEqual(5);
    ordering.abort();
    const placedAtStop = placed.length;
    await done; // resolves once every accepted order is ready
    expect(placed.length).toBeLessThanOrEqual(placedAtStop + 1); // at most the one being placed when demand stopped
    expect([...ready].sort()).toEqual([...placed].sort());
    run.abort();
    clock.close();
  });

  it('marks nothing ready after the run itself ends', async () => {
    const { api, placed, ready } = recordingApi();
    const clock = new SimClock({ startMs: Date.UTC(2026, 0, 1, 12), speed: 600 });
    const run = new AbortController();
    const done = runOrderGenerator({
      ...steadyDemand(api, clock),
      random: seededRandom(2),
      tally: emptyTally(),
      signal: run.signal,
      prepMinutes: { min: 30, max: 40 }, // 3–4 s of wall clock: still cooking when the run ends
    });
    await expect.poll(() => placed.length).toBeGreaterThanOrEqual(3);
    run.abort();
    await done;
    expect(ready).toEqual([]);
    clock.close();
  });

  it('presses "ready" again through a 503 or a dropped connection, and not after a final answer', async () => {
    const attempts = new Map<string, number>();
    const ready: string[] = [];
    let placed = 0;
    const api = {
      placeOrder: async () => ({ id: `o${++placed}`, status: 'placed', placed_at: new Date().toISOString() }),
      markCooking: async () => {},
      markReady: async (id: string) => {
        const n = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, n);
        if (id === 'o1' && n === 1)
          throw new ApiCallError('POST', `/orders/${id}/ready`, 503, 'dependency.unavailable', {});
        if (id === 'o1' && n === 2) throw new TypeError('fetch failed');
        if (id === 'o2') throw new ApiCallError('POST', `/orders/${id}/ready`, 404, 'order.not_found', {});
        ready.push(id);
      },
    } as unknown as ApiClient;
    const clock = new SimClock({ startMs: Date.UTC(2026, 0, 1, 12), speed: 600 });
    const run = new AbortController();
    const ordering = new AbortController();
    const tally = emptyTally();
    const done = runOrderGenerator({
      ...steadyDemand(api, clock),
      random: seededRandom(3),
      tally,
      signal: run.signal,
      ordering: ordering.signal,
      prepMinutes: { min: 0.5, max: 1 },
    });
    await expect.poll(() => placed).toBeGreaterThanOrEqual(2);
    ordering.abort();
    await done;
    expect(attempts.get('o1')).toBe(3); // 503, no answer, then accepted
    expect(ready).toContain('o1');
    expect(attempts.get('o2')).toBe(1); // 404 is final
    expect(tally.ordersReady).toBe(ready.length);
    expect(tally.errorKinds).toEqual({ 'ready 404 order.not_found': 1 });
    run.abort();
    clock.close();
  });
});

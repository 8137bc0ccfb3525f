import { describe, expect, it } from 'vitest';
import { resolveDispatchParams } from '../dispatch/params.ts';
import type { BatchRow, OrderRow } from './batch-rows.ts';
import { pipelineSealReason } from './batch-sealing.ts';

const t0 = Date.parse('2026-11-22T12:00:00Z');
const min = 60_000;
const params = resolveDispatchParams({ waitWindowSeconds: 600, batchCapacity: 3 });

const batch = (over: Partial<BatchRow> = {}): BatchRow => ({
  id: 'b1',
  store_id: 's1',
  path_id: 'p1',
  status: 'open',
  capacity: 3,
  opened_at: new Date(t0),
  window_closes_at: new Date(t0 + 10 * min),
  latest_departure_at: new Date(t0 + 40 * min),
  ready_at: new Date(t0 + 20 * min),
  estimated_cost_s: 600,
  ...over,
});

const order = (id: string, readyMarked: boolean): OrderRow => ({
  id,
  store_id: 's1',
  drop_lat: 48.86,
  drop_lon: 2.35,
  h3_cell: '881fb46625fffff',
  status: 'batched',
  placed_at: new Date(t0),
  ready_at: new Date(t0 + 20 * min),
  ready_marked_at: readyMarked ? new Date(t0 + min) : null,
  promised_at: new Date(t0 + 50 * min),
});

describe('pipelineSealReason', () => {
  it('keeps a young batch with orders still cooking open', () => {
    expect(pipelineSealReason(batch(), [order('o1', false), order('o2', true)], t0 + min, params)).toBeNull();
  });

  it('seals a full batch', () => {
    expect(pipelineSealReason(batch(), [order('o1', false), order('o2', false), order('o3', false)], t0, params)).toBe('full');
  });

  it('seals when the wait window has closed (the Clock decides)', () => {
    const orders = [order('o1', false)];
    expect(pipelineSealReason(batch(), orders, t0 + 10 * min - 1, params)).toBeNull();
    expect(pipelineSealReason(batch(), orders, t0 + 10 * min, params)).toBe('window');
  });

  it('seals when waiting longer would make an order late', () => {
    const b = batch({ latest_departure_at: new Date(t0 + 2 * min) });
    expect(pipelineSealReason(b, [order('o1', false)], t0 + 2 * min, params)).toBe('deadline');
  });

  it('seals as soon as every order is marked ready (matching SLA)', () => {
    expect(pipelineSealReason(batch(), [order('o1', true), order('o2', true)], t0 + min, params)).toBe('ready');
  });

  it('never seals a batch that is not open, or empty', () => {
    expect(pipelineSealReason(batch({ status: 'sealed' }), [order('o1', true)], t0 + 60 * min, params)).toBeNull();
    expect(pipelineSealReason(batch(), [], t0 + 60 * min, params)).toBeNull();
  });
});

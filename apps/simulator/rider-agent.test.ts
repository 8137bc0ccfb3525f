import { describe, expect, it } from 'vitest';
import type { BatchDto } from './api-client.ts';
import { batchItinerary } from './rider-agent.ts';

const store = { lat: 1, lon: 1 };
const base: BatchDto = {
  id: 'b',
  store_id: 's',
  status: 'assigned',
  rider_id: 'r',
  orders: [
    { id: 'o2', status: 'assigned', sequence: 2, drop: { lat: 3, lon: 3 } },
    { id: 'o1', status: 'assigned', sequence: 1, drop: { lat: 2, lon: 2 } },
  ],
  stops: null,
};

describe('a rider’s itinerary for a batch', () => {
  it('follows the refined stops when there are some', () => {
    const batch: BatchDto = {
      ...base,
      stops: [
        { kind: 'pickup', order_id: null, lat: 1.1, lon: 1.1 },
        { kind: 'drop', order_id: 'o2', lat: 3, lon: 3 },
        { kind: 'drop', order_id: 'o1', lat: 2, lon: 2 },
      ],
    };
    expect(batchItinerary(batch, store)).toEqual({
      pickup: { lat: 1.1, lon: 1.1 },
      drops: [
        { lat: 3, lon: 3, orderId: 'o2' },
        { lat: 2, lon: 2, orderId: 'o1' },
      ],
    });
  });

  it('before refinement: the store, then the drops in batch sequence', () => {
    expect(batchItinerary(base, store)).toEqual({
      pickup: store,
      drops: [
        { lat: 2, lon: 2, orderId: 'o1' },
        { lat: 3, lon: 3, orderId: 'o2' },
      ],
    });
  });
});

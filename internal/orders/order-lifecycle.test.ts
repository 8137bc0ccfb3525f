import { describe, expect, it } from 'vitest';
import type { OrderStatus } from '../db/schema.ts';
import {
  isTerminal,
  nextOrderStatus,
  ORDER_EVENTS,
  ORDER_STATUSES,
  targetOfEvent,
  type OrderEvent,
} from './order-lifecycle.ts';

/** The expected table, written out independently of the implementation's: every (from, event) pair. */
const expected: Record<OrderStatus, Record<OrderEvent, OrderStatus | null>> = {
  placed: {
    start_cooking: 'cooking',
    mark_ready: 'ready',
    batch: 'batched',
    assign: null,
    pick_up: null,
    deliver: null,
    cancel: 'cancelled',
    release: null,
  },
  cooking: {
    start_cooking: null,
    mark_ready: 'ready',
    batch: 'batched',
    assign: null,
    pick_up: null,
    deliver: null,
    cancel: 'cancelled',
    release: null,
  },
  ready: {
    start_cooking: null,
    mark_ready: null,
    batch: 'batched',
    assign: null,
    pick_up: null,
    deliver: null,
    cancel: 'cancelled',
    release: null,
  },
  batched: {
    start_cooking: 'batched',
    mark_ready: 'batched',
    batch: null,
    assign: 'assigned',
    pick_up: null,
    deliver: null,
    cancel: 'cancelled',
    release: null,
  },
  assigned: {
    start_cooking: 'assigned',
    mark_ready: 'assigned',
    batch: null,
    assign: null,
    pick_up: 'picked_up',
    deliver: null,
    cancel: 'cancelled',
    release: 'batched',
  },
  picked_up: {
    start_cooking: null,
    mark_ready: null,
    batch: null,
    assign: null,
    pick_up: null,
    deliver: 'delivered',
    cancel: null,
    release: null,
  },
  delivered: {
    start_cooking: null,
    mark_ready: null,
    batch: null,
    assign: null,
    pick_up: null,
    deliver: null,
    cancel: null,
    release: null,
  },
  cancelled: {
    start_cooking: null,
    mark_ready: null,
    batch: null,
    assign: null,
    pick_up: null,
    deliver: null,
    cancel: null,
    release: null,
  },
};

describe('nextOrderStatus', () => {
  for (const from of ORDER_STATUSES) {
    for (const event of ORDER_EVENTS) {
      const to = expected[from][event];
      it(`${from} --${event}--> ${to ?? 'illegal'}`, () => {
        expect(nextOrderStatus(from, event)).toBe(to);
      });
    }
  }

  it('covers all 8 statuses and 8 events', () => {
    expect(ORDER_STATUSES).toHaveLength(8);
    expect(ORDER_EVENTS).toHaveLength(8);
  });

  it('lets nothing leave a terminal status', () => {
    for (const from of ORDER_STATUSES.filter(isTerminal)) {
      for (const event of ORDER_EVENTS) expect(nextOrderStatus(from, event)).toBeNull();
    }
    expect(ORDER_STATUSES.filter(isTerminal)).toEqual(['delivered', 'cancelled']);
  });

  it('never moves dispatch backwards into the kitchen states', () => {
    const dispatch: OrderStatus[] = ['batched', 'assigned', 'picked_up', 'delivered'];
    for (const from of dispatch) {
      for (const event of ORDER_EVENTS) {
        const to = nextOrderStatus(from, event);
        expect(['placed', 'cooking', 'ready']).not.toContain(to);
      }
    }
  });

  it('accepts the kitchen steps on an order dispatch holds without moving it (batched or assigned)', () => {
    for (const from of ['batched', 'assigned'] as const) {
      expect(nextOrderStatus(from, 'start_cooking')).toBe(from);
      expect(nextOrderStatus(from, 'mark_ready')).toBe(from);
    }
    // Once the rider has the food the kitchen has nothing left to say.
    for (const from of ['picked_up', 'delivered', 'cancelled'] as const) {
      expect(nextOrderStatus(from, 'start_cooking')).toBeNull();
      expect(nextOrderStatus(from, 'mark_ready')).toBeNull();
    }
  });

  it('names the status each event aims at', () => {
    expect(targetOfEvent('pick_up')).toBe('picked_up');
    expect(targetOfEvent('mark_ready')).toBe('ready');
  });
});
